"""The seam every form goes through: a form is declared once, as a :class:`Form`, and registered.

A *form* is one kind of workbook of the family: the submission (申报, 附1–附5), the tracking
workbook (跟踪表), later the enterprise and platform forms.  The stages (``read/``, ``validate/``,
``annotate/``, ``province/``, ``cli/``, ``ribbon.py``) never import a form's package and never ask
``spec.form == "…"``: they look the form up from the spec they were given (:func:`lookup`), or
recognise it from a workbook's sheets (:func:`recognise`), and call what the form declares.
Registered the way pandera registers its backends: a registry keyed by name.

How to add a form (say ``enterprise``)
---------------------------------------
1. A folder ``xjr_excel/enterprise/`` with its spec (``spec.py``: a function building its
   :class:`~xjr_excel.spec.definition.Spec` from the submission spec, ``form="enterprise"``; its rules
   in ``data/rules.toml`` as ``[[enterprise]]`` tables, read by ``spec.definition.rule_table(policy,
   "enterprise")``), and whatever it needs (its own checks, reader, merge).
2. ``xjr_excel/enterprise/form.py`` calling ``register(Form(name="enterprise", title="…", spec=…,
   recognise=…, …))``.  Keep that module light: import the form's heavy modules inside the functions
   (``xjr --help`` imports every registration to list ``--form`` choices).
3. One line: its module path in :data:`BUILTIN` below.
What the stages rely on in a form's spec: a sheet keyed ``cover`` (it may have no fields); the
reader's generic rules (ids ``file.*``, ``cell.*``, ``field.*``, ``cover.*``, taken from the submission
spec as ``track/spec.py`` does); a rule reported by the form's own :attr:`Form.checks` says
``by = "<form name>"`` (a rule any form shares names a ``@check`` of ``validate/rules.py``).  Every sheet
but ``guide`` gets the marks twin (``template/marks.py``), so findings there are filled red/orange.
Nothing else: ``xjr spec --form enterprise``, ``xjr validate``, the ribbon and ``xjr consolidate``
find it through this registry.  ``tests/test_forms.py`` registers a toy form in a test and runs it
through read, validate, annotate and merge: a model for a new form's first test.

Layering: this module sits below the stages (like :mod:`xjr_excel.model`) and imports none of them;
form packages sit above the stages (they use the stages' public names) and register here.
The built-in registrations are imported by module path (:data:`BUILTIN`), so no stage depends on a form.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable

#: the built-in forms, one registration module each (each calls :func:`register` when imported)
BUILTIN = (
    "xjr_excel.submission.form",
    "xjr_excel.track.form",
    "xjr_excel.fillin.form",
)
DEFAULT = "submission"          # the form of a workbook no other form recognises

Grid = list[list]
GridReader = Callable[[str], Grid]          # sheet name → its values (calamine's or xlwings' rows)


@dataclass(frozen=True)
class Form:
    """One form of the family, declared once.

    Only ``name``, ``title`` and ``spec`` are required; every other hook has the shared default.
    """
    name: str                                   # spec.form, --form, the key of the registry
    title: str                                  # Chinese, as users read it: 申报工作簿, 目标完成情况跟踪表
    spec: Callable[[Any], Any]                  # submission Spec → this form's Spec (cached by the form)
    #: (sheet names, grid reader) → is a workbook this form?  Read a marker sheet's grid only if names
    #: do not tell.  Works for calamine (read/) and a live xlwings Book (ribbon.py) alike.
    recognise: Callable[[list[str], GridReader], bool] | None = None
    priority: int = 0                           # higher is asked first; the DEFAULT form answers last
    record_sheet: str | None = None             # a sheet read whole and given to read_record
    read_record: Callable[[Grid | None], Any] | None = None   # grid → WorkbookData.record (None: no record)
    #: (path, spec, grid reader, sheet names) → WorkbookData: a reader of its own (label → value layouts);
    #: None: read_workbook's table reader
    read: Callable[[Any, Any, GridReader, list[str]], Any] | None = None
    checks: Callable[[Any], list] | None = None   # validate.rules.Ctx → findings, after the spec's rules, per workbook
    #: (book, findings, spec, now, **kw) → result: annotation of its own; None: the shared plan (annotate/)
    annotate: Callable[..., Any] | None = None
    merge_tables: Callable[[Any], tuple] | None = None   # Spec → the tables a city file's records come from
    #: the province merge: a province.model.MergeRun → the --json payload; None: not merged at the province
    merge: Callable[[Any], dict] | None = None
    #: payload → (title, column headers, rows of str) for the summary ``xjr consolidate`` prints
    summary: Callable[[dict], tuple[str, list[str], list[list[str]]]] | None = None
    aside_reason: str | None = None             # why a file of this form is left out of another form's merge

    def spec_for(self, base) -> Any:
        return self.spec(base)

    def tables_to_merge(self, spec) -> tuple:
        return tuple(self.merge_tables(spec)) if self.merge_tables else tuple(spec.tables)

    def reason_aside(self, kept: "Form") -> str:
        return self.aside_reason or (f"这是{self.title}，不是{kept.title}；{self.title}请单独合并。本文件未合并。")


@dataclass
class Recognised:
    """What :func:`recognise` found: the form, its spec, and its record (or None)."""
    form: Form
    spec: Any
    record: Any = None


_REGISTRY: dict[str, Form] = {}
_loaded = False


def register(form: Form) -> Form:
    """Add (or replace) ``form`` in the registry; returns it (so a module may keep it)."""
    _REGISTRY[form.name] = form
    return form


def unregister(name: str) -> None:
    """Remove a form (tests register toy forms and remove them again)."""
    _REGISTRY.pop(name, None)


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN:
            importlib.import_module(module)


_ACTIONS: dict[str, Callable[..., Any]] = {}


def register_action(name: str, fn: Callable[..., Any]) -> None:
    """A front-end action a form's package offers under ``name`` (the work behind a ribbon button that is
    not a hook of one form, e.g. the fill-in forms' 回收填报表): the front ends call :func:`action`,
    never importing the form's package."""
    _ACTIONS[name] = fn


def action(name: str) -> Callable[..., Any]:
    """The front-end action registered as ``name`` (KeyError when no form offers it)."""
    _load()
    return _ACTIONS[name]


def names() -> tuple[str, ...]:
    """The registered forms' names, the default first (``--form`` choices)."""
    _load()
    return tuple(sorted(_REGISTRY, key=lambda n: (n != DEFAULT, n)))


def all_forms() -> list[Form]:
    """Every form, in the order recognition asks them (priority, the default last)."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda f: (f.name == DEFAULT, -f.priority, f.name))


def lookup(name_or_spec) -> Form:
    """The form named ``name_or_spec`` (a name, or anything with a ``form`` attribute: a Spec)."""
    _load()
    name = name_or_spec if isinstance(name_or_spec, str) else getattr(name_or_spec, "form", DEFAULT)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown form {name!r}; registered: {', '.join(names())}") from None


def default() -> Form:
    return lookup(DEFAULT)


def recognise(base, sheet_names: Iterable[str], read_grid: GridReader) -> Recognised:
    """The form a workbook is, from its sheet names (and, when a form asks, one sheet's grid).

    ``base``: the submission spec (every form's spec is made from it); a spec of another form is
    taken as given (the caller knows).  ``read_grid(name)``: that sheet's values, read only if needed.
    """
    names_ = list(sheet_names)
    if base is not None and getattr(base, "form", DEFAULT) != DEFAULT:
        form = lookup(base)
    else:
        form = next((f for f in all_forms() if f.name != DEFAULT and f.recognise and f.recognise(names_, read_grid)),
                    None) or default()
    spec = form.spec_for(base)
    record = None
    if form.read_record is not None and form.record_sheet and form.record_sheet in names_:
        record = form.read_record(read_grid(form.record_sheet))
    return Recognised(form, spec, record)


def merged_form(forms_of_files: list[str]) -> Form:
    """The form a province merge is of: the one most readable files are (a tie: the default)."""
    counts: dict[str, int] = {}
    for name in forms_of_files:
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return default()
    best = max(counts.values())
    if counts.get(DEFAULT, 0) == best:
        return default()
    return lookup(min(n for n, c in counts.items() if c == best))
