"""Generate the sample city workbooks (samples/) and their answer key samples_src/manifest.json (deterministic: fixed seeds).

Each workbook is filled *through* the template: ``build_workbook`` writes the
master for the city, then openpyxl fills the tables (and grows a Table's ref
when there are more records than pre-formatted rows).

* 南京市 is clean (no errors, no warnings).
* 苏州市, 无锡市, 常州市 carry realistic mistakes; each one is listed in the manifest
  with the sheet, cell and rule id (from the spec) the validator must report.
* 扬州市 (.xlsm) is clean but messy: full-width digits, "1,234", "85%", a cell
  formatted as %, dates typed as text, "无"/"——" in optional fields, a renamed
  sheet (附件1), an inserted column in 附3, a header with extra line breaks, a
  blank row inside a table.  None of these may become a finding.

Run:  python samples_src/generate.py [OUTDIR]   (default: the samples/ folder, which holds workbooks only;
      the manifest goes beside this script, or into OUTDIR when one is given)
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xjr_excel.spec import definition as S
from xjr_excel.template import build as template
from xjr_excel.template import xlsm
from xjr_excel.spec.definition import get_spec  # noqa: E402
from samples_src.codes import credit_code  # noqa: E402

YEAR = 2026
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌波宁浩凯鹏飞宇航晨旭东海峰晓亮俊辉"
BRANDS = ["恒睿", "华锐", "中科", "天工", "博远", "精研", "鼎盛", "汇川", "科顺", "联创", "英特", "瑞泰", "宏图",
          "正信", "海纳", "嘉禾", "安瑞", "卓越", "明阳", "凯达", "佳讯", "德尔", "万通", "金陵", "东方", "新锐"]
CITIES = {  # city: (区划码 prefix of its districts, 区号, 邮编 prefix, 简称 for ICP)
    "南京市": ("3201", "025", "210", "苏"),
    "苏州市": ("3205", "0512", "215", "苏"),
    "无锡市": ("3202", "0510", "214", "苏"),
    "常州市": ("3204", "0519", "213", "苏"),
    "扬州市": ("3210", "0514", "225", "苏"),
}
# (GB/T 4754 大类, company word, 细分领域, 主导产品, 统计用产品分类目录 code + name)
PRODUCTS = [
    ("C34", "精密机械", "高速精密主轴", "电主轴", "3421010100 数控机床主轴部件"),
    ("C34", "流体科技", "工业气体压缩", "无油螺杆空气压缩机", "3441020100 螺杆式空气压缩机"),
    ("C35", "智能装备", "半导体湿法工艺设备", "晶圆清洗机", "35620101 半导体器件专用设备"),
    ("C38", "电气科技", "新能源汽车电驱系统", "电机控制器", "38120301 电动机控制器"),
    ("C39", "半导体科技", "车规级功率器件", "IGBT功率模块", "3972020100 功率半导体模块"),
    ("C26", "新材料科技", "电子级湿化学品", "超高纯电子级硫酸", "26110201 无机酸"),
    ("C29", "高分子材料", "特种工程塑料", "聚醚醚酮树脂", "29290101 工程塑料制品"),
    ("C32", "金属材料", "高纯溅射靶材", "高纯铝靶材", "32160301 铝及铝合金靶材"),
    ("C36", "传动科技", "汽车精密传动", "新能源汽车减速器齿轮", "36700102 汽车变速器齿轮"),
    ("C40", "仪器", "工业在线分析仪器", "激光气体分析仪", "40210401 气体分析仪器"),
    ("C30", "陶瓷科技", "先进结构陶瓷", "碳化硅陶瓷密封环", "30720101 特种陶瓷制品"),
    ("C33", "精密制造", "精密金属结构件", "动力电池精密结构件", "33990101 金属结构件"),
]
FOUR_BASE = ["核心基础零部件（元器件）", "关键基础材料", "先进基础工艺", "产业技术基础"]


@dataclasses.dataclass
class City:
    name: str
    seed: int
    batch: int
    n_enterprises: int
    n_platforms: int
    suffix: str = ".xlsx"
    clean: bool = False
    department: str = ""


def person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def mobile(rng) -> str:
    return "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))


# ---------------------------------------------------------------- clean data for one city

def city_records(spec: S.Spec, city: City) -> dict:
    """Consistent, valid records for every table, keyed by table key; each record has an ``_id``."""
    rng = random.Random(city.seed)
    area, tel, post, icp = CITIES[city.name]
    short = city.name.removesuffix("市")
    batches = spec.policy.miit_batch_names
    years = spec.policy.history_years(YEAR)
    brands = rng.sample(BRANDS, city.n_enterprises + city.n_platforms)
    ents = []
    for i in range(city.n_enterprises):
        div, word, segment, product, category = PRODUCTS[(i + city.seed) % len(PRODUCTS)]
        name = f"{short}{brands[i]}{word}{rng.choice(['股份有限公司', '有限公司'])}"
        staff = rng.choice([rng.randint(60, 290), rng.randint(320, 950)])
        size = "中型" if staff >= 300 else "小型"
        star = i % 3
        four = i % 2 == 0
        ents.append(dict(
            _id=f"e{i}", name=name, legal_rep=person(rng), credit_code=credit_code(rng, area), staff=staff,
            reg_date=dt.date(rng.randint(1998, 2016), rng.randint(1, 12), rng.randint(1, 28)),
            capital=float(rng.choice([800, 1200, 2000, 3000, 5000, 6800, 10000, 12500])), size=size,
            ownership=rng.choice(["民营", "民营", "民营", "合资", "国有"]),
            industry=_industry(spec, div), segment=segment, product_category=category, product_name=product,
            four_base="是" if four else "否", four_base_category=FOUR_BASE[i % 4] if four else None,
            fill_gap=["填补国内空白", "否", "填补国际空白"][star],
            fill_gap_field=[segment[:8], None, product[:8]][star],
            shortboard="是" if star == 1 else "否", shortboard_field=segment[:10] if star == 1 else None,
            intro=_intro(rng, name, segment, product, staff),
        ))
    a1 = [dict(_id=e["_id"], seq=i + 1, name=e["name"], miit_batch=rng.choice(batches[2:6])) for i, e in enumerate(ents)]
    a4 = [dict(_id=e["_id"], name=e["name"], **_targets(rng, spec)) for e in ents]
    plats, a5 = [], {k: [] for k in ("a5_basic", "a5_ops", "a5_res", "a5_tot", "a5_srv")}
    kinds = [("中小企业公共服务中心", "事业单位"), ("科技创业服务有限公司", "企业法人"), ("工业设计研究院", "事业单位"),
             ("知识产权服务有限公司", "企业法人")]
    for j in range(city.n_platforms):
        kind, nature = kinds[j % len(kinds)]
        pname = f"{city.name}中小企业公共服务中心" if j == 0 else f"{short}{brands[city.n_enterprises + j]}{kind}"
        rec_no = rng.randint(10, 180)
        issuer, yr = (["工信部企业函", "苏工信中小"][j % 2], rng.randint(2018, 2023))
        plats.append(dict(_id=f"p{j}", seq=j + 1, name=pname,
                          content=([
                              "为“小巨人”企业提供技术创新、知识产权运营、上市辅导和融资对接服务，开展数字化改造诊断。",
                              "提供工业设计、检验检测、数字化智能化改造和上云用云服务，组织产学研对接和创新成果转化。",
                              "开展融资路演、股改上市辅导、人才培训和管理咨询服务，建设创新堵点服务解决清单。"][j % 3]),
                          doc_no=f"{issuer}〔{yr}〕{rec_no}号"))
        a5["a5_basic"].append(dict(
            _id=f"p{j}", unit=pname, reg_date=dt.date(rng.randint(2005, 2015), rng.randint(1, 12), rng.randint(1, 28)),
            nature=nature, legal_rep=person(rng), address=f"{city.name}{rng.choice(['玄武', '新区', '高新区', '经开区'])}"
            f"{rng.choice(['科技', '创业', '长江', '太湖'])}路{rng.randint(1, 300)}号",
            postcode=f"{post}{rng.randint(0, 299):03d}", contact=person(rng),
            phone=f"{tel}-{rng.randint(5000_0000, 8999_9999)}", mobile=mobile(rng),
            website=f"www.{['smesc', 'kjfw', 'gysj', 'ipsvc'][j % 4]}{j}.cn {icp}ICP备{rng.randint(10_000_000, 99_999_999)}号",
            email=f"service{j}@{['smesc', 'kjfw', 'gysj', 'ipsvc'][j % 4]}.cn"))
        for y in years:
            rev = round(rng.uniform(800, 6000), 2)
            a5["a5_ops"].append(dict(_id=f"p{j}:{y}", unit=pname, year=y, revenue=rev,
                                     service_revenue=round(rev * rng.uniform(0.4, 0.9), 2),
                                     assets=round(rev * rng.uniform(1.2, 3), 2),
                                     profit=round(rev * rng.uniform(-0.05, 0.15), 2),
                                     tax=round(rev * rng.uniform(0.01, 0.06), 2)))
            a5["a5_tot"].append(dict(_id=f"p{j}:{y}", unit=pname, year=y, activities=rng.randint(12, 80),
                                     enterprise_visits=rng.randint(40, 400), agreements=rng.randint(5, 60),
                                     agreement_amount=round(rng.uniform(50, 900), 2)))
        for k, (res, fld) in enumerate(rng.sample([
                (f"{short}创新投资集团有限公司", "资金"), (f"{short}大学技术转移中心", "技术"),
                (f"{short}人才发展集团有限公司", "人才"), (f"江苏{short}农村商业银行股份有限公司", "资金"),
                (f"{short}知识产权保护中心", "技术")], rng.randint(2, 3))):
            a5["a5_res"].append(dict(_id=f"p{j}:r{k}", unit=pname, resource=res, field=fld))
        for k, e in enumerate(rng.sample(ents, min(len(ents), rng.randint(2, 4)))):
            a5["a5_srv"].append(dict(_id=f"p{j}:s{k}", unit=pname, seq=k + 1, enterprise=e["name"], contact=person(rng),
                                     phone=mobile(rng),
                                     summary=rng.choice(["上市辅导与股改咨询", "研发费用加计扣除辅导", "数字化车间诊断",
                                                         "专利布局与高价值专利培育", "银企对接获得信用贷款"]),
                                     satisfaction=rng.choice(["满意", "满意", "基本满意"])))
    plan = [dict(_id=f"plan{i}", section=it.section, item=it.item, guidance=it.guidance,
                 text=_plan_text(rng, city.name, it, len(ents), len(plats)))
            for i, it in enumerate(spec.plan_items)]
    return {"plan": plan, "a1": a1, "a2": plats, "a3": ents, "a4": a4, **a5}


def _industry(spec: S.Spec, div: str) -> str:
    code = div[1:]
    for d in spec.policy.industries:
        if d.code == code:
            return f"{d.section}{d.code} {d.name}"
    raise KeyError(div)


def _intro(rng, name, segment, product, staff) -> str:
    return (f"{name}专注于{segment}领域，主导产品为{product}。公司现有员工{staff}人，其中研发人员占比约"
            f"{rng.randint(18, 40)}%，建有省级企业技术中心和工程技术研究中心。"
            f"产品关键性能指标达到国际先进水平，已为行业龙头企业配套，近3年主导产品国内市场占有率约{rng.randint(8, 35)}%。"
            f"公司拥有有效发明专利{rng.randint(5, 40)}项，主持或参与制定国家及行业标准{rng.randint(1, 6)}项，"
            "研发经费持续保持在营业收入的5%以上，与高校共建联合实验室，创新团队稳定。")


def _targets(rng, spec: S.Spec) -> dict:
    """附4: initial values that meet every condition, targets that do not fall."""
    out = {}
    for ind in spec.indicators:
        if ind.key == "main_rev_share":
            v0 = round(rng.uniform(78, 97), 1)
        elif ind.key == "export_share":
            v0 = round(rng.uniform(0, 35), 1)
        elif ind.key == "rd_share":
            v0 = round(rng.uniform(4.6, 11), 1)
        elif ind.key == "growth":
            v0 = round(rng.uniform(4, 30), 1)
        elif ind.key == "patents":
            v0 = rng.randint(3, 30)
        elif ind.key in ("rd_institutions", "quality_certs"):
            v0 = rng.randint(1, 3)
        elif ind.type == S.INT:
            v0 = rng.randint(0, 8)
        elif ind.key == "ipo_plan":
            plan = rng.choice(["无", "无", "已进入辅导期"])
            out.update({f"ipo_plan_{p}": plan if p == "i0" else rng.choice([plan, "已递交申请书"]) for p, _ in spec.periods})
            continue
        else:
            out.update({f"{ind.key}_{p}": "是" for p, _ in spec.periods})
            continue
        if ind.type == S.INT:
            y1 = v0 + rng.randint(0, 3)
            y2 = y1 + rng.randint(0, 3)
        else:
            hi = 100 if ind.max == 100 else 60
            y1 = round(min(hi, v0 + rng.uniform(0, 3)), 1)
            y2 = round(min(hi, y1 + rng.uniform(0, 3)), 1)
        out.update({f"{ind.key}_i0": v0, f"{ind.key}_y1": y1, f"{ind.key}_y2": y2})
    return out


def _plan_text(rng, city, item: S.PlanItem, n_ent, n_plat, target_chars=None) -> str:
    sentences = [
        f"{city}深入贯彻落实培育“专精特新”中小企业的决策部署，将培育工作列入年度重点工作计划。",
        f"全市已累计培育国家级专精特新“小巨人”企业{n_ent * 7}家，省级专精特新中小企业{n_ent * 40}家。",
        f"本批拟支持重点“小巨人”企业{n_ent}家、公共服务示范平台{n_plat}家，主要分布在高端装备、新材料、集成电路等领域。",
        "建立企业动态库，实行“一企一策”精准服务，推动创新资源与企业需求精准匹配。",
        "围绕产业链关键环节开展“补短板”“填空白”攻关，支持企业与龙头企业协同创新。",
        "设立专项资金，对研发投入、首台套产品、数字化改造给予奖补，优化融资担保和上市培育服务。",
        "公共服务示范平台集聚技术、资金和人才资源，点对点开展创新能力提升行动和融资解决方案服务。",
        "实施期满一年，重点企业研发投入强度平均提高0.5个百分点，新增发明专利一百项以上。",
        "实施期满两年，重点企业主营业务收入年均增长15%以上，力争三家企业进入上市辅导期。",
    ]
    target = target_chars or rng.randint(140, 260)
    out, i = "", rng.randrange(len(sentences))
    while len(out) < target:
        out += sentences[i % len(sentences)]
        i += 1
    return out


# ---------------------------------------------------------------- writing into the template

class Book:
    """A built template opened with openpyxl, with where every record went."""

    def __init__(self, path: Path, spec: S.Spec, city: City):
        self.spec, self.city, self.path = spec, city, path
        self.wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
        self.rows: dict[tuple[str, str], int] = {}        # (table key, record id) → sheet row

    def ws(self, table: S.Table):
        return self.wb[self.spec.sheet(table.sheet).name]

    def col(self, table: S.Table, key: str) -> int:
        return table.first_col + [f.key for f in table.fields].index(key)

    def cell(self, table_key: str, rec_id: str, key: str) -> str:
        t = self.spec.table(table_key)
        return f"{get_column_letter(self.col(t, key))}{self.rows[(table_key, rec_id)]}"

    def fill(self, table_key: str, records: list) -> None:
        """Write records (None = a blank row) from the first data row; grow the Table if needed."""
        t = self.spec.table(table_key)
        ws = self.ws(t)
        for i, rec in enumerate(records):
            r = t.header_row + 1 + i
            if rec is None:
                continue
            self.rows[(table_key, rec["_id"])] = r
            lines = 1
            for f in t.fields:
                if f.key in rec:
                    ws.cell(r, self.col(t, f.key), rec[f.key])
                    if f.type == S.TEXT and isinstance(rec[f.key], str):
                        per_line = max(2, int(f.width / 1.9))       # CJK characters per line at 10 pt
                        lines = max(lines, -(-len(rec[f.key]) // per_line))
            if lines > 1:      # what Excel's row auto-fit does when a user types wrapped text
                ws.row_dimensions[r].height = max(ws.row_dimensions[r].height or 0, 13.5 * lines + 4)
        last = t.header_row + max(len(records), t.template_rows, 1)
        xl = ws.tables[t.name]
        xl.ref = f"{get_column_letter(t.first_col)}{t.header_row}:{get_column_letter(t.last_col)}{last}"
        if xl.autoFilter is not None:
            xl.autoFilter.ref = xl.ref

    def fill_cover(self, values: dict) -> None:
        ws = self.wb[self.spec.sheet("cover").name]
        for r in range(1, ws.max_row + 1):
            label = ws.cell(r, 1).value
            for cf in self.spec.cover:
                if label and str(label).startswith(cf.label) and cf.key in values:
                    ws.cell(r, 2, values[cf.key])


# ---------------------------------------------------------------- mistakes (each maps to a spec rule id)

def mistakes_suzhou(d: dict, spec: S.Spec) -> list:
    """苏州市, 第2批."""
    out = []
    e = d["a3"]
    code = e[1]["credit_code"]
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
    e[1]["credit_code"] = code[:-1] + wrong
    out.append(("a3", e[1]["_id"], "credit_code", "a3.credit_code"))
    dropped = e.pop(4)                                   # in 附1 and 附4, missing from 附3
    out.append(("a1", dropped["_id"], "name", "cross.a1_a3"))
    out.append(("a4", dropped["_id"], "name", "cross.a1_a3"))
    e[2].update(size="中型", staff=50)
    out.append(("a3", e[2]["_id"], "size", "a3.size_staff"))
    a4 = {r["_id"]: r for r in d["a4"]}
    a4["e0"]["rd_share_i0"] = 3
    out.append(("a4", "e0", "rd_share_i0", "a4.rd_share"))
    a4["e3"].update(patents_i0=1, rd_institutions_i0=0, standards_i0=0)
    out.append(("a4", "e3", "patents_i0", "a4.innovation"))
    a4["e5"].update(growth_i0=-3.5, ipo_plan_i0="无")
    out.append(("a4", "e5", "growth_i0", "a4.growth"))
    p = d["a2"][1]
    p["doc_no"] = p["doc_no"].replace("〔", "[").replace("〕", "]")
    out.append(("a2", p["_id"], "doc_no", "a2.doc_no_brackets"))
    missing = d["a2"][2]["name"]                        # a 附2 platform without a 附5 application
    for k in ("a5_basic", "a5_ops", "a5_res", "a5_tot", "a5_srv"):
        d[k] = [r for r in d[k] if r["unit"] != missing]
    out.append(("a2", d["a2"][2]["_id"], "name", "cross.a2_a5"))
    ops = d["a5_ops"][0]
    ops["service_revenue"] = round(ops["revenue"] * 1.2, 2)
    out.append(("a5_ops", ops["_id"], "service_revenue", "a5.service_revenue"))
    d["a5_basic"][0]["mobile"] = d["a5_basic"][0]["mobile"][:10]
    out.append(("a5_basic", d["a5_basic"][0]["_id"], "mobile", "a5.mobile"))
    return out


def mistakes_wuxi(d: dict, spec: S.Spec) -> list:
    """无锡市, 第2批."""
    out = []
    limit = spec.plan_limits[2]
    items = [r for r in d["plan"] if r["section"] == 2]
    rng = random.Random(7)
    items[0]["text"] = _plan_text(rng, "无锡市", spec.plan_items[3], 9, 3, target_chars=limit + 40)
    out.append(("plan", items[0]["_id"], "text", "plan.limit"))
    e = d["a3"]
    e[0]["intro"] = (e[0]["intro"] * 4)[:560]
    out.append(("a3", e[0]["_id"], "intro", "field.max_len"))
    dup = dict(d["a1"][2], _id="dup")
    d["a1"].insert(6, dup)
    for i, r in enumerate(d["a1"]):
        r["seq"] = i + 1
    out.append(("a1", "dup", "name", "field.unique"))
    d["a1"][8]["seq"] = 10                                # 序号 gap: …, 8, 10
    for i, r in enumerate(d["a1"][9:], start=11):
        r["seq"] = i
    out.append(("a1", d["a1"][8]["_id"], "seq", "a1.seq"))
    e[3].update(fill_gap="填补国内空白", fill_gap_field=None)
    out.append(("a3", e[3]["_id"], "fill_gap_field", "a3.gap_field"))
    e[5].update(four_base="否", four_base_category=None, fill_gap="否", fill_gap_field=None,
                shortboard="否", shortboard_field=None)
    out.append(("a3", e[5]["_id"], "four_base", "a3.orientation"))
    e[6]["credit_code"] = e[6]["credit_code"][:17]
    out.append(("a3", e[6]["_id"], "credit_code", "a3.credit_code"))
    a4 = {r["_id"]: r for r in d["a4"]}
    a4["e1"]["main_rev_share_i0"] = 65
    out.append(("a4", "e1", "main_rev_share_i0", "a4.main_rev_share"))
    return out


def mistakes_changzhou(d: dict, spec: S.Spec) -> list:
    """常州市, 第1批 (growth is not required: a falling growth rate here is NOT a finding)."""
    out = []
    e = d["a3"]
    e[1].update(four_base="是", four_base_category=None)
    out.append(("a3", e[1]["_id"], "four_base_category", "a3.four_base_category"))
    e[3]["legal_rep"] = None
    out.append(("a3", e[3]["_id"], "legal_rep", "field.required"))
    e[4]["reg_date"] = dt.date(2031, 5, 1)
    out.append(("a3", e[4]["_id"], "reg_date", "a3.reg_date_future"))
    a4 = {r["_id"]: r for r in d["a4"]}
    a4["e2"]["quality_certs_i0"] = 0
    a4["e2"]["quality_certs_y1"] = max(1, a4["e2"]["quality_certs_y1"])
    out.append(("a4", "e2", "quality_certs_i0", "a4.quality_certs"))
    a4["e0"]["patents_y1"] = a4["e0"]["patents_i0"] - 1
    out.append(("a4", "e0", "patents_y1", "a4.target_below_initial"))
    p = d["a2"][1]
    p["doc_no"] = "常工信2021第5号"
    out.append(("a2", p["_id"], "doc_no", "a2.doc_no"))
    b = d["a5_basic"]
    b.append(dict(b[0], _id="stray", unit="常州市某某检测服务中心"))      # a 附5 unit that is not in 附2
    out.append(("a5_basic", "stray", "unit", "cross.a2_a5"))
    b[0]["postcode"] = "21300"
    out.append(("a5_basic", b[0]["_id"], "postcode", "a5.postcode"))
    b[1]["email"] = "zhangsan#qq.com"
    out.append(("a5_basic", b[1]["_id"], "email", "a5.email"))
    srv = d["a5_srv"][0]
    srv["satisfaction"] = "非常满意"
    out.append(("a5_srv", srv["_id"], "satisfaction", "field.choice"))
    return out


def messy_changzhou(d: dict, spec: S.Spec) -> list:
    a4 = {r["_id"]: r for r in d["a4"]}
    a4["e4"].update(growth_i0=-2.0, ipo_plan_i0="无")
    return [("a4", "e4", "growth_i0", "第1批：增长率≤0且无上市计划不是错误（成长性不作为第一批申报条件）")]


# ---------------------------------------------------------------- the messy-but-valid city

def messy_spec(spec: S.Spec) -> S.Spec:
    """The template as a user left it: 附1 renamed 附件1, a 备注 column inserted in 附3, a header re-wrapped."""
    sheets = tuple(dataclasses.replace(s, name="附件1") if s.key == "a1" else s for s in spec.sheets)
    tables = []
    for t in spec.tables:
        if t.key == "a3":
            fields = list(t.fields)
            fields.insert(2, S.Field("remark", "备注", S.TEXT, required=False, width=12))
            t = dataclasses.replace(t, fields=tuple(fields))
        elif t.key == "a2":
            fields = tuple(dataclasses.replace(f, header="国家（或省级）中小企业\n公共服务示范平台名称\n（具有独立法人资格，须与公布名称一致）")
                           if f.key == "name" else f for f in t.fields)
            t = dataclasses.replace(t, fields=fields)
        tables.append(t)
    return dataclasses.replace(spec, sheets=sheets, tables=tuple(tables))


def messy_yangzhou(d: dict, spec: S.Spec) -> list:
    """Values a user really types that mean the same as the clean ones; (table, id, field, what)."""
    out = []
    e = d["a3"]
    e[0].update(staff=str(e[0]["staff"]).translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    out.append(("a3", e[0]["_id"], "staff", "全角数字"))
    e[1]["capital"] = f"{int(e[1]['capital']):,}"
    out.append(("a3", e[1]["_id"], "capital", "千分位逗号“1,234”"))
    d_ = e[2]["reg_date"]
    e[2]["reg_date"] = f"{d_.year}年{d_.month}月{d_.day}日"
    out.append(("a3", e[2]["_id"], "reg_date", "文字日期“2015年3月2日”"))
    d_ = e[3]["reg_date"]
    e[3]["reg_date"] = f"{d_.year}.{d_.month}.{d_.day}"
    out.append(("a3", e[3]["_id"], "reg_date", "文字日期“2015.3.2”"))
    e[4]["remark"] = "企业自填"
    out.append(("a3", e[4]["_id"], "remark", "插入的“备注”列"))
    if e[5]["four_base"] == "否":
        e[5]["four_base_category"] = "——"
        out.append(("a3", e[5]["_id"], "four_base_category", "选填项填“——”"))
    a4 = {r["_id"]: r for r in d["a4"]}
    a4["e0"]["main_rev_share_i0"] = f"{a4['e0']['main_rev_share_i0']}%"
    out.append(("a4", "e0", "main_rev_share_i0", "文字百分数“85%”"))
    out.append(("a4", "e1", "main_rev_share_y1", "百分比格式的0.85（写入时转换）"))
    d["a5_basic"][1]["website"] = "无"
    out.append(("a5_basic", d["a5_basic"][1]["_id"], "website", "选填项填“无”"))
    # a blank row inside 附3 (between the 4th and 5th enterprise)
    e.insert(4, None)
    return out


# ---------------------------------------------------------------- one city

def build_city(spec: S.Spec, city: City, outdir: Path) -> dict:
    records = city_records(spec, city)
    findings, messy = [], []
    book_spec = spec
    if city.name == "苏州市":
        findings = mistakes_suzhou(records, spec)
    elif city.name == "无锡市":
        findings = mistakes_wuxi(records, spec)
    elif city.name == "常州市":
        findings = mistakes_changzhou(records, spec)
        messy = messy_changzhou(records, spec)
    elif city.name == "扬州市":
        book_spec = messy_spec(spec)
        messy = messy_yangzhou(records, book_spec)

    target = outdir / f"{city.name}{city.suffix}"
    with tempfile.TemporaryDirectory() as tmp:
        built = template.build_workbook(Path(tmp) / f"master{city.suffix}", city=city.name, batch=city.batch, year=YEAR,
                                        department=city.department, spec=book_spec)
        book = Book(built, book_spec, city)
        book.fill_cover({"contact": records["a5_basic"][0]["contact"] if records["a5_basic"] else "张伟",
                         "phone": f"{CITIES[city.name][1]}-8{city.seed:03d}6688",
                         "filled_on": dt.date(YEAR, 5, 20)})
        for key in ("plan", "a1", "a2", "a3", "a4", "a5_basic", "a5_ops", "a5_res", "a5_tot", "a5_srv"):
            book.fill(key, records[key])
        if city.name == "扬州市":    # a percentage typed into a cell the user formatted as %
            t = book_spec.table("a4")
            c = book.ws(t).cell(book.rows[("a4", "e1")], book.col(t, "main_rev_share_y1"))
            c.value = round(c.value / 100, 4)
            c.number_format = "0.0%"
        tmp_out = Path(tmp) / f"filled{city.suffix}"
        book.wb.save(tmp_out)
        if city.suffix == ".xlsm":
            xlsm.package_macros(tmp_out, book_spec)
        target.write_bytes(tmp_out.read_bytes())

    sheet_of = lambda tk: book_spec.sheet(book_spec.table(tk).sheet).name  # noqa: E731
    return {
        "file": target.name,
        "city": city.name,
        "batch": city.batch,
        "year": YEAR,
        "clean": city.clean,
        "enterprises": len([r for r in records["a3"] if r is not None]),
        "platforms": len(records["a2"]),
        "expected_findings": [
            {"sheet": sheet_of(tk), "cell": book.cell(tk, rid, fk), "rule": rule,
             "severity": spec.rule(rule).severity}
            for tk, rid, fk, rule in findings],
        "messy_valid": [
            {"sheet": sheet_of(tk), "cell": book.cell(tk, rid, fk), "what": what}
            for tk, rid, fk, what in messy],
        "messy_structure": ["附1工作表改名为“附件1”", "附3插入“备注”列", "附2表头多余换行", "附3表格中有空行"]
        if city.name == "扬州市" else [],
    }


SAMPLE_CITIES = (
    City("南京市", seed=11, batch=3, n_enterprises=8, n_platforms=3, clean=True, department="南京市工业和信息化局"),
    City("苏州市", seed=22, batch=2, n_enterprises=10, n_platforms=4, department="苏州市工业和信息化局"),
    City("无锡市", seed=33, batch=2, n_enterprises=9, n_platforms=3, department="无锡市工业和信息化局"),
    City("常州市", seed=44, batch=1, n_enterprises=7, n_platforms=2, department="常州市工业和信息化局"),
    City("扬州市", seed=55, batch=2, n_enterprises=6, n_platforms=2, suffix=".xlsm", clean=True,
         department="扬州市工业和信息化局"),
)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outdir = Path(argv[0]) if argv else ROOT / "samples"
    manifest_path = outdir / "manifest.json" if argv else Path(__file__).resolve().parent / "manifest.json"
    outdir.mkdir(parents=True, exist_ok=True)
    spec = get_spec()
    manifest = {"year": YEAR, "files": [build_city(spec, c, outdir) for c in SAMPLE_CITIES]}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for f in manifest["files"]:
        print(f"{f['file']}: {f['enterprises']}家企业、{f['platforms']}个平台，"
              f"应报问题{len(f['expected_findings'])}个，{'应无错误' if f['clean'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
