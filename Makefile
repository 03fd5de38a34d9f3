# Quick start:  make demo   |   make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
XJR    := $(VENV)/bin/xjr
OUT    ?= out
MASTER := workbook/xjr-master.xlsm
WHEELHOUSE ?= wheelhouse
# The Pythons test-installs checks (pyenv's; CI installs none): the oldest at the lowest pins, the newest as resolved.
PYENV  ?= /root/.pyenv/versions
PY_OLDEST ?= $(PYENV)/3.10.13/bin/python3
PY_NEWEST ?= $(PYENV)/3.13.0/bin/python3

.PHONY: venv install workbook samples demo test test-deps test-fast test-installs bench clean wheelhouse docs architecture

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e '.[test]'

workbook: install
	@# the committed master is rebuilt on purpose: replace it even if someone opened and saved it
	$(XJR) template -o $(MASTER) --force

samples: install
	$(PY) samples_src/generate.py
	$(PY) samples_src/generate_track.py
	$(PY) samples_src/generate_forms.py

demo: install
	@mkdir -p $(OUT)
	$(XJR) template -o $(OUT)/xjr-master.xlsm --city 南京市 --batch 3 --year 2026
	@# exit code 1 = the sample has errors (expected for 苏州市): the demo goes on
	$(XJR) validate samples/南京市.xlsx --annotate $(OUT)/南京市-校验.xlsx || test $$? -eq 1
	$(XJR) validate samples/苏州市.xlsx --annotate $(OUT)/苏州市-校验.xlsx || test $$? -eq 1
	$(XJR) consolidate samples/*.xlsx samples/*.xlsm -o $(OUT)/江苏省汇总.xlsx --province 江苏省 || test $$? -eq 1
	$(XJR) forms samples/南京市.xlsx -o $(OUT)/填报表-南京市
	@echo
	@echo "输出 / outputs:"
	@echo "  空白模板 master workbook : $(OUT)/xjr-master.xlsm"
	@echo "  校验标记 annotated files : $(OUT)/南京市-校验.xlsx  $(OUT)/苏州市-校验.xlsx"
	@echo "  全省汇总 provincial file : $(OUT)/江苏省汇总.xlsx"
	@echo "  填报表   fill-in forms   : $(OUT)/填报表-南京市/ (附3附4-企业名称.xlsx, 附5-平台名称.xlsx)"

# System packages the tests need (LibreOffice, UNO, poppler, CJK fonts, Chromium + driver): installed when
# this machine allows (Debian/Ubuntu, root or sudo), otherwise the exact list to install, and a stop.
# Runs before `install`: on a fresh Debian even the virtual environment needs a package (python3-venv).
test-deps:
	PYTHON=$(PYTHON) bash .ci/test-deps

test: test-deps install
	$(PY) -m pytest -q

# The quick subset (no LibreOffice renders, subprocesses, fresh Pythons or hostile corpus; the fast xlwings-engine
# tests do run): for the edit-test loop.
test-fast: install
	$(PY) -m pytest -q -m "not slow"

# Build the wheelhouse, install it into a fresh venv, run the main job and the fast tests with the
# installed package: on the oldest Python at the lowest declared pins, and on the newest.
# On 3.10 two kinds of test cannot pass and are left out: the tests marked `engine` drive xlwings' remote
# engine, which writes notes only from xlwings 0.37.5 (Python >= 3.11); the committed master's VBA
# comes from the xlwings `make workbook` used, not 3.10's.  The main job runs in full on both.
test-installs:
	bash tests/install_check.sh $(PY_OLDEST) --lowest -m "not slow and not engine" \
	  --deselect tests/test_template.py::test_committed_master_carries_the_vba_of_a_fresh_build
	bash tests/install_check.sh $(PY_NEWEST)

bench: install
	$(PY) bench/validate.py
	$(PY) bench/consolidate.py
	$(PY) bench/click.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info

# An offline installer for intranet PCs: the package and every dependency as wheels.
# Build it on a machine of the target platform (Windows wheels for Windows users).
wheelhouse: $(PY)
	$(PY) -m pip wheel -q -w $(WHEELHOUSE) '.[serve]'
	@echo "$(WHEELHOUSE)/ ready: pip install --no-index --find-links $(WHEELHOUSE) 'xjr-excel[serve]'"

# The pipeline picture in docs/architecture.md, from its Graphviz source (apt-get install graphviz).
architecture:
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg

docs: install architecture
	$(PY) docs/render.py
	$(PY) docs/render_annotated.py
	$(PY) docs/province_png.py
	$(PY) docs/track_png.py
	$(PY) docs/forms_png.py
