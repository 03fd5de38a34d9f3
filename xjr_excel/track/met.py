"""When is a target met: one rule (policy [tracking]), in Python and as the sheet's live formula."""
from __future__ import annotations

import operator

from xjr_excel.read import normalize as N
from xjr_excel.spec.definition import Indicator
from xjr_excel.spec.policy import Policy
from xjr_excel.template.layout import excel_string


# policy [tracking].met_number → (Python test, Excel operator)
NUMBER_TESTS = {">=": (operator.ge, ">="), ">": (operator.gt, ">")}


def _number_test(policy: Policy):
    return NUMBER_TESTS[policy.raw["tracking"]["met_number"]]


def order(policy: Policy, ind: Indicator) -> list[str] | None:
    """The ranking of a choice indicator (None: a number, met when actual ≥ target)."""
    return policy.raw["tracking"]["met_order"].get(ind.key)


def rank(items: list[str], value) -> int:
    """1-based rank of the longest item ``value`` starts with (「已递交申请书（2026年3月）」 ranks as
    已递交申请书); 0 for anything else."""
    if not isinstance(value, str):
        return 0
    t = N.squash(N.half_width(value))
    best = 0
    for i, item in sorted(enumerate(items, start=1), key=lambda p: -len(p[1])):
        if t.startswith(N.squash(item)):
            best = i
            break
    return best


def is_met(policy: Policy, ind: Indicator, target, actual) -> bool | None:
    """True/False, or None when either side is blank or not a value of the indicator's type."""
    items = order(policy, ind)
    if items is not None:
        rt, ra = rank(items, target), rank(items, actual)
        if not rt or not ra:
            return None
        return ra >= rt
    if not _number(target) or not _number(actual):
        return None
    return _number_test(policy)[0](actual, target)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _rank_formula(items: list[str], ref: str) -> str:
    """Excel: the rank of the cell ``ref`` (longest item first, as :func:`rank`)."""
    expr = "0"
    for i, item in sorted(enumerate(items, start=1), key=lambda p: len(p[1])):
        lit = excel_string(item)
        expr = f"IF(LEFT(TRIM({ref}),LEN({lit}))={lit},{i},{expr})"
    return expr


def met_formula(policy: Policy, ind: Indicator, target: str, actual: str) -> str:
    """The 完成 cell: blank until the actual is filled, then 是/否 by the same rule as :func:`is_met`."""
    yes, no = (excel_string(c) for c in policy.choices["yes_no"])
    items = order(policy, ind)
    if items is not None:
        test = f"{_rank_formula(items, actual)}>={_rank_formula(items, target)}"
    else:
        test = f"AND(ISNUMBER({actual}),{actual}{_number_test(policy)[1]}{target})"
    return f'=IF({actual}="","",IF({test},{yes},{no}))'


def met_columns(policy: Policy, ind: Indicator, targets, actuals):
    """:func:`is_met` over whole columns (pandas Series): (known, met) boolean numpy arrays."""
    import numpy as np
    import pandas as pd
    items = order(policy, ind)
    if items is not None:
        def ranked(s):
            values = list(s)
            ranks = {v: rank(items, v) for v in set(v for v in values if isinstance(v, str))}   # per distinct value
            return np.array([ranks.get(v, 0) if isinstance(v, str) else 0 for v in values], dtype=int)
        rt, ra = ranked(targets), ranked(actuals)
        return (rt > 0) & (ra > 0), ra >= rt

    def nums(s):
        return pd.Series([v if _number(v) else np.nan for v in s], dtype=float).to_numpy()
    t, a = nums(targets), nums(actuals)
    known = ~np.isnan(t) & ~np.isnan(a)
    with np.errstate(invalid="ignore"):
        return known, _number_test(policy)[0](a, t) & known
