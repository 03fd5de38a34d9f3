"""The forms registry (xjr_excel/forms.py): the built-in forms, and a toy third form registered only
here that goes through read, validate, annotate and merge without a stage knowing it exists."""
from __future__ import annotations

import json

import openpyxl
import pytest

from xjr_excel import forms
from xjr_excel.spec import definition as S

TOY = "toy"


def test_the_built_in_forms_are_registered_with_the_default_first():
    assert forms.names()[:1] == ("submission",)
    assert {"submission", "track"} <= set(forms.names())
    sub = S.get_spec()
    assert forms.lookup(sub).name == "submission"
    track = forms.lookup("track").spec_for(sub)
    assert track.form == "track" and forms.lookup(track).name == "track"
    with pytest.raises(KeyError):
        forms.lookup("no-such-form")


def test_recognise_needs_no_grid_unless_a_form_asks_and_reads_the_record_when_there():
    sub = S.get_spec()
    asked = []

    def grid(name):
        asked.append(name)
        return [["row", "name"], [7, "甲公司"], ["period", "满一年"]]

    plain = forms.recognise(sub, ["封面", "附1"], grid)
    assert plain.form.name == "submission" and plain.spec is sub and plain.record is None and asked == []
    track = forms.recognise(sub, ["封面", "目标完成情况", "_xjr_track"], grid)
    assert track.form.name == "track" and track.spec.form == "track"
    assert asked == ["_xjr_track"] and track.record.rows == {7: {"name": "甲公司"}} and track.record.period == "满一年"


def test_the_spec_command_offers_every_registered_form(capsys):
    from xjr_excel.cli.main import build_parser
    forms.register(forms.Form(name=TOY, title="玩具表", spec=lambda base: base))
    try:
        args = build_parser().parse_args(["spec", "--form", TOY])
        assert args.form == TOY
    finally:
        forms.unregister(TOY)


# ---------------------------------------------------------------- a toy third form

SHEET = "玩具清单"


def _toy_spec(base):
    generic = tuple(r for r in base.rules if r.id.startswith(("file.", "cell.", "field.", "cover.")))
    table = S.Table(TOY, "T_Toy", TOY, "玩具清单", (S.Field("name", "名称", S.TEXT, width=20),
                                                    S.Field("amount", "数量", S.INT, required=False)),
                    header_row=2, template_rows=5, record="玩具", key_field="name")
    return S.Spec(policy=base.policy, sheets=(S.Sheet("cover", "封面", "", "填报信息"), S.Sheet(TOY, SHEET, "", "玩具清单")),
                  cover=(), plan_items=(), plan_limits={}, tables=(table,), indicators=(), periods=(),
                  rules=generic + (S.Rule("toy.positive", "error", TOY, "玩具规则", "“{field}”应大于0，当前为“{value}”。",
                                          by=TOY),), form=TOY)


_SPECS: dict[int, S.Spec] = {}


def _spec(base):
    return base if base.form == TOY else _SPECS.setdefault(id(base), _toy_spec(base))


def _checks(ctx):
    td = ctx.table(TOY)
    start = len(ctx.out)
    if td is not None:
        for row, v in td.frame["amount"].items():
            if isinstance(v, (int, float)) and v <= 0:
                ctx.add("toy.positive", td, row, "amount")
    return ctx.out[start:]


def _merge(run):
    """Count the toys of every city into a one-sheet workbook."""
    from xjr_excel.province.consolidate import choose_per_city
    chosen, _ = choose_per_city(run.read)
    wb = openpyxl.Workbook()
    wb.active.append(["城市", "玩具"])
    cities = []
    for cf in chosen:
        n = len(cf.tables[TOY].rows)
        wb.active.append([cf.city, n])
        cities.append({"city": cf.city, "file": cf.name, "status": cf.status, "toys": n})
    wb.save(run.output)
    return {"form": TOY, "cities": cities, "duplicates": [], "skipped": run.skipped,
            "province": {"province": run.province, "output": str(run.output)}}


def _summary(payload):
    return "玩具汇总", ["城市", "玩具"], [[c["city"], str(c["toys"])] for c in payload["cities"]]


@pytest.fixture
def toy_form():
    form = forms.register(forms.Form(
        name=TOY, title="玩具表", spec=_spec, recognise=lambda names, grid: SHEET in names, priority=5,
        checks=_checks, merge=_merge, summary=_summary))
    yield form
    forms.unregister(TOY)


def _toy_book(path, rows):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    ws = wb.create_sheet(SHEET)
    ws.append(["玩具清单"])
    ws.append(["名称", "数量"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_a_toy_form_goes_through_read_validate_annotate_and_merge(toy_form, tmp_path, capsys):
    from xjr_excel.annotate.backends.openpyxl_book import annotate_workbook
    from xjr_excel.cli.consolidate_cmd import print_summary
    from xjr_excel.province.consolidate import consolidate
    from xjr_excel.validate.run import validate_file

    path = _toy_book(tmp_path / "南京市.xlsx", [("积木", 3), ("风筝", 0), ("陀螺", 2)])
    data, found = validate_file(path)
    assert data.spec.form == TOY
    assert list(data.tables[TOY].frame["name"]) == ["积木", "风筝", "陀螺"]
    assert [(f.rule, f.sheet, f.cell, f.value) for f in found] == [("toy.positive", SHEET, "B4", "0")]
    assert "“数量”应大于0，当前为“0”" in found[0].message

    wb = openpyxl.load_workbook(path)
    annotate_workbook(wb, found, data.spec)
    assert wb[SHEET]["B4"].comment is not None and "数量" in wb[SHEET]["B4"].comment.text
    assert "校验结果" in wb.sheetnames
    from xjr_excel.template import marks as M      # the cell is filled red through its marks twin
    assert M.marked_cells(wb)[M.marks_sheet_name(TOY)] == {"B4": M.SEVERITY_CODE["error"]}

    _toy_book(tmp_path / "常州市.xlsx", [("积木", 1)])
    out = tmp_path / "out" / "全省.xlsx"
    out.parent.mkdir()
    payload = consolidate([tmp_path], out, province="江苏省", jobs=1, progress=False)
    assert payload["form"] == TOY
    assert {c["city"]: (c["toys"], c["status"]) for c in payload["cities"]} == {"南京市": (3, "有错误"),
                                                                                 "常州市": (1, "合格")}
    assert [list(r) for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True)] == \
        [["城市", "玩具"], ["南京市", 3], ["常州市", 1]]      # collate: by code point
    json.dumps(payload, ensure_ascii=False, default=str)
    print_summary(payload)
    assert "玩具汇总" in capsys.readouterr().out
