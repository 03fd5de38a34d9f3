"""One name rule: every place that compares two enterprise names gives the same verdict.

附1↔附3↔附4 matching (rules), duplicate rows (schemas), the MIIT list (names) and the
provincial merge (province.model) once folded brackets differently; the same pair of
names must now be "the same enterprise" everywhere or nowhere.
"""
import pandas as pd
import pytest

from xjr_excel.province.model import norm_name
from xjr_excel.read.names import Reference
from xjr_excel.validate import rules, schemas

SAME = [
    ("南京中科微电子（集团）有限公司", "南京中科微电子(集团)有限公司"),        # full- vs half-width brackets
    ("南京中科微电子（集团）有限公司", "南京中科微电子 （集团） 有限公司"),     # stray spaces
    ("苏州【恒远】精密机械有限公司", "苏州[恒远]精密机械有限公司"),            # square bracket shapes
    ("苏州〔恒远〕精密机械有限公司", "苏州［恒远］精密机械有限公司"),
    ("ＡＢＣ新材料科技有限公司", "ABC新材料科技有限公司"),                    # full-width letters
]
DIFFERENT = [
    ("南京中科微电子（集团）有限公司", "南京中科微电子有限公司"),
    ("苏州恒远精密机械有限公司", "无锡恒远精密机械有限公司"),
]


def verdicts(a: str, b: str) -> dict[str, bool]:
    """Does each comparison take ``a`` and ``b`` for the same enterprise?"""
    explained = Reference([a]).explain(b)
    return {
        "附1↔附3 matching": rules._key(a) == rules._key(b),
        "duplicate rows": bool(schemas.dup_mask(pd.Series([a, b])).iloc[1]),
        "MIIT list": explained is None or explained.startswith("公布名称为"),
        "provincial merge": norm_name(a) == norm_name(b),
    }


@pytest.mark.parametrize("a,b", SAME)
def test_same_name_everywhere(a, b):
    got = verdicts(a, b)
    assert all(got.values()), got


@pytest.mark.parametrize("a,b", DIFFERENT)
def test_different_names_everywhere(a, b):
    got = verdicts(a, b)
    assert not any(got.values()), got


def test_the_list_says_why_for_square_brackets():
    text = Reference(["苏州【恒远】精密机械有限公司"]).explain("苏州[恒远]精密机械有限公司")
    assert text.startswith("公布名称为“苏州【恒远】精密机械有限公司”") and "括号" in text, text
