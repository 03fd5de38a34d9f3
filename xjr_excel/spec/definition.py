"""The one description of the submission: sheets, tables, fields and rules.

Everything else — the workbook builder, the reader, the pandera schemas, the
messages, ``xjr spec --json`` — is generated from the objects built here.
Policy *values* (limits, thresholds, batches, years, choice lists) come from
``data/policy.toml`` through :mod:`xjr_excel.spec.policy`; this module only says
which field uses which value.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

from xjr_excel.spec.policy import Policy, default_data_dir, load_policy, read_toml

# Field types the reader knows how to normalise and the builder how to format.
TEXT, INT, NUMBER, PERCENT, DATE, CHOICE, CREDIT_CODE, INDUSTRY, YEAR = (
    "text", "int", "number", "percent", "date", "choice", "credit_code", "industry", "year")

NUMBER_FORMATS = {
    TEXT: "@", CREDIT_CODE: "@", INT: "0", YEAR: "0", NUMBER: "#,##0.00",
    PERCENT: "0.00", DATE: "yyyy-mm-dd", CHOICE: "General", INDUSTRY: "General",
}


@dataclass(frozen=True)
class Field:
    key: str                 # ASCII key: frame column name, JSON key
    header: str              # header text in the workbook
    type: str = TEXT
    choices: tuple[str, ...] = ()     # allowed values (dropdown)
    required: bool = True
    strict_choices: bool = True       # False: dropdown suggests, free text allowed
    max_len: int | None = None        # characters (non-whitespace)
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    unique: bool = False
    hint: str = ""                    # Excel input message (≤255 chars)
    width: float = 14
    aliases: tuple[str, ...] = ()     # other header texts seen in real files
    group: str = ""                   # 附4: indicator group header
    indicator: str = ""               # 附4: indicator key
    period: str = ""                  # 附4: i0 / y1 / y2
    formula: str = ""                 # computed column (not user input)
    short: str = ""                   # name in messages when the header is long

    @property
    def label(self) -> str:
        """How messages name the field: 「平台名称」, 「有效发明专利（个）·实施期初始值」."""
        if self.short:
            return self.short
        if self.period:
            return self.header.replace("\n", "·")
        return self.header.split("\n")[0]

    @property
    def number_format(self) -> str:
        return NUMBER_FORMATS[self.type]


@dataclass(frozen=True)
class Table:
    key: str            # a1, a2, a3, a4, a5_basic, ...
    name: str           # Excel table (ListObject) name, ASCII
    sheet: str          # sheet key (a1 … a5, plan)
    title: str          # title suffix after 「××市第×批」, or section title
    fields: tuple[Field, ...]
    header_row: int
    first_col: int = 1
    template_rows: int = 10
    record: str = ""    # what one row is: 企业 / 平台 / …
    key_field: str = "" # field that names the record (for cross-sheet rules)

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def last_col(self) -> int:
        return self.first_col + len(self.fields) - 1


@dataclass(frozen=True)
class Sheet:
    key: str            # cover, guide, plan, a1 … a5
    name: str           # sheet name in the master workbook
    label: str          # 附1 … (the label in the top-left corner)
    title: str          # title text after 「{city}第{batch}批」
    aliases: tuple[str, ...] = ()
    landscape: bool = True
    stamp_line: bool = False   # 「市级中小企业主管部门：…（盖章）」 line under the title


@dataclass(frozen=True)
class CoverField:
    key: str
    label: str
    type: str
    defined_name: str   # workbook-level name the titles refer to
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class PlanItem:
    section: int        # 1, 2, 3
    item: str           # （一）…
    guidance: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str       # error / warning
    scope: str          # table key, "cross" or "file"
    clause: str         # where the rule comes from
    message: str        # Chinese message template: {field} {value} {limit} …
    by: str = ""        # the check reporting it: a @check function in validate/rules.py, or "reader"


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    header: str         # full 二级指标 text (group header above the table)
    short: str          # short text for the table header
    type: str
    choices: tuple[str, ...] = ()
    strict: bool = True
    min: float | None = None
    max: float | None = None
    hint: str = ""


@dataclass(frozen=True)
class Spec:
    policy: Policy
    sheets: tuple[Sheet, ...]
    cover: tuple[CoverField, ...]
    plan_items: tuple[PlanItem, ...]
    plan_limits: dict[int, int]
    tables: tuple[Table, ...]
    indicators: tuple[Indicator, ...]
    periods: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...]
    form: str = "submission"     # which form of the family: submission (申报) or track (跟踪表)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def sheet(self, key: str) -> Sheet:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(key)

    def rule(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    @property
    def _rules(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def tables_on(self, sheet_key: str) -> list[Table]:
        return [t for t in self.tables if t.sheet == sheet_key]

    def to_json(self) -> dict:
        """What ``xjr spec --json`` prints."""
        return {
            "policy": self.policy.raw,
            "sheets": [asdict(s) for s in self.sheets],
            "cover": [asdict(c) for c in self.cover],
            "plan": {"items": [asdict(p) for p in self.plan_items],
                     "limits": {str(k): v for k, v in self.plan_limits.items()}},
            "tables": [
                {
                    "key": t.key, "sheet": self.sheet(t.sheet).name, "sheet_key": t.sheet,
                    "table_name": t.name, "title": t.title, "header_row": t.header_row,
                    "first_column": t.first_col, "record": t.record, "key_field": t.key_field,
                    "columns": [
                        {"key": f.key, "header": f.header, "type": f.type,
                         "required": f.required, "choices": list(f.choices),
                         "strict_choices": f.strict_choices, "max_len": f.max_len,
                         "min": f.min, "max": f.max, "unique": f.unique,
                         "number_format": f.number_format, "hint": f.hint,
                         **({"indicator": f.indicator, "period": f.period} if f.indicator else {})}
                        for f in t.fields
                    ],
                }
                for t in self.tables
            ],
            "indicators": [asdict(i) for i in self.indicators],
            "rules": [asdict(r) for r in self.rules],
        }


# --------------------------------------------------------------------------
# The forms.  Texts follow the seed (shared/seed): headers keep its wording.
# --------------------------------------------------------------------------

def _sheets() -> tuple[Sheet, ...]:
    return (
        Sheet("guide", "填报说明", "", "填报说明", landscape=False),
        Sheet("cover", "封面", "", "填报信息", landscape=False),
        Sheet("plan", "实施方案", "", "支持专精特新“小巨人”企业工作实施方案", landscape=False),
        Sheet("a1", "附1", "附1", "重点“小巨人”企业名单汇总表",
              aliases=("附件1", "附 1", "附表1"), landscape=False, stamp_line=True),
        Sheet("a2", "附2", "附2", "支持国家（或省级）中小企业公共服务示范平台名单汇总表",
              aliases=("附件2", "附 2", "附表2"), stamp_line=True),
        Sheet("a3", "附3", "附3", "重点“小巨人”企业基本情况表", aliases=("附件3", "附 3", "附表3")),
        Sheet("a4", "附4", "附4", "重点“小巨人”企业目标表", aliases=("附件4", "附 4", "附表4")),
        Sheet("a5", "附5", "附5", "支持国家（或省级）中小企业公共服务示范平台申请表",
              aliases=("附件5", "附 5", "附表5")),
    )


def _cover() -> tuple[CoverField, ...]:
    return (
        CoverField("city", "城市", TEXT, "XJR_City", hint="填写设区市全称，如：南京市"),
        CoverField("batch", "批次", INT, "XJR_Batch", hint="本市第几批支持工作，填写数字，如：3"),
        CoverField("year", "申报年度", YEAR, "XJR_Year", hint="四位年份，如：2026；附5的年度由此推算"),
        CoverField("department", "市级中小企业主管部门", TEXT, "XJR_Dept", hint="部门全称，将显示在附1、附2的盖章处"),
        CoverField("contact", "联系人", TEXT, "XJR_Contact"),
        CoverField("phone", "联系电话", TEXT, "XJR_Phone", hint="座机含区号或11位手机号"),
        CoverField("filled_on", "填报日期", DATE, "XJR_Date", hint="日期，如：2026-05-20"),
    )


def _plan_items() -> tuple[PlanItem, ...]:
    return (
        PlanItem(1, "（一）", "贯彻落实培育“专精特新”中小企业重要指示精神，出台政策措施、健全培育机制、建立企业动态库，前期培育认定情况及工作成效，公共服务示范平台服务国家级专精特新“小巨人”企业情况等。"),
        PlanItem(1, "（二）", "本市国家级专精特新“小巨人”企业总体情况（参考《重点“小巨人”企业基本情况表》所列举内容总结提炼）。"),
        PlanItem(1, "（三）", "支持本市国家级专精特新“小巨人”企业措施：完善梯度培育体系，建立企业动态库，推动创新资源精准匹配等具体举措。"),
        PlanItem(2, "（一）", "拟支持的重点“小巨人”企业总体情况：支撑产业链供应链、掌握关键核心技术、关键领域“补短板”、主导产品填补国内国际空白；与龙头企业协同创新；创新优势、成长性等。"),
        PlanItem(2, "（二）", "支持重点“小巨人”企业措施：部门协同、政策落实、环境优化和精准服务；聚焦“补短板”“填空白”领域，促进产学研合作；推动产业链上下游协同创新。"),
        PlanItem(2, "（三）", "公共服务示范平台服务措施：集聚技术、资金和人才等创新资源，为重点“小巨人”企业提供点对点帮扶，结合实际包括创新能力提升行动、融资解决方案、创新堵点服务解决清单等。"),
        PlanItem(3, "（一）", "重点“小巨人”企业分年度预期目标：关键核心技术攻关、填补国内外空白、产业链“补短板”、提升国际竞争力等方面的分年度预期目标及成效（含定性和定量描述）。"),
        PlanItem(3, "（二）", "公共服务示范平台分年度目标：集聚创新资源，点对点服务重点“小巨人”企业，以及服务本省国家级专精特新“小巨人”企业的预期目标及成效。"),
    )


PLAN_SECTION_TITLES = {
    1: "一、本市“专精特新”中小企业工作基础",
    2: "二、本市拟支持重点“小巨人”企业情况及务实举措",
    3: "三、分年度（实施期满1年、实施期满2年）预期目标和取得成效",
}

PERIODS = (("i0", "实施期初始值"), ("y1", "实施期满一年目标"), ("y2", "实施期满两年目标"))


def _indicators(p: Policy) -> tuple[Indicator, ...]:
    c = p.choices
    e = p.eligibility
    yn = tuple(c["yes_no"])
    return (
        Indicator("main_rev_share", "专业化程度", f"主营业务收入占营业收入比重（%）（{e['main_revenue_share_min']}%以上）",
                  "主营业务收入占比（%）", PERCENT, min=0, max=100,
                  hint=f"填百分数的数值，如85表示85%；初始值须≥{e['main_revenue_share_min']}"),
        Indicator("export_share", "专业化程度", "主导产品出口额占营业收入比重（%）", "出口额占比（%）",
                  PERCENT, min=0, max=100, hint="填百分数的数值，如12.5表示12.5%；无出口填0"),
        Indicator("foreign_certs", "专业化程度", "获得发达国家或地区认证数量（如UL,CSA,ETL,GS）（提供相应佐证材料）",
                  "发达国家或地区认证（个）", INT, min=0, hint="整数，没有填0"),
        Indicator("rd_share", "创新能力", f"研发经费支出占营业收入比重（%）（近2年{e['rd_share_min']}%以上）",
                  "研发经费占比（%）", PERCENT, min=0, max=100,
                  hint=f"近2年研发经费支出占营业收入比重，初始值须≥{e['rd_share_min']}"),
        Indicator("patents", "创新能力", "有效发明专利数量（个）", "有效发明专利（个）", INT, min=0,
                  hint=f"整数；创新能力须满足：发明专利≥{e['patents_min']}、研发机构≥{e['rd_institutions_min']}、标准≥{e['standards_min']}三项之一"),
        Indicator("rd_institutions", "创新能力",
                  "企业自建或与高校、科研机构联合建立研发机构（技术研究院、企业技术中心、企业工程中心、院士专家工作站、博士后工作站等）（个）",
                  "研发机构（个）", INT, min=0, hint="整数，没有填0"),
        Indicator("standards", "创新能力", "主持或参与制（修）订国际国家标准或行业标准的数量（个）",
                  "主持或参与制修订标准（个）", INT, min=0, hint="整数，没有填0"),
        Indicator("rd_conversions", "创新能力", "近2年企业研发成果转化及应用项目数量（项）",
                  "研发成果转化项目（项）", INT, min=0, hint="整数，没有填0"),
        Indicator("quality_certs", "经营管理", "取得相关质量管理体系认证数量（项）（如ISO9000质量管理体系、ISO14000环境管理体系等）",
                  "质量管理体系认证（项）", INT, min=0,
                  hint=f"整数；初始值须≥{e['quality_certs_min']}（如ISO9000、ISO14000）"),
        Indicator("standard_level", "经营管理", "企业产品生产执行标准达到国际标准（或国家标准、行业标准）",
                  "执行标准达到国际/国家/行业标准", CHOICE, yn, hint="从下拉列表选择：是 / 否"),
        Indicator("digital", "经营管理", "数字化和工业设计赋能，业务系统云端迁移；促进提品质、创品牌",
                  "数字化和工业设计赋能、云端迁移", CHOICE, yn, hint="从下拉列表选择：是 / 否"),
        Indicator("ipo_plan", "成长性", "有上市计划（请写明：递交申请书，或已进入辅导期）（提供相应佐证材料）",
                  "上市计划", CHOICE, tuple(c["ipo_plan"]), strict=False,
                  hint="从下拉列表选择：无 / 已递交申请书 / 已进入辅导期；可在其后补充说明"),
        Indicator("growth", "成长性", "上年主营业务收入增长率（%）", "上年主营业务收入增长率（%）",
                  PERCENT, min=-100, hint="填百分数的数值，可为负数，如-5表示下降5%"),
    )


def _tables(p: Policy, indicators: tuple[Indicator, ...], industry_choices: tuple[str, ...]) -> tuple[Table, ...]:
    c, lim, rows = p.choices, p.limits, p.template_rows
    batches = tuple(p.miit_batch_names)
    yes_no_first = tuple(c["no_yes"])
    T = Table
    F = Field
    seq = F("seq", "序号", INT, min=1, hint="从1开始连续编号", width=6)

    a1 = T("a1", "T1_KeyEnterprises", "a1", "重点“小巨人”企业名单汇总表", (
        seq,
        F("name", "企业名称\n（须与工业和信息化部公布的名称一致）", TEXT, unique=True, width=44, short="企业名称",
          hint="须与工业和信息化部公布的名称完全一致（含括号的全角/半角）", aliases=("企业名称",)),
        F("miit_batch", "国家级专精特新“小巨人”\n企业批次", CHOICE, batches, width=22, short="国家级“小巨人”批次",
          hint=f"从下拉列表选择：第一批…{batches[-1]}", aliases=("国家级专精特新“小巨人”企业批次", "小巨人批次", "批次")),
    ), header_row=4, template_rows=rows["a1"], record="企业", key_field="name")

    a2 = T("a2", "T2_Platforms", "a2", "支持国家（或省级）中小企业公共服务示范平台名单汇总表", (
        seq,
        F("name", "国家（或省级）中小企业公共服务示范平台名称\n（具有独立法人资格，须与公布名称一致）", TEXT, unique=True,
          width=40, short="平台名称", hint="具有独立法人资格的单位全称，须与公布名称一致", aliases=("平台名称", "示范平台名称")),
        F("content", f"提供服务内容\n（{lim['service_content']}字以内）", TEXT, max_len=lim["service_content"], width=40, short="提供服务内容",
          hint=f"不超过{lim['service_content']}字", aliases=("提供服务内容", "服务内容")),
        F("doc_no", "工业和信息化部（或省级中小企业\n主管部门）认定文号", TEXT, width=30, short="认定文号",
          hint="发文机关代字〔年份〕序号号，如：工信部企业函〔2020〕123号（用六角括号〔〕）",
          aliases=("认定文号", "文号")),
    ), header_row=4, template_rows=rows["a2"], record="平台", key_field="name")

    a3 = T("a3", "T3_Enterprises", "a3", "重点“小巨人”企业基本情况表", (
        F("name", "企业名称", TEXT, unique=True, width=30, hint="须与附1、附4的企业名称一致"),
        F("legal_rep", "法定代表人", TEXT, width=10),
        F("credit_code", "统一社会信用代码", CREDIT_CODE, unique=True, width=22,
          hint="18位，按GB 32100-2015校验（字母大写，不含I、O、Z、S、V）"),
        F("staff", "从业人数（人）", INT, min=1, width=10, hint="整数，≥1"),
        F("reg_date", "注册时间", DATE, width=12, hint="日期，如：2010-03-02"),
        F("capital", "注册资本（万元）", NUMBER, min=0, min_exclusive=True, width=12, hint="单位：万元，>0"),
        F("size", "企业规模", CHOICE, tuple(c["enterprise_size"]), width=9,
          hint=f"中型/小型/微型，依据《中小企业划型标准规定》（{p.raw['size_standard']['name']}），须与从业人数相符"),
        F("ownership", "企业类型", CHOICE, tuple(c["enterprise_type"]), width=9, hint="国有/合资/民营/其他"),
        F("industry", "所属行业", INDUSTRY, industry_choices, width=28,
          hint="按《国民经济行业分类》(GB/T 4754-2017)大类填写，从下拉列表选择，如：C34 通用设备制造业"),
        F("segment", "具体细分领域名称", TEXT, width=18, aliases=("具体细分领域",)),
        F("product_category", "主导产品类别", TEXT, width=26,
          hint="《统计用产品分类目录》第四级或第五级类别名称及8位或10位代码，如：3441020100 气体压缩机；新产品请注明“新产品”"),
        F("product_name", "主导产品名称", TEXT, width=18),
        F("four_base", "是否属于《工业“四基”发展目录》所列重点领域", CHOICE, yes_no_first, width=12, short="是否属于“四基”重点领域",
          hint="否 / 是；选“是”须在右侧选择具体类别", aliases=("是否属于四基重点领域", "四基")),
        F("four_base_category", "“四基”具体类别", CHOICE, tuple(c["four_base_category"]), required=False, width=22,
          hint="“四基”选“是”时必填"),
        F("fill_gap", "★是否填补国内或国际空白", CHOICE, tuple(c["fill_gap"]), width=14,
          hint="否 / 填补国内空白 / 填补国际空白", aliases=("是否填补国内或国际空白",)),
        F("fill_gap_field", f"填补空白具体领域\n（限{lim['gap_field']}字以内）", TEXT, required=False,
          max_len=lim["gap_field"], width=16, hint=f"填补空白时必填，不超过{lim['gap_field']}字",
          aliases=("填补空白具体领域", "具体领域")),
        F("shortboard", "★是否关键领域补短板", CHOICE, yes_no_first, width=12, hint="否 / 是",
          aliases=("是否关键领域补短板",)),
        F("shortboard_field", f"补短板具体领域和环节\n（限{lim['shortboard_field']}字以内）", TEXT, required=False,
          max_len=lim["shortboard_field"], width=16, hint=f"补短板选“是”时必填，不超过{lim['shortboard_field']}字",
          aliases=("补短板具体领域和环节", "具体领域和环节")),
        F("intro", f"企业简介\n（不超过{lim['intro']}字，另附页无效）", TEXT, max_len=lim["intro"], width=50,
          hint=f"企业经营管理概况、主导产品情况、企业创新基本情况；不超过{lim['intro']}字，另附页无效",
          aliases=("企业简介",)),
    ), header_row=4, template_rows=rows["a3"], record="企业", key_field="name")

    a4_fields = [F("name", "企业名称", TEXT, unique=True, width=30, hint="须与附1、附3的企业名称一致")]
    for ind in indicators:
        for period, period_label in PERIODS:
            a4_fields.append(F(
                f"{ind.key}_{period}", f"{ind.short}\n{period_label}", ind.type, ind.choices,
                strict_choices=ind.strict, min=ind.min, max=ind.max, width=12 if ind.type != CHOICE else 14,
                hint=ind.hint, group=ind.group, indicator=ind.key, period=period))
    a4 = T("a4", "T4_Targets", "a4", "重点“小巨人”企业目标表", tuple(a4_fields),
           header_row=6, template_rows=rows["a4"], record="企业", key_field="name")

    unit = F("unit", "申请单位", TEXT, width=30, hint="须为附2所列平台名称")
    year = F("year", "年度", YEAR, min=p.year_range[0], width=8, hint="近两年，从下拉列表选择")
    money = dict(type=NUMBER, width=12)
    r5 = rows["a5"]
    a5_basic = T("a5_basic", "T5_Basic", "a5", "一、申请单位基本情况", (
        unit,
        F("reg_date", "注册日期", DATE, width=12, hint="日期，如：2012-06-18"),
        F("nature", "单位性质", CHOICE, tuple(c["unit_nature"]), strict_choices=False, width=12,
          hint="如：企业法人 / 事业单位 / 社会团体"),
        F("legal_rep", "法人代表", TEXT, width=10),
        F("address", "注册地址", TEXT, width=28),
        F("postcode", "邮政编码", TEXT, width=9, hint="6位数字"),
        F("contact", "联系人", TEXT, width=9),
        F("phone", "联系电话", TEXT, width=15, hint="座机含区号，如：025-83331234"),
        F("mobile", "手机", TEXT, width=13, hint="11位手机号"),
        F("website", "网址及备案号", TEXT, required=False, width=24, hint="已建网站的填写，如：www.example.cn 苏ICP备12345678号"),
        F("email", "电子邮件", TEXT, width=22),
    ), header_row=4, template_rows=r5, record="平台", key_field="unit")
    a5_ops = T("a5_ops", "T5_Operations", "a5", "二、近两年运营管理情况（单位：万元）", (
        unit, year,
        F("revenue", "营业收入", min=0, **money),
        F("service_revenue", "其中：服务收入", min=0, aliases=("服务收入", "其中:服务收入"), **money),
        F("assets", "资产总额", min=0, **money),
        F("profit", "利润总额", hint="可为负数", **money),
        F("tax", "上缴税金", min=0, **money),
    ), header_row=4, template_rows=r5 * 2, record="年度", key_field="unit")
    a5_res = T("a5_res", "T5_Resources", "a5", "集聚服务资源", (
        unit,
        F("resource", "单位名称", TEXT, width=26, hint="集聚的服务资源单位名称"),
        F("field", "重点服务领域", CHOICE, tuple(c["service_field"]), strict_choices=False, width=14,
          hint="资金、技术、人才等", aliases=("重点服务领域（资金、技术、人才等）",)),
    ), header_row=4, template_rows=r5 * 3, record="资源", key_field="unit")
    a5_tot = T("a5_tot", "T5_ServiceTotals", "a5", "三、近两年服务“小巨人”企业总体情况", (
        unit, year,
        F("activities", "开展活动次数", INT, min=0, width=10),
        F("enterprise_visits", "服务企业户次", INT, min=0, width=10),
        F("agreements", "签订服务协议数", INT, min=0, width=10),
        F("agreement_amount", "协议服务金额（万元）", NUMBER, min=0, width=12),
    ), header_row=4, template_rows=r5 * 2, record="年度", key_field="unit")
    a5_srv = T("a5_srv", "T5_Served", "a5", "四、服务的“小巨人”企业名单及服务评价", (
        unit,
        F("seq", "序号", INT, min=1, width=6),
        F("enterprise", "服务的企业名称", TEXT, width=28, aliases=("企业名称",)),
        F("contact", "联系人", TEXT, width=9),
        F("phone", "联系电话", TEXT, width=15),
        F("summary", "服务内容简述", TEXT, width=30),
        F("satisfaction", "企业满意度", CHOICE, tuple(c["satisfaction"]), width=12,
          hint="满意 / 基本满意 / 不满意", aliases=("企业满意度（满意/基本满意/不满意）",)),
    ), header_row=4, template_rows=r5 * 4, record="企业", key_field="unit")

    # 附5's tables stand side by side (one blank column between) so each grows downwards.
    placed, col = [], 1
    for t in (a5_basic, a5_ops, a5_res, a5_tot, a5_srv):
        placed.append(Table(**{**t.__dict__, "first_col": col}))
        col += len(t.fields) + 1

    plan = T("plan", "T0_Plan", "plan", "实施方案", (
        F("section", "章节", INT, width=6),
        F("item", "小项", TEXT, width=7),
        F("guidance", "填写要点（模板原文）", TEXT, required=False, width=42),
        F("text", "内容", TEXT, required=False, width=80, hint="在此填写正文；每章字数上限见右侧，按非空白字符计数"),
    ), header_row=4, template_rows=0, record="小项")

    return (plan, a1, a2, a3, a4, *placed)


def rule_table(policy: Policy, form: str = "submission") -> tuple[Rule, ...]:
    """The rules of ``form`` (``submission`` or ``track``) as ``data/rules.toml`` declares them,
    with the policy's values filled into their clauses and messages."""
    return tuple(Rule(**{**row, "clause": policy.fill(row["clause"]), "message": policy.fill(row["message"])})
                 for row in _rule_rows()[form])


@lru_cache(maxsize=1)
def _rule_rows() -> dict[str, list[dict]]:
    return read_toml(default_data_dir() / "rules.toml")


_SPECS: dict = {}      # policy path → (stamp of the files it was read from, spec)


def get_spec(policy_path: str | None = None) -> Spec:
    """The spec built from the policy (default: the packaged ``policy.toml``), built again when the
    policy file or one of its tables changes (Python may stay running between clicks, see session)."""
    from xjr_excel.session import stamp
    kept = _SPECS.get(policy_path)
    if kept is not None and stamp(*kept[1].policy.files) == kept[0]:
        return kept[1]
    spec = _build_spec(policy_path)
    _SPECS[policy_path] = (stamp(*spec.policy.files), spec)
    return spec


def _build_spec(policy_path: str | None) -> Spec:
    policy = load_policy(policy_path)
    indicators = _indicators(policy)
    industry_choices = tuple(f"{d.section}{d.code} {d.name}" for d in policy.industries)
    return Spec(
        policy=policy,
        sheets=_sheets(),
        cover=_cover(),
        plan_items=_plan_items(),
        plan_limits={1: policy.limits["plan_section_1"], 2: policy.limits["plan_section_2"],
                     3: policy.limits["plan_section_3"]},
        tables=_tables(policy, indicators, industry_choices),
        indicators=indicators,
        periods=PERIODS,
        rules=rule_table(policy),
    )


def attachment_tables(spec: Spec) -> Iterable[Table]:
    """The record tables (附1–附5), without the plan."""
    return (t for t in spec.tables if t.sheet.startswith("a"))
