"""Validate many workbooks as one: every table stacked over the workbooks, each rule run once.

Checking a city file costs mostly pandas' fixed price per call (a 50-row frame costs
nearly what a 5,000-row one does), so a province's files are validated together:

* each spec table is stacked over the workbooks that have it, in workbook order,
  with the workbook's number as the key of every row (:class:`Stacked`);
* the per-field schemas and the row-wise rules run once over the stacks
  (:class:`StackCtx` hands each finding back to its own workbook, sheet and cell);
* rules that compare a workbook's tables with each other or count per workbook
  (:data:`PER_BOOK`), and a form's own checks (:attr:`xjr_excel.forms.Form.checks`), run on each workbook alone
  (:func:`per_book`; consolidate runs them in the worker process that read the file).

Workbooks whose covers name different batches are stacked apart (the 成长性 rule
depends on the batch), and so are workbooks of different forms (specs).  The findings of each workbook are exactly what
:func:`xjr_excel.validate.run.validate` returns for it alone (tests/test_batch.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xjr_excel import forms
from xjr_excel.model import Finding, TableData, WorkbookData
from xjr_excel.read import normalize as N
from xjr_excel import findings as F
from xjr_excel.validate import rules as R

# Checks declared @check(per_book=True) (several tables of one workbook, its cover, or its rows in
# sequence): run per workbook (they cost a millisecond or two each).
PER_BOOK = frozenset(fn for fn in R.CHECKS.values() if fn.per_book)


@dataclass
class Stacked(TableData):
    """One spec table of many workbooks: ``frame``/``raw`` rows numbered 0…n-1 in stack order."""
    owner: pd.Series = None                       # workbook number of each stacked row
    sheet_rows: np.ndarray = None                 # that row's number on its own sheet
    parts: dict[int, TableData] = field(default_factory=dict)   # workbook number → its table

    def cell(self, row: int, key: str) -> str:
        return self.parts[int(self.owner.iat[row])].cell(int(self.sheet_rows[row]), key)


def stack(books: dict[int, WorkbookData], key: str) -> Stacked | None:
    """Table ``key`` of every workbook that has it (None: none has)."""
    parts = {i: d.tables[key] for i, d in books.items() if d.tables.get(key) is not None and d.tables[key].sheet}
    if not parts:
        return None
    first = next(iter(parts.values()))
    keys = list(first.frame.columns)
    sizes = [len(td.frame) for td in parts.values()]
    n = sum(sizes)

    def block(attr: str) -> pd.DataFrame:
        arr = np.empty((n, len(keys)), dtype=object)
        if n:
            arr[:, :] = np.concatenate([_values(getattr(td, attr), keys) for td in parts.values()])
        return pd.DataFrame(arr, index=pd.RangeIndex(n, name="row"), columns=keys, dtype=object)

    owner = pd.Series(np.repeat(np.fromiter(parts, dtype=np.int64, count=len(parts)), sizes),
                      index=pd.RangeIndex(n, name="row"))
    rows = np.concatenate([td.frame.index.to_numpy(dtype=np.int64) for td in parts.values()]) if n else \
        np.empty(0, dtype=np.int64)
    columns: dict[str, int] = {}
    for td in parts.values():
        for k, c in td.columns.items():
            columns.setdefault(k, c)
    return Stacked(table=first.table, sheet=first.table.sheet, frame=block("frame"), raw=block("raw"),
                   columns=columns, owner=owner, sheet_rows=rows, parts=parts)


def _values(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    if list(frame.columns) != keys:       # the reader writes every table's columns in spec order
        frame = frame[keys]
    return frame.to_numpy(dtype=object)


class StackCtx(R.Ctx):
    """A rule context over stacked tables; each finding goes to the context of the workbook it is in."""

    def __init__(self, stacked: WorkbookData, books: dict[int, R.Ctx], batch: int | None):
        super().__init__(stacked, names=next(iter(books.values())).names, today=next(iter(books.values())).today)
        self.books = books
        self._batch = batch

    @property
    def batch(self) -> int | None:
        return self._batch

    def owners(self, td: TableData):
        return td.owner

    def column_found(self, td: TableData, row: int, key: str) -> bool:
        return key in td.parts[int(td.owner.iat[row])].columns

    def add(self, rule: str, td: TableData, row: int | None, key: str, value=None, **ph) -> None:
        if row is None:
            raise AssertionError(f"{rule}: a whole-table finding belongs to a check declared @check(per_book=True)")
        i = int(td.owner.iat[row])
        if value is None:
            value = self.raw(td, row, key)
        self.books[i].add(rule, td.parts[i], int(td.sheet_rows[row]), key, value=value, **ph)


def per_book(data: WorkbookData, *, today: dt.date | None = None) -> list[Finding]:
    """The findings of the :data:`PER_BOOK` rules on one workbook: a worker process runs them while it
    reads, the stacked rest runs in :func:`validate_many` (none of them needs the names list)."""
    ctx = R.Ctx(data, today=today or dt.date.today())
    N.name_key.cache_clear()
    try:
        for impl in R.implementations():
            if impl in PER_BOOK:
                impl(ctx)
        checks = forms.lookup(data.spec).checks
        if checks is not None:          # the form's own per-workbook checks, as validate() runs them
            checks(ctx)
    finally:
        N.name_key.cache_clear()
    return ctx.out


def validate_many(books: list[WorkbookData], names=None, *, today: dt.date | None = None,
                  per_book_found: list[list[Finding]] | None = None) -> list[list[Finding]]:
    """The findings of each workbook (same as ``validate`` of each alone), validated together.

    ``per_book_found``: each workbook's :func:`per_book` findings when already made (same ``today``)."""
    if names is not None and not hasattr(names, "explain"):
        from xjr_excel.read.names import load
        names = load(names)
    today = today or dt.date.today()
    ctxs = [R.Ctx(d, names=names, today=today) for d in books]
    if not books:
        return []
    groups: dict[tuple, dict[int, R.Ctx]] = {}
    for i, c in enumerate(ctxs):        # one stack per spec (form) and batch
        groups.setdefault((id(c.data.spec), c.batch), {})[i] = c
    stacks = []
    for (_, batch), group in groups.items():
        spec = next(iter(group.values())).data.spec
        datas = {i: c.data for i, c in group.items()}
        tables = {t.key: s for t in spec.tables if (s := stack(datas, t.key)) is not None}
        stacked = WorkbookData(file="", spec=spec, tables=tables, cover={}, cover_cells={})
        stacks.append(StackCtx(stacked, group, batch))
    done = per_book_found if per_book_found is not None else [per_book(d, today=today) for d in books]
    N.name_key.cache_clear()      # as run_all: the memo serves this validation only
    try:
        for impl in R.implementations():
            if impl not in PER_BOOK:
                for s in stacks:
                    impl(s)
    finally:
        N.name_key.cache_clear()
    return [F.sort_findings(list(d.findings) + found + c.out, d.sheet_names)
            for d, c, found in zip(books, ctxs, done)]
