"""The 小巨人 tab: well-formed ribbon XML whose every button reaches a real VBA Sub and Python function."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from defusedxml import ElementTree as ET

from xjr_excel import ribbon
from xjr_excel.template import xlsm as xlsm

MACROS = Path(__file__).resolve().parents[1] / "macros"
NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _xml():
    raw = (MACROS / "customUI14.xml").read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    raw.decode("utf-8")
    return ET.fromstring(raw)


def _vba() -> str:
    return "\n".join(p.read_bytes().decode("ascii") for p in sorted(MACROS.glob("*.bas")))


def _public_subs(vba: str) -> dict[str, str]:
    """Public Sub name → body."""
    out = {}
    for m in re.finditer(r"^Public Sub (\w+)\(([^)]*)\)\r?\n(.*?)^End Sub", vba, re.M | re.S):
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def py_string(s: str) -> str:
    """Mirror of PyString in XjrRibbon.bas: letters/digits kept, every other UTF-16 unit as \\uXXXX."""
    units = s.encode("utf-16-le")
    out = []
    for i in range(0, len(units), 2):
        code = int.from_bytes(units[i:i + 2], "little")
        ch = chr(code)
        out.append(ch if ch.isascii() and ch.isalnum() else f"\\u{code:04X}")
    return "'" + "".join(out) + "'"


def py_command(py_call: str) -> str:
    """The Python that XjrRibbon.bas's PyCommand builds for ``py_call``, evaluated from the VBA source."""
    body = re.search(r"Function PyCommand\(pyCall As String\) As String\r?\n(.*?)End Function", _vba(), re.S).group(1)
    expr = re.search(r"PyCommand = (.*)", re.sub(r" _\r?\n\s*", " ", body)).group(1)
    texts = dict(xlsm.VBA_MESSAGES)
    out = []
    for lit, name, key in re.findall(r'"((?:[^"]|"")*)"|(pyCall)|PyString\(XjrText\("(\w+)"\)\)', expr):
        out.append(py_call if name else py_string(texts[key]) if key else lit.replace('""', '"'))
    return "".join(out)


def test_ribbon_xml_is_a_customui14_tab_named_xiaojuren():
    root = _xml()
    assert root.tag == f"{NS}customUI"
    tabs = root.findall(f".//{NS}tab")
    assert [t.get("label") for t in tabs] == ["小巨人"]


def test_buttons_are_large_with_icons_and_chinese_tips():
    buttons = _xml().findall(f".//{NS}button")
    assert {b.get("label") for b in buttons} == {"校验", "清除标记", "合并汇总", "打开校验结果", "帮助", "生成填报表", "回收填报表"}
    for b in buttons:
        assert b.get("size") == "large", b.get("id")
        assert re.fullmatch(r"[A-Za-z]\w+", b.get("imageMso") or ""), b.get("id")
        assert CJK.search(b.get("screentip") or ""), b.get("id")
        assert CJK.search(b.get("supertip") or ""), b.get("id")
    ids = [e.get("id") for e in _xml().iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    keytips = [b.get("keytip") for b in buttons]
    assert len(keytips) == len(set(keytips))


def test_every_onaction_is_a_public_sub_taking_the_control():
    subs = _public_subs(_vba())
    actions = [b.get("onAction") for b in _xml().findall(f".//{NS}button")]
    assert all(actions)
    for name in actions:
        assert name in subs, f"onAction {name} has no Public Sub in macros/"
        params = subs[name][0]
        assert re.fullmatch(r"\s*(ByVal\s+)?control As (IRibbonControl|Object)\s*", params), params


def test_callbacks_are_thin_and_reach_python_functions_that_exist():
    subs = _public_subs(_vba())
    called = set()
    for name, (_params, body) in subs.items():
        lines = [ln for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("'")]
        assert len(lines) <= 16, f"{name} is not thin"
        for fn in re.findall(r'XjrRun "(\w+)\(', body):
            called.add(fn)
    assert called == {"validate", "clear", "consolidate", "forms", "collect"}
    for fn in called:
        assert callable(getattr(ribbon, fn))
    # What RunPython runs is real Python, for every call the buttons make.
    for fn in called:
        ast.parse(py_command(f"{fn}()"))


def test_vba_shows_no_text_of_its_own():
    vba = _vba()
    assert not re.search(r'MsgBox\s+"', vba), "user-visible text must come from Python or the ribbon XML"
    keys = set(re.findall(r'XjrText\("(\w+)"\)', vba)) | set(re.findall(r'Const \w+_KEY As String = "(\w+)"', vba))
    known = dict(xlsm.VBA_MESSAGES)
    assert keys and keys <= set(known), keys - set(known)
    for key in keys:
        assert known[key].strip()


def test_path_escaping_scheme_round_trips_through_python():
    vba = _vba()
    assert r'"\u" & Right$("000" & Hex$(code), 4)' in vba
    for path in (r"C:\Users\张三\Desktop\2026 小巨人\南京市 (终稿).xlsx",
                 r"\\server\共享\it's 100%&^!.xlsm", "D:\\𠀀市.xlsx"):
        text = py_string(path)
        assert text.isascii() and '"' not in text and "%" not in text
        assert ribbon.from_vba(ast.literal_eval(text)) == path


# The parts of the customUI 2009/07 schema this file uses: nesting, attribute names, value forms.
ALLOWED = {
    "customUI": ({"ribbon"}, set()),
    "ribbon": ({"tabs"}, set()),
    "tabs": ({"tab"}, set()),
    "tab": ({"group"}, {"id", "label", "keytip"}),
    "group": ({"button"}, {"id", "label"}),
    "button": (set(), {"id", "label", "size", "imageMso", "onAction", "keytip", "screentip", "supertip"}),
}


def test_ribbon_xml_follows_the_customui_schema_for_what_it_uses():
    root = _xml()

    def walk(el):
        tag = el.tag.replace(NS, "")
        assert el.tag.startswith(NS) and tag in ALLOWED, el.tag
        children, attrs = ALLOWED[tag]
        assert set(el.attrib) <= attrs, (tag, set(el.attrib) - attrs)
        for a in ("label", "screentip", "supertip"):
            if a in el.attrib:
                assert 1 <= len(el.get(a)) <= 1024
        if "id" in el.attrib:
            assert re.fullmatch(r"[A-Za-z_][\w.-]*", el.get("id"))
        if "keytip" in el.attrib:
            assert re.fullmatch(r"[A-Z0-9]{1,3}", el.get("keytip"))
        if "size" in el.attrib:
            assert el.get("size") in ("normal", "large")
        for child in el:
            assert child.tag.replace(NS, "") in children, (tag, child.tag)
            walk(child)

    walk(root)


def test_first_click_runs_the_button_when_the_package_is_installed(monkeypatch):
    """The command RunPython runs (Python started once, by that click) calls the ribbon function."""
    ran = []
    monkeypatch.setattr(ribbon, "validate", lambda book=None: ran.append("validate"))
    exec(py_command("validate()"), {})
    assert ran == ["validate"]


def test_first_click_says_how_to_install_when_the_package_is_missing(monkeypatch):
    """No xjr_excel in that Python: the user reads the install text (xlwings.conf), not a traceback."""
    import importlib.util
    import sys
    import types

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xjr_excel" else real(name, *a))
    shown = []
    app = types.SimpleNamespace(alert=lambda text, title=None, mode=None: shown.append((text, title, mode)))
    fake = types.SimpleNamespace(Book=types.SimpleNamespace(caller=lambda: types.SimpleNamespace(app=app)))
    monkeypatch.setitem(sys.modules, "xlwings", fake)
    monkeypatch.setattr(ribbon, "validate", lambda book=None: shown.append("ran anyway"))
    exec(py_command("validate()"), {})
    texts = dict(xlsm.VBA_MESSAGES)
    assert shown == [(texts["XJR_NO_PACKAGE"], texts["XJR_TITLE"], "critical")]


def test_python_starts_once_and_stays_running():
    """The first RunPython starts Python (no separate readiness check); it then serves later clicks."""
    vba = _vba()
    assert "WScript.Shell" not in vba and "PythonReady" not in vba
    assert dict((k.upper(), v) for k, v in xlsm.XLWINGS_SETTINGS)["USE UDF SERVER"] is True
