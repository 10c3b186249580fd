"""Real-world renderings of one 2021-format report, written the way real tools print them.

Each renderer imitates one tool or page seen in the wild (not the farm generator): the
one-value-per-line text of a copied web page, `|` rows, a label followed by its numbers on one
line (tabs or spaces), `pdftotext -layout` column-aligned rows with wrapped labels and a merged
left column, `pdftotext` raw one token per line, page headers/footers interleaved. The numbers
are the same in all of them, so every rendering must extract to `EXPECTED_*` below, which are
written out literally (not computed by the extractor).
"""
from __future__ import annotations

from nianbao import canon

T3C = [k.key for k in canon.T3_COLS]
T4R = ["admin_review", "litigation_direct", "litigation_after_review"]
T4C = ["upheld", "corrected", "other", "pending", "total"]

# ------------------------------------------------------------------ the numbers (by hand)
T2_ROWS = [  # (label, printed cells)
    ("规章", ["1", "0", "3"]),
    ("行政规范性文件", ["12", "4", "87"]),
    ("行政许可", ["1,493"]),
    ("行政处罚", ["58"]),
    ("行政强制", ["9"]),
    ("行政事业性收费", ["12.35"]),
]
EXPECTED_T2 = {
    "regulations": {"issued_this_year": 1, "repealed_this_year": 0, "in_force": 3},
    "normative_docs": {"issued_this_year": 12, "repealed_this_year": 4, "in_force": 87},
    "admin_licensing": {"decisions": 1493},
    "admin_penalty": {"decisions": 58},
    "admin_coercion": {"decisions": 9},
    "admin_fees": {"fee_amount_wan_yuan": 12.35},
}
# 表三: 25 rows × 7 columns, every row different so a row or column shift shows
EXPECTED_T3 = {
    "new_received":                  [41, 3, 0, 1, 2, 0, 47],
    "carried_over":                  [2, 1, 0, 0, 0, 0, 3],
    "granted":                       [11, 1, 0, 0, 1, 0, 13],
    "partially_granted":             [4, 0, 0, 0, 0, 0, 4],
    "denied.state_secret":           [1, 0, 0, 0, 0, 0, 1],
    "denied.law_prohibited":         [0, 0, 0, 0, 0, 0, 0],
    "denied.security_stability":     [0, 0, 0, 0, 0, 0, 0],
    "denied.third_party":            [2, 0, 0, 0, 0, 0, 2],
    "denied.internal_affairs":       [1, 0, 0, 0, 0, 0, 1],
    "denied.process_info":           [3, 0, 0, 0, 0, 0, 3],
    "denied.enforcement_file":       [0, 0, 0, 0, 0, 0, 0],
    "denied.admin_inquiry":          [1, 0, 0, 0, 0, 0, 1],
    "unable.not_held":               [9, 2, 0, 1, 0, 0, 12],
    "unable.needs_creation":         [1, 0, 0, 0, 0, 0, 1],
    "unable.unclear":                [0, 0, 0, 0, 0, 0, 0],
    "not_processed.petition":        [3, 0, 0, 0, 0, 0, 3],
    "not_processed.duplicate":       [2, 0, 0, 0, 0, 0, 2],
    "not_processed.publication":     [0, 0, 0, 0, 0, 0, 0],
    "not_processed.excessive":       [1, 0, 0, 0, 0, 0, 1],
    "not_processed.confirm_reissue": [0, 0, 0, 0, 0, 0, 0],
    "other.no_correction":           [2, 0, 0, 0, 0, 0, 2],
    "other.fee_unpaid":              [0, 0, 0, 0, 0, 0, 0],
    "other.other":                   [1, 0, 0, 0, 0, 0, 1],
    "total_processed":               [42, 3, 0, 1, 1, 0, 47],
    "carried_forward":               [1, 1, 0, 0, 1, 0, 3],
}
EXPECTED_T4 = [1, 0, 2, 1, 4, 0, 1, 0, 1, 2, 0, 0, 0, 0, 0]

# 表三 label cells printed before each data row, in grid order (merged cells on their first row)
T3_LABELS = {
    "new_received": ["一、本年新收政府信息公开申请数量"],
    "carried_over": ["二、上年结转政府信息公开申请数量"],
    "granted": ["三、本年度办理结果", "（一）予以公开"],
    "partially_granted": ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"],
    "denied.state_secret": ["（三）不予公开", "1.属于国家秘密"],
    "denied.law_prohibited": ["2.其他法律行政法规禁止公开"],
    "denied.security_stability": ["3.危及“三安全一稳定”"],
    "denied.third_party": ["4.保护第三方合法权益"],
    "denied.internal_affairs": ["5.属于三类内部事务信息"],
    "denied.process_info": ["6.属于四类过程性信息"],
    "denied.enforcement_file": ["7.属于行政执法案卷"],
    "denied.admin_inquiry": ["8.属于行政查询事项"],
    "unable.not_held": ["（四）无法提供", "1.本机关不掌握相关政府信息"],
    "unable.needs_creation": ["2.没有现成信息需要另行制作"],
    "unable.unclear": ["3.补正后申请内容仍不明确"],
    "not_processed.petition": ["（五）不予处理", "1.信访举报投诉类申请"],
    "not_processed.duplicate": ["2.重复申请"],
    "not_processed.publication": ["3.要求提供公开出版物"],
    "not_processed.excessive": ["4.无正当理由大量反复申请"],
    "not_processed.confirm_reissue": ["5.要求行政机关确认或重新出具已获取信息"],
    "other.no_correction": ["（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"],
    "other.fee_unpaid": ["2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"],
    "other.other": ["3.其他"],
    "total_processed": ["（七）总计"],
    "carried_forward": ["四、结转下年度继续办理"],
}
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TITLE = "清河县自然资源局2023年度政府信息公开工作年度报告"
T4_HEAD_1 = ["行政复议", "行政诉讼"]
T4_HEAD_2 = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]
T4_LEAF = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def t3_printed(row: str) -> list[str]:
    return [str(v) for v in EXPECTED_T3[row]]


def prose_head(title: str = TITLE) -> list[str]:
    return [title, "发布日期：2024-01-19 来源：县自然资源局", "一、总体情况",
            "2023年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开政府信息356条。",
            "二、主动公开政府信息情况"]


def prose_tail() -> list[str]:
    return ["五、存在的主要问题及改进情况", "一是公开内容不够全面。二是解读形式较单一。",
            "六、其他需要报告的事项", "本年度未收取信息处理费。", "清河县自然资源局", "2024年1月18日"]


# ------------------------------------------------------------------ 1. one value per line
def one_per_line(split_labels: bool = True, note: bool = True, header_order: str = "html") -> str:
    """A copied web page: every cell on its own line, blank lines between paragraphs."""
    out = prose_head()
    clauses = [("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"], T2_ROWS[0:2]),
               ("第二十条第（五）项", ["本年处理决定数量"], T2_ROWS[2:3]),
               ("第二十条第（六）项", ["本年处理决定数量"], T2_ROWS[3:5]),
               ("第二十条第（八）项", ["本年收费金额（单位：万元）"], T2_ROWS[5:6])]
    for clause, cols, rows in clauses:
        out += [clause, "信息内容", *cols]
        for lab, vals in rows:
            out += [lab, *vals]
    out.append("三、收到和处理政府信息公开申请情况")
    if note:
        out.append(NOTE)
    com = ["商业", "企业"] if split_labels else ["商业企业"]
    res = ["科研", "机构"] if split_labels else ["科研机构"]
    if header_order == "html":
        out += ["申请人情况", "自然人", "法人或其他组织", "总计", *com, *res, "社会公益组织", "法律服务机构", "其他"]
    else:  # column order, as a PDF reader that reads header rows bottom-up gives it
        out += ["申请人情况", "自然人", "法人或其他组织", *com, *res, "社会公益组织", "法律服务机构", "其他", "总计"]
    for row, labels in T3_LABELS.items():
        for lab in labels:
            if split_labels and len(lab) > 22:   # a long label wraps in the source cell
                out += [lab[:16], lab[16:]]
            else:
                out.append(lab)
        out += t3_printed(row)
    out += ["四、政府信息公开行政复议、行政诉讼情况", *T4_HEAD_1, *T4_HEAD_2, *T4_LEAF, *T4_LEAF, *T4_LEAF]
    out += [str(v) for v in EXPECTED_T4]
    out += prose_tail()
    return "\n\n".join(out) + "\n"


# ------------------------------------------------------------------ 2. label + numbers on one line
def label_then_numbers(sep: str = "\t") -> str:
    out = prose_head()
    out += ["第二十条第（一）项", sep.join(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"])]
    for lab, vals in T2_ROWS[0:2]:
        out.append(sep.join([lab, *vals]))
    out += ["第二十条第（五）项", sep.join(["信息内容", "本年处理决定数量"]), sep.join(["行政许可", "1,493"]),
            "第二十条第（六）项", sep.join(["信息内容", "本年处理决定数量"]),
            sep.join(["行政处罚", "58"]), sep.join(["行政强制", "9"]),
            "第二十条第（八）项", sep.join(["信息内容", "本年收费金额（单位：万元）"]),
            sep.join(["行政事业性收费", "12.35"])]
    out += ["三、收到和处理政府信息公开申请情况", NOTE, "申请人情况",
            sep.join(["自然人", "法人或其他组织", "总计"]),
            sep.join(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])]
    for row, labels in T3_LABELS.items():
        out.append(sep.join([*labels, *t3_printed(row)]))
    out += ["四、政府信息公开行政复议、行政诉讼情况", sep.join(T4_HEAD_1), sep.join(T4_HEAD_2),
            sep.join(T4_LEAF * 3), sep.join(str(v) for v in EXPECTED_T4)]
    out += prose_tail()
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ 3. pdftotext -layout
def _layout_row(labels: list[str], nums: list[str], width: int = 46, colw: int = 8) -> str:
    left = "  ".join(labels)
    return left.ljust(width) + "".join(n.rjust(colw) for n in nums)


def pdftotext_layout(page_breaks: bool = True) -> str:
    """`pdftotext -layout` of a Word report exported to PDF: labels left, numbers right-aligned in
    fixed columns, long labels wrapped over two lines with the numbers on the first, the merged
    三、本年度办理结果 cell printed in pieces down the left margin, page header/footer lines
    between rows."""
    out = ["                    " + TITLE, "", "      发布日期：2024-01-19", "", "一、总体情况",
           "    2023年，我局认真贯彻落实《条例》，全年主动公开政府信息356条。", "", "二、主动公开政府信息情况",
           "                          第二十条第（一）项",
           "    信息内容                本年制发件数      本年废止件数      现行有效件数",
           "    规章                          1                 0                 3",
           "    行政规范性文件               12                 4                87",
           "                          第二十条第（五）项",
           "    信息内容                            本年处理决定数量",
           "    行政许可                                 1,493",
           "                          第二十条第（六）项",
           "    信息内容                            本年处理决定数量",
           "    行政处罚                                   58",
           "    行政强制                                    9",
           "                          第二十条第（八）项",
           "    信息内容                      本年收费金额（单位：万元）",
           "    行政事业性收费                            12.35",
           "三、收到和处理政府信息公开申请情况",
           "                                                         申请人情况",
           "    （本列数据的勾稽关系为：第一                       法人或其他组织",
           "    项加第二项之和，等于第三项加   自然人   商业   科研   社会公益  法律服务   其他    总计",
           "    第四项之和）                            企业   机构    组织      机构"]
    left_piece = {"denied.third_party": "三、本年", "denied.internal_affairs": "度办理结",
                  "denied.process_info": "果"}
    for row, labels in T3_LABELS.items():
        labs = [lab for lab in labels if lab != "三、本年度办理结果"]
        first = labs[-1]
        cont = None
        if len(first) > 20:
            first, cont = first[:14], first[14:]
        shown = labs[:-1] + [first]
        if row in left_piece:
            shown = [left_piece[row]] + shown
        out.append("    " + _layout_row(shown, t3_printed(row)))
        if cont:
            out.append("    " + " " * 14 + cont)
        if page_breaks and row == "unable.unclear":
            out += ["", "                                   — 3 —", "\f清河县自然资源局2023年度政府信息公开工作年度报告", ""]
    out += ["四、政府信息公开行政复议、行政诉讼情况",
            "                行政复议                                        行政诉讼",
            "                                               未经复议直接起诉                 复议后起诉",
            "  结果  结果  其他  尚未  总计    结果  结果  其他  尚未  总计    结果  结果  其他  尚未  总计",
            "  维持  纠正  结果  审结          维持  纠正  结果  审结          维持  纠正  结果  审结",
            "  " + "".join(str(v).rjust(6) for v in EXPECTED_T4),
            "", "                                   第 4 页 共 5 页", ""]
    out += prose_tail()
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ 4. pdftotext raw: one token per line
def pdftotext_raw() -> str:
    """Plain `pdftotext` (no -layout) of a ruled table: one cell per line, wrapped labels broken
    where the cell wrapped, page number lines between pages, no blank lines."""
    out = [TITLE, "一、总体情况", "2023年，我局认真贯彻落实《条例》。", "二、主动公开政府信息情况",
           "第二十条第（一）项", "信息内容", "本年制发件", "数", "本年废止件", "数", "现行有效件", "数"]
    for lab, vals in T2_ROWS[0:2]:
        out += [lab, *vals]
    out += ["第二十条第（五）项", "信息内容", "本年处理决定数量", "行政许可", "1,493",
            "第二十条第（六）项", "信息内容", "本年处理决定数量", "行政处罚", "58", "行政强制", "9",
            "第二十条第（八）项", "信息内容", "本年收费金额（单位：", "万元）", "行政事业性收费", "12.35",
            "- 2 -",
            "三、收到和处理政府信息公开申请情况", "（本列数据的勾稽关系为：第一项加第二项之", "和，等于第三项加第四项之和）",
            "申请人情况", "自然人", "法人或其他组织", "总计", "商业", "企业", "科研", "机构", "社会公益", "组织",
            "法律服务", "机构", "其他"]
    for row, labels in T3_LABELS.items():
        for lab in labels:
            while len(lab) > 12:
                out.append(lab[:12])
                lab = lab[12:]
            out.append(lab)
        out += t3_printed(row)
        if row == "not_processed.publication":
            out.append("- 3 -")
    out += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果", "维持", "结果", "纠正",
            "其他", "结果", "尚未", "审结", "总计", "未经复议直接起诉", "复议后起诉"]
    out += ["结果", "维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计"] * 2
    out += [str(v) for v in EXPECTED_T4]
    out += prose_tail()
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ 5. cell variants in a layout dump
# Printed cells that differ from the plain numbers: blanks (a gap between columns), "/", "—",
# full-width digits, "0.00", and what each must become (None = not a number, never 0).
CELL_VARIANTS_T3 = {
    "carried_over": (["", "", "", "", "", "", "0"], [None, None, None, None, None, None, 0]),
    "denied.law_prohibited": (["/"] * 7, [None] * 7),
    "denied.security_stability": (["—", "—", "—", "—", "—", "—", "—"], [None] * 7),
    "unable.not_held": (["９", "２", "０", "１", "０", "０", "１２"], [9, 2, 0, 1, 0, 0, 12]),
    "total_processed": (["42", "3", "", "1", "1", "", "47"], [42, 3, None, 1, 1, None, 47]),
}
CELL_VARIANTS_T2 = {  # label: (printed, expected)
    "规章": (["", "", "3"], {"issued_this_year": None, "repealed_this_year": None, "in_force": 3}),
    "行政事业性收费": (["0.00"], {"fee_amount_wan_yuan": 0}),
}


def expected_cell_variants() -> tuple[dict, dict]:
    t3 = dict(EXPECTED_T3)
    t3.update({r: exp for r, (_, exp) in CELL_VARIANTS_T3.items()})
    t2 = dict(EXPECTED_T2)
    t2["regulations"] = CELL_VARIANTS_T2["规章"][1]
    t2["admin_fees"] = CELL_VARIANTS_T2["行政事业性收费"][1]
    return t2, t3


def layout_cell_variants() -> str:
    """`pdftotext -layout` of a report whose table cells are blank, "/", "—", full-width or
    0.00; labels wrapped over three lines with the numbers on the middle line; the 表三 header
    repeated at the top of the next page, a bare page number line between pages."""
    colw = 18
    out = [TITLE, "发布日期：2024-01-19", "一、总体情况", "2023年，我局全年主动公开政府信息356条。",
           "二、主动公开政府信息情况", "第二十条第（一）项",
           "信息内容".ljust(12) + "".join(h.rjust(colw) for h in ["本年制发件数", "本年废止件数", "现行有效件数"])]
    for lab, vals in T2_ROWS[0:2]:
        vals = CELL_VARIANTS_T2.get(lab, (vals,))[0]
        out.append(lab.ljust(12) + "".join(v.rjust(colw) for v in vals))
    out += ["第二十条第（五）项", "信息内容        本年处理决定数量", "行政许可" + "1,493".rjust(20),
            "第二十条第（六）项", "信息内容        本年处理决定数量", "行政处罚" + "58".rjust(20),
            "行政强制" + "9".rjust(20),
            "第二十条第（八）项", "信息内容        本年收费金额（单位：万元）", "行政事业性收费" + "0.00".rjust(16)]
    header = ["                                      申请人情况",
              "                                         法人或其他组织",
              "                       自然人   商业   科研   社会公益  法律服务  其他    总计",
              "                                企业   机构    组织      机构"]
    out += ["三、收到和处理政府信息公开申请情况"] + header
    for row, labels in T3_LABELS.items():
        printed = CELL_VARIANTS_T3.get(row, (t3_printed(row),))[0]
        nums = "".join(v.rjust(7) for v in printed)
        lab = labels[-1]
        group = "  ".join(labels[:-1])
        if len(lab) > 24:   # three lines, numbers on the middle one
            a, b, c = lab[:12], lab[12:24], lab[24:]
            out += [("    " + group).ljust(4) + "  " + a if group else "      " + a,
                    "      " + b.ljust(40) + nums, "      " + c]
        else:
            out.append(("    " + "  ".join(labels)).ljust(46) + nums)
        if row == "denied.admin_inquiry":
            out += ["", "3", "\f" + header[0]] + header[1:]
    out += ["四、政府信息公开行政复议、行政诉讼情况", "    行政复议                      行政诉讼",
            "                        未经复议直接起诉      复议后起诉",
            "结果维持 结果纠正 其他结果 尚未审结 总计 " * 3,
            " ".join(str(v) for v in EXPECTED_T4), "4"]
    out += prose_tail()
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ 6. PDF without ruling lines
def pdf_text_only(blank_cells: bool = True, repeat_header: bool = True) -> bytes:
    """A Word/WPS report exported to PDF whose tables have no border lines (pdfplumber finds no
    table): reportlab tables without GRID, long labels wrapped in their cells, 三、本年度办理结果
    spanning the result rows, 表三 running onto the next page with its header repeated."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    st = ParagraphStyle("zh", fontName="STSong-Light", fontSize=9, leading=12)
    small = ParagraphStyle("zs", fontName="STSong-Light", fontSize=7, leading=9)
    P = lambda t, s=small: Paragraph(t, s)  # noqa: E731
    base = [("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (-1, -1), "CENTER")]
    story = [Paragraph(TITLE, st), Paragraph("发布日期：2024-01-19", st), Paragraph("一、总体情况", st),
             Paragraph("2023年，我局认真贯彻落实《条例》，全年主动公开政府信息356条。", st),
             Paragraph("二、主动公开政府信息情况", st)]
    t2 = [["第二十条第（一）项", "", "", ""], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
          ["规章", "" if blank_cells else "1", "0", "3"], ["行政规范性文件", "12", "4", "87"],
          ["第二十条第（五）项", "", "", ""], ["信息内容", "本年处理决定数量", "", ""], ["行政许可", "1,493", "", ""],
          ["第二十条第（六）项", "", "", ""], ["信息内容", "本年处理决定数量", "", ""], ["行政处罚", "58", "", ""],
          ["行政强制", "9", "", ""],
          ["第二十条第（八）项", "", "", ""], ["信息内容", "本年收费金额（单位：万元）", "", ""],
          ["行政事业性收费", "12.35", "", ""]]
    t = Table(t2, colWidths=[110, 110, 110, 110])
    spans = [("SPAN", (0, r), (3, r)) for r in (0, 4, 7, 11)] + \
            [("SPAN", (1, r), (3, r)) for r in (5, 6, 8, 9, 10, 12, 13)]
    t.setStyle(TableStyle(base + spans))
    story += [t, Paragraph("三、收到和处理政府信息公开申请情况", st)]
    head = [[P(NOTE), "", "", "申请人情况", "", "", "", "", "", ""],
            ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
            ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]]
    rows = list(head)
    spans = [("SPAN", (0, 0), (2, 2)), ("SPAN", (3, 0), (9, 0)), ("SPAN", (3, 1), (3, 2)),
             ("SPAN", (4, 1), (8, 1)), ("SPAN", (9, 1), (9, 2))]
    first_result = None
    for row, labels in T3_LABELS.items():
        r = len(rows)
        vals = t3_printed(row)
        if blank_cells and row == "carried_over":
            vals = ["", "", "", "", "", "", "0"]
        labs = [lab for lab in labels if lab != "三、本年度办理结果"]
        if row in ("new_received", "carried_over", "carried_forward"):
            cells = [P(labs[0]), "", ""]
            spans.append(("SPAN", (0, r), (2, r)))
        elif len(labs) == 2 or "." in labs[0][:3]:
            cells = ["", P(labs[0]) if len(labs) == 2 else "", P(labs[-1])]
        else:
            cells = ["", P(labs[0]), ""]
            spans.append(("SPAN", (1, r), (2, r)))
        if row == "granted":
            first_result = r
            cells[0] = P("三、本年度办理结果")
        rows.append(cells + vals)
    last_result = len(rows) - 2
    spans.append(("SPAN", (0, first_result), (0, last_result)))
    t = Table(rows, colWidths=[40, 55, 120] + [38] * 7, repeatRows=3 if repeat_header else 0)
    t.setStyle(TableStyle(base + spans))
    story += [t, Paragraph("四、政府信息公开行政复议、行政诉讼情况", st)]
    leaf = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    t4 = [["行政复议"] + [""] * 4 + ["行政诉讼"] + [""] * 9,
          [""] * 5 + ["未经复议直接起诉"] + [""] * 4 + ["复议后起诉"] + [""] * 4,
          [P(x) for x in leaf * 3], [str(v) for v in EXPECTED_T4]]
    t = Table(t4, colWidths=[34] * 15)
    t.setStyle(TableStyle(base + [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("SPAN", (0, 0), (4, 1)),
                                  ("SPAN", (5, 0), (14, 0)), ("SPAN", (5, 1), (9, 1)), ("SPAN", (10, 1), (14, 1))]))
    story += [t] + [Paragraph(x, st) for x in prose_tail()]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, topMargin=40, bottomMargin=40).build(story)
    return buf.getvalue()


# ------------------------------------------------------------------ 7. HTML from real portals
def t3_rows_html(total_col: bool = True, subtotal_col: bool = False, rows=None, note: bool = True,
                 values=None) -> list[list[tuple]]:
    """表三 as (text, rowspan, colspan, tag) rows: `<th>` header, 3 label columns with the
    result group merged down, optional 法人小计 column (not in the format) or no 总计 column."""
    values = values or EXPECTED_T3
    rows = rows or list(T3_LABELS)
    ncol = 6 + (1 if total_col else 0) + (1 if subtotal_col else 0)
    legal = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"] + (["小计"] if subtotal_col else [])
    out = [[(NOTE if note else "", 3, 3, "th"), ("申请人情况", 1, ncol, "th")],
           [("自然人", 2, 1, "th"), ("法人或其他组织", 1, len(legal), "th")] + ([("总计", 2, 1, "th")] if total_col else []),
           [(x.replace("企业", "<br>企业"), 1, 1, "th") for x in legal]]

    def vals(r):
        v = [str(x) for x in values[r]]
        if subtotal_col:
            v = v[:6] + [str(sum(values[r][1:6]))] + v[6:]
        return [(x, 1, 1, "td") for x in (v if total_col else v[:6])]

    result = [r for r in rows if r not in ("new_received", "carried_over", "carried_forward")]
    groups_seen = set()
    for r in rows:
        labels = [lab for lab in T3_LABELS.get(r, ["（六）其他处理"]) if lab != "三、本年度办理结果"]
        if r in ("new_received", "carried_over", "carried_forward"):
            out.append([(labels[0], 1, 3, "td")] + vals(r))
            continue
        row = []
        if r == result[0]:
            row.append(("三、本年度办理结果", len(result), 1, "td"))
        g = r.split(".")[0] if "." in r and r != "other.total" else None
        if g:
            if g not in groups_seen:
                groups_seen.add(g)
                n = sum(1 for x in result if x.startswith(g + ".") and x != "other.total")
                row.append((labels[0], n, 1, "td"))
            row.append((labels[-1], 1, 1, "td"))
        else:
            row.append((labels[0], 1, 2, "td"))
        out.append(row + vals(r))
    return out


def t4_rows_html(split_litigation: bool = False) -> list[list[tuple]]:
    leaf = [(x[:2] + "<br>" + x[2:] if len(x) == 4 else x, 1, 1, "th") for x in T4_LEAF]
    if split_litigation:   # 行政诉讼 printed in its own header row above the two sub-groups
        head = [[("行政复议", 3, 5, "th"), ("行政诉讼", 1, 10, "th")],
                [("未经复议直接起诉", 1, 5, "th"), ("复议后起诉", 1, 5, "th")],
                leaf + leaf]
        head[2] = [(x, 1, 1, "th") for x in []] + leaf + leaf
        head = [[("行政复议", 2, 5, "th"), ("行政诉讼", 1, 10, "th")],
                [("未经复议直接起诉", 1, 5, "th"), ("复议后起诉", 1, 5, "th")],
                leaf + leaf + leaf]
    else:
        head = [[("行政复议", 1, 5, "th"), ("行政诉讼", 1, 10, "th")],
                [(x, 2, 1, "th") for x in T4_LEAF] + [("未经复议直接起诉", 1, 5, "th"), ("复议后起诉", 1, 5, "th")],
                leaf + leaf]
    return head + [[(str(v), 1, 1, "td") for v in EXPECTED_T4]]


def t2_rows_html(clause_row: bool = True) -> list[list[list[tuple]]]:
    """表二 as four tables, each with its own 信息内容 header (and the clause as a title row)."""
    subs = [("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"], T2_ROWS[0:2]),
            ("第二十条第（五）项", ["本年处理决定数量"], T2_ROWS[2:3]),
            ("第二十条第（六）项", ["本年处理决定数量"], T2_ROWS[3:5]),
            ("第二十条第（八）项", ["本年收费金额（单位：万元）"], T2_ROWS[5:6])]
    out = []
    for clause, cols, rows in subs:
        span = 3 // len(cols)
        t = [[(clause, 1, 4, "th")]] if clause_row else []
        t.append([("信息内容", 1, 1, "th")] + [(c, 1, span, "th") for c in cols])
        for lab, vals in rows:
            t.append([(lab, 1, 1, "td")] + [(v, 1, span, "td") for v in vals])
        out.append(t)
    return out


def html_table_word(rows, nested: bool = True) -> str:
    """Word-pasted table markup: every cell text inside <p><span>, padding with &nbsp;."""
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" style="border-collapse:collapse">']
    for row in rows:
        out.append("<tr>")
        for text, rs, cs, tag in row:
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            inner = (f'<p class="MsoNormal" align="center"><span style="font-size:10.5pt">&nbsp;{text}&nbsp;</span>'
                     f'<span lang="EN-US"><o:p></o:p></span></p>') if nested else text
            out.append(f"<{tag}{attrs}>{inner}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def portal_page(body: str, title: str = TITLE, meta: bool = True, info: str = "发布时间：2024-01-19 09:30",
                charset: str = "utf-8") -> str:
    metas = (f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2024-01-19 09:30">'
             '<meta name="ContentSource" content="清河县自然资源局">') if meta else ""
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}">{metas}<title>{title}-清河县人民政府</title></head>'
            '<body><div class="header">清河县人民政府 繁體版 无障碍</div><div class="crumb">首页 &gt; 政府信息公开 &gt; 年报</div>'
            f'<div class="article"><h2 class="title">{title}</h2><div class="info">{info} 来源：县自然资源局</div>'
            f'<div class="TRS_Editor">{body}</div></div><div class="footer">网站地图 | 冀ICP备00000000号</div></body></html>')


def html_body(t2_tables=None, t3=None, t4=None, one_table: bool = False) -> str:
    t2_tables = t2_tables if t2_tables is not None else t2_rows_html()
    t3 = t3 if t3 is not None else t3_rows_html()
    t4 = t4 if t4 is not None else t4_rows_html()
    head = ("<p>一、总体情况</p><p>2023年，我局认真贯彻落实《中华人民共和国政府信息公开条例》。</p>"
            "<p><b>二、主动公开政府信息情况</b></p>")
    tail = ("<p>五、存在的主要问题及改进情况</p><p>一是公开内容不够全面。</p><p>六、其他需要报告的事项</p>"
            "<p>本年度未收取信息处理费。</p><p style='text-align:right'>清河县自然资源局</p>"
            "<p style='text-align:right'>2024年1月18日</p>")
    if one_table:   # the three tables typed as one Word table, section titles in full-width rows
        rows = [r for t in t2_tables for r in t]
        rows += [[("三、收到和处理政府信息公开申请情况", 1, 10, "td")]] + t3
        rows += [[("四、政府信息公开行政复议、行政诉讼情况", 1, 15, "td")]] + t4
        return head + html_table_word(rows) + tail
    return (head + "".join(html_table_word(t) for t in t2_tables)
            + "<p><b>三、收到和处理政府信息公开申请情况</b></p>" + html_table_word(t3)
            + "<p><b>四、政府信息公开行政复议、行政诉讼情况</b></p>" + html_table_word(t4) + tail)


def pipes_with_subtotal() -> str:
    """`|` rows of a report that added a 法人小计 column after 其他 (8 numbers per 表三 row)."""
    out = []
    for ln in label_then_numbers(" | ").split("\n"):
        if ln.startswith("商业企业 |"):
            ln += " | 小计"
        parts = ln.split(" | ")
        row = next((r for r, labs in T3_LABELS.items() if parts[:len(labs)] == labs), None)
        if row:
            n, vals = len(T3_LABELS[row]), EXPECTED_T3[row]
            parts = parts[:n + 6] + [str(sum(vals[1:6]))] + parts[n + 6:]
        out.append(" | ".join(parts))
    return "\n".join(out)
