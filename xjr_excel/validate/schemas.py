"""pandera schemas generated from the spec: every per-field rule, one lazy pass per table.

Each field declaration (required, type, min/max, choices, max_len, unique)
becomes named ``pa.Check`` objects whose name is the spec rule id; the failure
cases pandera collects are turned back into findings at (sheet row, field) →
cell through :class:`~xjr_excel.model.TableData`.

Frames hold mixed Python objects (numbers, text, dates, ``Unparsed``), so the
checks work on masks: a value the reader could not parse fails only its type
check, never min/max/choice as well.
"""
from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from xjr_excel.read import normalize as N
from xjr_excel.spec import definition as S
from xjr_excel.model import Unparsed

# Where a field's own rule id replaces a generic one (same check, a message that says more).
CHOICE_RULE = {("a1", "miit_batch"): "a1.miit_batch", ("a3", "industry"): "a3.industry"}
# 序号 of 附1/附2 is checked as a sequence (a1.seq / a2.seq), blank included.
SEQ_RULE = {"a1": "a1.seq", "a2": "a2.seq"}


# ---------------------------------------------------------------- vectorised masks

def _flags(s: pd.Series, pred) -> pd.Series:
    vals = s.to_numpy(dtype=object)
    return pd.Series(np.fromiter((pred(v) for v in vals), dtype=bool, count=len(vals)), index=s.index)


# While one table is validated, each column's Unparsed reasons are computed once and shared by
# all its checks (formula error / type / choice), instead of one pass over the column per check.
_LOCAL = threading.local()      # per thread: the ribbon and a CLI run may validate side by side


def _reasons(s: pd.Series) -> np.ndarray:
    memo = getattr(_LOCAL, "reasons", None)
    if memo is not None and s.name in memo and len(memo[s.name]) == len(s):
        return memo[s.name]
    arr = np.array([v.reason if type(v) is Unparsed else "" for v in s.to_numpy(dtype=object)], dtype=object)
    if memo is not None:
        memo[s.name] = arr
    return arr


def unparsed_mask(s: pd.Series, reasons: tuple[str, ...] | None = None) -> pd.Series:
    r = _reasons(s)
    m = (r != "") if reasons is None else np.isin(r, reasons)
    return pd.Series(m.astype(bool), index=s.index)


def numbers(s: pd.Series) -> pd.Series:
    """The numeric values of ``s`` as float, NaN elsewhere (Unparsed, text, blank)."""
    memo = getattr(_LOCAL, "reasons", None)      # min and max checks of one column share it
    key = ("numbers", s.name)
    if memo is not None and key in memo and memo[key].index.equals(s.index):
        return memo[key]
    out = pd.to_numeric(s, errors="coerce").astype(float)
    if memo is not None:
        memo[key] = out
    return out


def texts(s: pd.Series) -> pd.Series:
    """The str values of ``s``, NaN elsewhere."""
    return s.where(_flags(s, lambda v: type(v) is str))


def char_counts(s: pd.Series) -> pd.Series:
    """Characters other than whitespace in each text value, NaN elsewhere."""
    return pd.Series([len("".join(v.split())) if type(v) is str else np.nan for v in s.to_numpy(dtype=object)],
                     index=s.index, dtype=float, name=s.name)


def dup_mask(s: pd.Series) -> pd.Series:
    """Later occurrences of a value already seen (compared ignoring width and spaces), within each
    workbook when many are stacked (validate.batch)."""
    keys = pd.Series([unique_key(v) for v in s.to_numpy(dtype=object)], index=s.index, dtype=object)
    owners = getattr(_LOCAL, "owners", None)
    if owners is not None:
        return keys.notna() & pd.DataFrame({"book": owners, "key": keys}).duplicated(keep="first")
    return keys.notna() & keys.duplicated(keep="first")


def unique_key(v):
    return N.fold(v) if isinstance(v, str) else None


# ---------------------------------------------------------------- the generated schema

def _check(rule: str, field: S.Field, fn) -> pa.Check:
    return pa.Check(fn, name=rule, error=rule, ignore_na=False, element_wise=False)


def field_checks(table: S.Table, f: S.Field) -> list[pa.Check]:
    checks = [
        _check("cell.formula_error", f, lambda s: ~unparsed_mask(s, ("formula_error",))),
    ]
    if f.required and not (f.key == "seq" and table.key in SEQ_RULE):
        checks.append(_check("field.required", f, lambda s: s.notna()))
    if f.type in (S.INT, S.NUMBER, S.PERCENT, S.DATE, S.YEAR):
        checks.append(_check("field.type", f, lambda s: ~unparsed_mask(s, ("type",))))
    if f.type in (S.CHOICE, S.INDUSTRY):
        rule = CHOICE_RULE.get((table.key, f.key), "field.choice")
        checks.append(_check(rule, f, lambda s: ~unparsed_mask(s, ("choice", "industry", "type"))))
    if f.min is not None and f.type != S.DATE:
        lo, excl = f.min, f.min_exclusive
        checks.append(_check("field.min", f, lambda s: ~((numbers(s) <= lo) if excl else (numbers(s) < lo))))
    if f.max is not None and f.type != S.DATE:
        hi = f.max
        checks.append(_check("field.max", f, lambda s: ~(numbers(s) > hi)))
    if f.max_len:
        lim = f.max_len
        checks.append(_check("field.max_len", f, lambda s: ~(char_counts(s) > lim)))
    if f.unique:
        checks.append(_check("field.unique", f, lambda s: ~dup_mask(s)))
    return checks


# Checks that look only at Unparsed cells: in a column holding none they cannot fail.
UNPARSED_ONLY = frozenset({"cell.formula_error", "field.type", "field.choice", *CHOICE_RULE.values()})


# Value types that are never NA (pandas notna is True): a column of only these has nothing blank.
NEVER_NA = frozenset({str, int, bool, dt.date, dt.datetime, dt.time, Unparsed})


@lru_cache(maxsize=256)
def table_schema(table: S.Table, clean: frozenset = frozenset(), full: frozenset = frozenset()) -> pa.DataFrameSchema:
    """The pandera schema of one spec table (columns optional: missing ones are reported by the reader).

    Checks that could not fail on the frame at hand are left out (most columns of most files:
    about half the checks): ``clean`` fields hold no Unparsed value (so no UNPARSED_ONLY check
    can fail), ``full`` fields no blank (so field.required cannot).
    """
    def could_fail(f: S.Field, check: pa.Check) -> bool:
        return not ((f.key in clean and check.name in UNPARSED_ONLY)
                    or (f.key in full and check.name == "field.required"))
    cols = {f.key: pa.Column(None, checks=[c for c in field_checks(table, f) if could_fail(f, c)],
                             nullable=True, required=False, coerce=False)
            for f in table.fields}
    return pa.DataFrameSchema(cols, name=table.key, strict=False, coerce=False)


def failures(table: S.Table, frame: pd.DataFrame, owners: pd.Series | None = None) -> pd.DataFrame:
    """(row, column, check) of every failed cell, from one lazy validation.

    ``owners``: the workbook of each row when ``frame`` stacks many (unique within each)."""
    if frame.empty:
        return pd.DataFrame(columns=["index", "column", "check"])
    _LOCAL.reasons = {}
    _LOCAL.owners = owners
    kinds = {k: set(map(type, frame[k].to_numpy(dtype=object))) for k in frame.columns}
    clean = frozenset(k for k, t in kinds.items() if Unparsed not in t)
    full = frozenset(k for k, t in kinds.items() if t <= NEVER_NA)
    try:
        table_schema(table, clean, full).validate(frame, lazy=True, inplace=True)   # no coercion: no copy needed
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        fc = fc[fc["index"].notna() & fc["column"].notna()]
        return fc[["index", "column", "check"]].astype({"index": int})
    finally:
        _LOCAL.reasons = _LOCAL.owners = None
    return pd.DataFrame(columns=["index", "column", "check"])
