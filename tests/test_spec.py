"""The spec is the one source of truth: check what `xjr spec --json` promises."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from xjr_excel.spec.policy import chinese_number, load_policy
from xjr_excel.spec.definition import get_spec


def spec_json(*extra):
    out = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "spec", "--json", *extra],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.slow
def test_spec_json_describes_every_table_column():
    data = spec_json()
    names = {t["table_name"] for t in data["tables"]}
    assert {"T1_KeyEnterprises", "T2_Platforms", "T3_Enterprises", "T4_Targets", "T5_Basic",
            "T5_Operations", "T5_Resources", "T5_ServiceTotals", "T5_Served"} <= names
    for t in data["tables"]:
        assert t["table_name"].isascii() and t["table_name"].replace("_", "").isalnum()
        assert t["sheet"] and isinstance(t["header_row"], int) and t["header_row"] >= 1
        keys = [c["key"] for c in t["columns"]]
        assert len(keys) == len(set(keys)), f"duplicate keys in {t['table_name']}"
        headers = [c["header"] for c in t["columns"]]
        assert len(headers) == len(set(headers)), f"Excel tables need unique headers: {t['table_name']}"
        for c in t["columns"]:
            assert {"key", "header", "type", "required", "choices"} <= c.keys()


@pytest.mark.slow
def test_a4_has_13_indicators_by_three_periods():
    a4 = next(t for t in spec_json()["tables"] if t["table_name"] == "T4_Targets")
    indicator_cols = [c for c in a4["columns"] if c.get("indicator")]
    assert len(indicator_cols) == 13 * 3
    assert {c["period"] for c in indicator_cols} == {"i0", "y1", "y2"}


@pytest.mark.slow
def test_policy_values_flow_from_the_configuration(tmp_path):
    """A new year's batch changes policy.toml only; the spec follows."""
    src = Path(load_policy().data_dir) / "policy.toml"
    text = src.read_text(encoding="utf-8")
    changed = (text.replace("published_batches = 8", "published_batches = 9")
                   .replace("intro = 500", "intro = 600")
                   .replace("rd_share_min = 4 ", "rd_share_min = 5 "))
    assert changed != text
    custom = tmp_path / "policy.toml"
    custom.write_text(changed, encoding="utf-8")
    data = spec_json("--policy", str(custom))
    a1 = next(t for t in data["tables"] if t["key"] == "a1")
    assert a1["columns"][2]["choices"][-1] == "第九批"
    a3 = next(t for t in data["tables"] if t["key"] == "a3")
    intro = next(c for c in a3["columns"] if c["key"] == "intro")
    assert intro["max_len"] == 600 and "600" in intro["header"]
    rule = next(r for r in data["rules"] if r["id"] == "a4.rd_share")
    assert "5%" in rule["message"]
    rule = next(r for r in data["rules"] if r["id"] == "a1.miit_batch")
    assert "第一批至第九批" in rule["message"]


def test_rule_messages_are_filled_from_the_policy():
    """data/rules.toml names policy values as {policy.PATH}; the built spec holds the values."""
    from xjr_excel.track.spec import track_spec_for
    spec = get_spec()
    track = track_spec_for(spec)
    for r in spec.rules + track.rules:
        assert "{policy." not in r.message + r.clause, r.id
    e = spec.policy.eligibility
    assert f"低于{e['rd_share_min']}%" in spec.rule("a4.rd_share").message
    assert spec.rule("a3.size_staff").clause == spec.policy.raw["size_standard"]["name"]
    assert "“实施期”应为满一年或满两年，" in track.rule("track.period").message
    assert "{value}" in track.rule("track.period").message        # filled when the rule fires
    with pytest.raises(KeyError, match=r"\{policy\.eligibility\.nothing\}"):
        spec.policy.fill("须≥{policy.eligibility.nothing}")


def test_every_rule_has_a_known_severity_and_a_chinese_message():
    spec = get_spec()
    ids = [r.id for r in spec.rules]
    assert len(ids) == len(set(ids))
    for r in spec.rules:
        assert r.severity in ("error", "warning")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.message)


def test_industry_and_size_reference_data_are_packaged():
    policy = get_spec().policy
    assert len(policy.industries) == 97
    assert policy.size_band("34").medium_min == 300
    assert policy.size_band("65").small_min == 10
    assert policy.size_band("99").group == "其他未列明行业"
    assert policy.history_years(2026) == [2025, 2024]


@pytest.mark.parametrize("n,text", [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (31, "三十一")])
def test_chinese_batch_numbers(n, text):
    assert chinese_number(n) == text
