"""The MIIT reference list: loading it, exact matching, and explanations users can act on."""
from __future__ import annotations

import pytest

from conftest_validate import write_xlsx
from xjr_excel.errors import InputRejected
from xjr_excel.read.names import Reference, load

PUBLISHED = ["南京精工机械股份有限公司", "南京中科微电子(集团)有限公司", "江苏恒远新材料科技有限公司"]


def test_load_xlsx_by_header(tmp_path):
    path = write_xlsx({"名单": [["工业和信息化部第三批专精特新“小巨人”企业名单"], [], ["序号", "省份", "企业名称"],
                                *[[i + 1, "江苏", n] for i, n in enumerate(PUBLISHED)]]}, tmp_path / "ref.xlsx")
    ref = load(path)
    assert ref.names == PUBLISHED


def test_load_csv_without_header_takes_the_first_text_column(tmp_path):
    path = tmp_path / "ref.csv"
    path.write_bytes(("\n".join(f"{i},{n},江苏" for i, n in enumerate(PUBLISHED))).encode("gb18030"))
    assert load(path).names == PUBLISHED


def test_load_refuses_an_empty_list(tmp_path):
    path = tmp_path / "ref.csv"
    path.write_text("1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(InputRejected):
        load(path)


def test_exact_name_passes():
    assert Reference(PUBLISHED).explain("南京精工机械股份有限公司") is None


def test_bracket_width_is_explained():
    msg = Reference(PUBLISHED).explain("南京中科微电子（集团）有限公司")
    assert "南京中科微电子(集团)有限公司" in msg and "括号的全角/半角" in msg


def test_stray_space_is_explained():
    msg = Reference(PUBLISHED).explain("南京精工机械 股份有限公司")
    assert "空格" in msg and "南京精工机械股份有限公司" in msg


def test_near_names_are_suggested():
    msg = Reference(PUBLISHED).explain("南京精工机械有限公司")
    assert msg.startswith("最接近的公布名称") and "南京精工机械股份有限公司" in msg


def test_unrelated_name_says_so():
    msg = Reference(PUBLISHED).explain("上海某某餐饮管理有限公司")
    assert "没有相近的名称" in msg


def test_only_close_names_are_suggested():
    msg = Reference(PUBLISHED).explain("南京精功机械股份有限公司")     # one wrong character
    assert "“南京精工机械股份有限公司”" in msg and "江苏恒远" not in msg
