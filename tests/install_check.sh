#!/usr/bin/env bash
# Install check for one Python: what a user's PC does, from the source to a working `xjr`.
#
#   tests/install_check.sh PYTHON [--lowest] [PYTEST ARGS...]
#
# 1. copies the checkout (tracked + new files, not ignored ones) to a temp dir and builds the
#    wheelhouse there with `make wheelhouse` (the package and every dependency as wheels);
# 2. installs xjr-excel into a fresh venv from that wheelhouse alone (--no-index: the README's
#    offline install; a normal install, not editable);
# 3. runs the main job with the installed `xjr` in an empty folder (tests/installed_main_job.py:
#    template .xlsm with VBA + ribbon, validate, annotate, clear, consolidate);
# 4. adds the test extra and runs the tests against the installed package: the copy's xjr_excel/
#    source is removed first, so nothing can import the checkout.  Default: -m "not slow".
#
# --lowest installs every dependency at the lower bound setup.cfg declares (>= read as ==), so
# the declared pins are tested.  A missing PYTHON fails: CI does not download interpreters.
set -euo pipefail

PY=${1:?usage: tests/install_check.sh PYTHON [--lowest] [PYTEST ARGS...]}
shift
LOWEST=
if [ "${1:-}" = --lowest ]; then LOWEST=1; shift; fi
[ $# -gt 0 ] || set -- -m "not slow"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
  echo "install check: no Python >= 3.10 at '$PY' (install it with pyenv first)" >&2
  exit 2
fi
VERSION=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xjr-install-$VERSION.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
say() { printf '\n== install check, Python %s%s: %s\n' "$VERSION" "${LOWEST:+ (lowest pins)}" "$*"; }

say "copy the checkout"
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
   | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
   | tar --null -T - -cf -) | tar -C "$WORK/src" -xf -

if [ -n "$LOWEST" ]; then
  # setup.cfg's lower bounds as constraint files: the runtime ones for the wheelhouse, the install
  # and the main job; with the test extra's for the tests.  PIP_CONSTRAINT reaches every pip call.
  lowest() {
    "$PY" - "$WORK/src/setup.cfg" "$1" <<'EOF'
import configparser, re, sys
cfg = configparser.ConfigParser()
cfg.read(sys.argv[1], encoding="utf-8")
reqs = cfg["options"]["install_requires"].splitlines()
if sys.argv[2] == "test":
    reqs += cfg["options.extras_require"]["test"].splitlines()
lowest = {}      # (name, marker) -> (name, version, marker); the test extra may raise a runtime bound
for line in filter(None, (r.strip() for r in reqs)):
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9.]+)\s*(;.*)?", line)
    if not m:
        sys.exit(f"setup.cfg: '{line}' has no plain >= lower bound to test")
    key = lambda v: tuple(int(x) for x in v.split("."))
    k = (m[1].lower(), m[3])
    if k not in lowest or key(m[2]) > key(lowest[k][1]):
        lowest[k] = (m[1], m[2], m[3])
for name, version, marker in lowest.values():
    print(f"{name}=={version}{' ' + marker if marker else ''}")
EOF
  }
  lowest runtime > "$WORK/lowest-runtime.txt"
  lowest test > "$WORK/lowest-test.txt"
  export PIP_CONSTRAINT="$WORK/lowest-runtime.txt"
  sed 's/^/   /' "$WORK/lowest-test.txt"
fi

say "make wheelhouse"
make -s -C "$WORK/src" wheelhouse PYTHON="$PY" VENV="$WORK/build-venv" WHEELHOUSE="$WORK/wheelhouse"

versions() {
  "$WORK/venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
    | grep -iE '^(xjr-excel|pandas|numpy|pandera|openpyxl|python-calamine|xlwings|olefile|msoffcrypto-tool|pytest) ' \
    | sed 's/^/   /'
}

say "install from the wheelhouse alone into a fresh venv (the README's offline install)"
"$PY" -m venv "$WORK/venv"
PIP=("$WORK/venv/bin/python" -m pip -q --disable-pip-version-check)
"${PIP[@]}" install --no-index --find-links "$WORK/wheelhouse" xjr-excel
versions

say "main job with the installed xjr (runtime dependencies only)"
rm -rf "$WORK/src/xjr_excel"            # from here on only the installed package can be imported
(cd "$WORK" && "$WORK/venv/bin/python" "$WORK/src/tests/installed_main_job.py" "$WORK/run" "$WORK/src/samples")

say "the test extra"
[ -z "$LOWEST" ] || export PIP_CONSTRAINT="$WORK/lowest-test.txt"
"${PIP[@]}" install --find-links "$WORK/wheelhouse" "xjr-excel[test]"
versions

say "tests against the installed package: $*"
cd "$WORK/src"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
