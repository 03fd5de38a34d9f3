"""The fill-in forms' specs: the submission's (附3/附4, 附5) or the tracking form's tables and rules,
under the form's own name, so the registry (:mod:`xjr_excel.forms`) knows a returned form for what it
is while validation checks it with exactly the rules of the city workbook's rows."""
from __future__ import annotations

from dataclasses import replace

from xjr_excel.fillin import layout as L
from xjr_excel.spec.definition import Spec

#: registry name of each kind of form (the tracking return form is not the tracking workbook)
NAMES = {L.ENTERPRISE: "enterprise", L.PLATFORM: "platform", L.TRACK: "track_form"}
KINDS = {v: k for k, v in NAMES.items()}
TRACK_WORKBOOK = "track"

_SPECS: dict[tuple[str, int], tuple[Spec, Spec]] = {}     # (kind, id(base)) → (base kept alive, spec)
_BASE: dict[int, Spec] = {}                               # id(form spec) → its submission spec


def submission_of(spec: Spec) -> Spec:
    """The submission spec a form spec was made from (a submission spec is its own)."""
    return _BASE.get(id(spec), spec)


def spec_for(kind: str, base: Spec) -> Spec:
    """The spec of ``kind`` made from the submission spec ``base`` (cached: specs are compared by identity)."""
    base = submission_of(base)
    key = (kind, id(base))
    if key not in _SPECS:
        name = NAMES[kind]
        if kind == L.TRACK:
            from xjr_excel.track.spec import track_spec_for
            src = track_spec_for(base)
            rules = tuple(replace(r, by=name) if r.by == TRACK_WORKBOOK else r for r in src.rules)
            spec = replace(src, form=name, rules=rules)
        else:
            spec = replace(base, form=name)
        _SPECS[key] = (base, spec)
        _BASE[id(spec)] = base
    return _SPECS[key][1]


def kind_of(spec: Spec) -> str | None:
    return KINDS.get(spec.form)
