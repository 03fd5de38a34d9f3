"""The tracking form's spec: the same :class:`~xjr_excel.spec.definition.Spec` objects as the
submission (sheets, cover, one table, rules), so the reader, the generated pandera schemas, the
annotator and the ribbon work on it unchanged.

One row per enterprise; for each of 附4's 13 indicators four columns: 初始值 and 目标值 (written
from the approved submission, locked), 实际值 (the city fills it in) and 完成 (a live formula).
"""
from __future__ import annotations


from xjr_excel.spec import definition as S
from xjr_excel.spec.definition import CoverField, Field, Rule, Sheet, Spec, Table
from xjr_excel.spec.policy import Policy
from xjr_excel.track.names import FORM, RECORD_SHEET, TABLE  # noqa: F401 - named there, used here and by importers

PERIODS = (("i0", "初始值"), ("target", "目标值"), ("actual", "实际值"), ("met", "完成"))
LOCKED_PERIODS = ("i0", "target")
LOCKED_KEYS = ("name", "credit_code")     # with every i0/target column


def period_label(policy: Policy, period: int) -> str:
    """1 → 满一年, 2 → 满两年 (policy [tracking].periods)."""
    try:
        return policy.raw["tracking"]["periods"][str(period)]["label"]
    except KeyError:
        known = "、".join(policy.raw["tracking"]["periods"])
        raise ValueError(f"实施期应为{known}（满一年为1，满两年为2），当前为“{period}”。") from None


def period_labels(policy: Policy) -> tuple[str, ...]:
    return tuple(p["label"] for p in policy.raw["tracking"]["periods"].values())


def _sheets() -> tuple[Sheet, ...]:
    return (
        Sheet("guide", "填报说明", "", "跟踪表填报说明", landscape=False),
        Sheet("cover", "封面", "", "填报信息", landscape=False),
        Sheet(TABLE, "目标完成情况", "跟踪表", "重点“小巨人”企业目标完成情况表",
              aliases=("目标完成情况表", "完成情况")),
    )


def _cover(policy: Policy) -> tuple[CoverField, ...]:
    labels = "/".join(period_labels(policy))
    return (
        CoverField("city", "城市", S.TEXT, "XJR_City", hint="设区市全称，与申报材料一致"),
        CoverField("batch", "批次", S.INT, "XJR_Batch", hint="本市第几批支持工作（与申报材料一致）"),
        CoverField("year", "申报年度", S.YEAR, "XJR_Year", hint="申报材料的申报年度"),
        CoverField("period", "实施期", S.TEXT, "XJR_Period", hint=f"{labels}（生成时写入，请勿修改）"),
        CoverField("department", "市级中小企业主管部门", S.TEXT, "XJR_Dept", hint="部门全称"),
        CoverField("contact", "联系人", S.TEXT, "XJR_Contact"),
        CoverField("phone", "联系电话", S.TEXT, "XJR_Phone", hint="座机含区号或11位手机号"),
        CoverField("filled_on", "填报日期", S.DATE, "XJR_Date", hint="日期，如：2027-06-30"),
    )


def locked(f: Field) -> bool:
    return f.key in LOCKED_KEYS or f.period in LOCKED_PERIODS


def _table(policy: Policy, indicators) -> Table:
    fields = [
        Field("name", "企业名称", S.TEXT, unique=True, width=30, hint="来自批准的申报材料（附4），已锁定，请勿修改"),
        Field("credit_code", "统一社会信用代码", S.CREDIT_CODE, width=21, required=False,
              hint="来自批准的申报材料（附3），已锁定"),
    ]
    for ind in indicators:
        common = dict(choices=ind.choices, strict_choices=ind.strict, group=ind.group, indicator=ind.key)
        for period, label in PERIODS:
            header = f"{ind.short}\n{label}"
            if period == "met":
                fields.append(Field(f"{ind.key}_met", header, S.CHOICE, tuple(policy.choices["yes_no"]),
                                    required=False, width=7, group=ind.group, indicator=ind.key, period=period,
                                    formula="met", hint="自动计算：实际值达到目标值为“是”"))
            elif period == "actual":
                fields.append(Field(f"{ind.key}_actual", header, ind.type, min=ind.min, max=ind.max,
                                    width=12 if ind.type != S.CHOICE else 14, period=period,
                                    hint=("必填。" + ind.hint)[:200], **common))
            else:     # locked: checked against the record, not against 附4's bounds (the city cannot fix them)
                fields.append(Field(f"{ind.key}_{period}", header, ind.type, required=False,
                                    width=10 if ind.type != S.CHOICE else 12, period=period,
                                    hint="来自批准的申报材料（附4），已锁定", **common))
    lim = policy.raw["tracking"]["reason_max_len"]
    fields.append(Field("reason", f"未完成原因\n（{lim}字以内）", S.TEXT, required=False, max_len=lim, width=40,
                        short="未完成原因", aliases=("未完成原因",),
                        hint=f"有指标未完成（完成列为“否”）时必填：逐项说明原因，不超过{lim}字"))
    rows = policy.template_rows["a4"]
    return Table(TABLE, "T6_Tracking", TABLE, "重点“小巨人”企业目标完成情况表", tuple(fields),
                 header_row=6, template_rows=rows, record="企业", key_field="name")


GENERIC_RULE_PREFIXES = ("file.", "cell.", "field.", "cover.")


def _rules(policy: Policy, submission_rules) -> tuple[Rule, ...]:
    generic = tuple(r for r in submission_rules if r.id.startswith(GENERIC_RULE_PREFIXES))
    return generic + S.rule_table(policy, FORM)


def condition_text(policy: Policy) -> dict[str, str]:
    """How warnings name each condition (thresholds from [eligibility])."""
    e = policy.eligibility
    return {
        "main_rev_share": f"专业化：主营业务收入占营业收入比重≥{e['main_revenue_share_min']}%",
        "rd_share": f"创新能力：研发经费支出占营业收入比重≥{e['rd_share_min']}%",
        "innovation": (f"创新能力：有效发明专利≥{e['patents_min']}个、研发机构≥{e['rd_institutions_min']}个、"
                       f"主持或参与制修订标准≥{e['standards_min']}个三项之一"),
        "quality_certs": f"经营管理：质量管理体系认证≥{e['quality_certs_min']}项",
    }


_BY_SUBMISSION: dict[int, tuple[Spec, Spec]] = {}     # id → (submission spec, kept alive; its track spec)


def track_spec_for(sub: Spec) -> Spec:
    """The tracking form's spec, from the same policy and indicators as the submission spec."""
    if sub.form == FORM:
        return sub
    if id(sub) not in _BY_SUBMISSION:        # submission specs are cached singletons (get_spec)
        policy = sub.policy
        _BY_SUBMISSION[id(sub)] = sub, Spec(
            policy=policy, sheets=_sheets(), cover=_cover(policy), plan_items=(), plan_limits={},
            tables=(_table(policy, sub.indicators),), indicators=sub.indicators, periods=PERIODS,
            rules=_rules(policy, sub.rules), form=FORM)
    return _BY_SUBMISSION[id(sub)][1]


def get_track_spec(policy_path: str | None = None) -> Spec:
    return track_spec_for(S.get_spec(policy_path))


# A workbook holding any of these is a tracking workbook (track/form.py: how the registry recognises it).
TRACK_SHEETS = frozenset((RECORD_SHEET, _sheets()[-1].name, *_sheets()[-1].aliases))
