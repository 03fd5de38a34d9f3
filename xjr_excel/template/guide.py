"""The 填报说明 (guide) sheet: steps, ★ priority, the conditions and limits from the policy,
what 校验 does, and every rule of the spec — all generated, so a policy change shows here too."""
from __future__ import annotations

import re

from openpyxl.styles import Alignment

from xjr_excel.template import layout as L
from xjr_excel.spec.definition import Spec
from xjr_excel.model import SEVERITY_COLOUR as _C, SEVERITY_LABEL


def write_guide(ws, spec: Spec, title: str) -> None:
    """The 填报说明 sheet; ``title`` is the title formula over the cover names."""
    p = spec.policy
    e, lim = p.eligibility, p.limits
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 26        # rule ids in the rules table
    ws.column_dimensions["C"].width = 18
    ws.column_dimensions["D"].width = 76
    c = ws.cell(1, 1, title)
    c.font = L.TITLE_FONT
    c.alignment = L.CENTER_WRAP
    ws.merge_cells("A1:D1")
    ws.row_dimensions[1].height = 36
    row = [3]

    def heading(text):
        cell = ws.cell(row[0], 1, text)
        cell.font = L.LABEL_FONT
        ws.merge_cells(L.ref(1, row[0], 4, row[0]))
        row[0] += 1

    def para(n, text, height=None):
        ws.cell(row[0], 1, n).alignment = Alignment(horizontal="right", vertical="top")
        cell = ws.cell(row[0], 2, text)
        cell.alignment = L.TOP_WRAP
        cell.font = L.BODY_FONT
        ws.merge_cells(L.ref(2, row[0], 4, row[0]))
        ws.row_dimensions[row[0]].height = height or 15 * max(1, -(-len(text) // 58)) + 4
        row[0] += 1

    a = {s.key: s.name for s in spec.sheets}
    heading("一、填报步骤")
    steps = [
        f"在“{a['cover']}”填写城市、批次、申报年度和市级中小企业主管部门。各表标题、附1/附2盖章行和附5的年度随之自动更新，不要改动标题。",
        f"在“{a['plan']}”的“内容”列逐项填写正文。右侧实时统计每部分字数（不计空格、换行等空白字符），超过上限时显示“超出”。",
        f"在附1–附5中每行填写一条记录（附1、附3、附4每行一家企业，附2每行一个平台，附5按平台逐行填写）。"
        "行数不够时，在表格最后一行的最后一格按 Tab 键，或拖动表格右下角，表格会自动扩展并带上下拉列表和格式。",
        "带下拉箭头的单元格请从列表中选择；选中单元格时会显示填写提示。不要合并单元格，不要在表格中插入小计行。",
        "附1、附3、附4的企业名称须一一对应，并与工业和信息化部公布的名称完全一致；附2的每个平台都须在附5填写申请表。",
        f"填好后点击“小巨人”选项卡中的“校验”（或在命令行运行 xjr validate 文件名）。有问题的单元格会标为{_C['error']}（错误）或{_C['warning']}（警告），"
        "并写入“校验结果”工作表，逐条修改后再次校验，直到没有错误。",
        "打印附1、附2并加盖市级中小企业主管部门公章；将本工作簿按要求报送省级主管部门。",
    ]
    for i, s_ in enumerate(steps, start=1):
        para(i, s_)
    row[0] += 1
    heading("二、★优先")
    para("★", "请优先组织符合★条件的企业填报：附3中“★是否填补国内或国际空白”选择填补空白，或“★是否关键领域补短板”选“是”。"
              "校验结果和全省汇总中★企业排在前面。")
    para("", "产业导向须符合其一：《工业“四基”发展目录》重点领域、制造强国战略十大重点产业领域、关键领域补短板、"
             "关键核心技术攻关、填补国内（国际）空白、与重点行业龙头企业协同创新。表中只能反映“四基”、填补空白、补短板三项，"
             "三项都不是的企业会得到警告，请在实施方案中说明。")
    row[0] += 1
    heading("三、申报条件和填写限制（校验依据）")
    ipo = "或".join(e["ipo_plans_that_count"])
    conditions = [
        f"专业化程度：主营业务收入占营业收入比重（实施期初始值）≥{e['main_revenue_share_min']}%。",
        f"创新能力：近2年研发经费支出占营业收入比重≥{e['rd_share_min']}%；并满足其一：有效发明专利≥{e['patents_min']}项、"
        f"研发机构≥{e['rd_institutions_min']}个、主持或参与制（修）订标准≥{e['standards_min']}个。",
        f"经营管理：质量管理体系认证≥{e['quality_certs_min']}项。",
        f"成长性：自第{p.growth_from_batch}批起，上年主营业务收入增长率>{e['growth_rate_min_exclusive']}，或有上市计划（{ipo}）；"
        "第一批不作要求。",
        f"企业规模须与从业人数相符（《中小企业划型标准规定》{p.raw['size_standard']['name']}，如出台新的划型标准，按最新标准执行）。",
        f"字数上限（不计空白字符）：实施方案第一部分{lim['plan_section_1']}字、第二部分{lim['plan_section_2']}字、"
        f"第三部分{lim['plan_section_3']}字；企业简介{lim['intro']}字（另附页无效）；提供服务内容{lim['service_content']}字；"
        f"填补空白具体领域{lim['gap_field']}字；补短板具体领域和环节{lim['shortboard_field']}字。",
        "统一社会信用代码18位，按GB 32100-2015校验位核对；认定文号用六角括号，如：工信部企业函〔2020〕123号。",
        f"附5“年度”为申报年度前两年（由封面“申报年度”推算）；手机号11位；邮政编码6位。",
        "附4所有指标均需填报：百分比填数值（85表示85%，填“85%”也可以）；个数填整数，没有填0。",
    ]
    for i, s_ in enumerate(conditions, start=1):
        para(i, s_)
    row[0] += 1
    heading("四、“校验”做什么")
    for i, s_ in enumerate([
        "只读取数据，不改动您填写的内容；不运行任何宏。",
        "逐项检查：必填、格式（数字、日期、信用代码、手机号等）、下拉选项、字数、序号连续、名称重复、"
        "附1/附3/附4和附2/附5之间是否对应、各项申报条件。",
        f"在有错误的单元格标{_C['error']}、有警告的单元格标{_C['warning']}并加批注，说明依据和改法；“校验结果”表列出全部问题，点击可跳转。",
        "“清除标记”去掉所有标记和批注，数据不变。错误必须改正；警告请核对，确认无误可以保留。",
    ], start=1):
        para(i, s_)
    row[0] += 1
    heading("五、附2 注（模板原文）")
    para("", "各市组织符合条件的公共服务示范平台编写申请报告，申请报告主要包括：近年来服务我省国家级专精特新“小巨人”企业开展的主要工作"
             "及取得成效；集聚技术、资金和人才等创新资源，开展服务活动及示范带动情况；“十四五”期间重点服务措施；分年度（实施期满1年、"
             "实施期满2年）预期目标（参考《重点“小巨人”企业目标表》中列出的相关指标）及成效；典型服务案例等情况。后附：年度审计报告"
             "及服务收支情况的专项审计报告，或上一年度包含服务收支情况的审计报告；在“信用中国”网站无不良记录和失信记录的证明材料；"
             "服务的“小巨人”企业签订服务协议复印件；与集聚的服务资源签订的合作协议复印件；开展相关服务的证明材料；能够证明符合申报条件的"
             "其他材料和对申报材料真实性的声明（加盖申报单位公章）。")
    row[0] += 1
    heading("六、校验规则一览")
    for i, h in enumerate(("级别", "规则编号", "依据", "说明"), start=1):
        L.header_cell(ws, row[0], i, h)
    row[0] += 1
    for r in spec.rules:
        vals = (SEVERITY_LABEL[r.severity], r.id, r.clause, _generic_message(r.message))
        for i, v in enumerate(vals, start=1):
            cell = ws.cell(row[0], i, v)
            cell.font, cell.border, cell.alignment = L.BODY_FONT, L.BOX, L.TOP_WRAP
        ws.row_dimensions[row[0]].height = 15 * max(1, -(-len(vals[3]) // 44)) + 4
        row[0] += 1
    L.page_setup(ws, landscape=False, print_rows=0, last_col=4, last_row=row[0] - 1)


def _generic_message(template: str) -> str:
    """A rule's message template with its placeholders shown as “…”."""
    return re.sub(r"\{[a-z_]+\}", "…", template)
