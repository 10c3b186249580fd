"""Hand-made reports in the official formats, rendered by real libraries (lxml-free HTML strings,
python-docx, openpyxl, xlwt, reportlab) from values the tests choose. The tests then check
that extraction returns exactly those values."""
from __future__ import annotations

from nianbao import canon

T3C = [k.key for k in canon.T3_COLS]
T3_LABEL_COLS = 3


def t3_values(fmt: str = "2021") -> dict[str, list]:
    """Distinct numbers per cell so that any column/row shift is caught."""
    rows = canon.T3_ROWS_2021 if fmt == "2021" else canon.T3_ROWS_2019
    out = {}
    for i, r in enumerate(rows):
        vals = [(i * 7 + j) % 50 + 1 for j in range(6)]
        out[r] = vals + [sum(vals)]
    return out


def t3_grid(values: dict[str, list], fmt: str = "2021", label=lambda k: None) -> list[list[tuple]]:
    """表三 as rows of (text, rowspan, colspan) with the official 3-level header and merged labels."""
    lab = {k.key: k.label for k in canon.T3_ROWS}
    lab.update({k: v for k, v in ((k, label(k)) for k in lab) if v})
    rows: list[list[tuple]] = [
        [(canon.T3_BALANCE_NOTE.join("（）"), 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业<br>企业", 1, 1), ("科研<br>机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]

    def vals(k):
        return [(str(v) if v is not None else "&nbsp;", 1, 1) for v in values[k]]

    order = list(values)
    result_rows = [k for k in order if k not in ("new_received", "carried_over", "carried_forward")]
    rows.append([(lab["new_received"], 1, 3)] + vals("new_received"))
    rows.append([(lab["carried_over"], 1, 3)] + vals("carried_over"))
    groups = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理",
              "other": "（六）其他处理"}
    first = True
    seen_group = set()
    for k in result_rows:
        row = []
        if first:
            row.append(("三、本年度办理结果", len(result_rows), 1))
            first = False
        g = k.split(".")[0] if "." in k else None
        if g and g != "other" or (g == "other" and k != "other.total"):
            if g not in seen_group:
                n = sum(1 for x in result_rows if x.startswith(g + ".") and x != "other.total")
                row.append((groups[g], n, 1))
                seen_group.add(g)
            row.append((lab[k], 1, 1))
        else:
            row.append((lab[k], 1, 2))
        rows.append(row + vals(k))
    rows.append([(lab["carried_forward"], 1, 3)] + vals("carried_forward"))
    return rows


def t4_grid(fifteen: list) -> list[list[tuple]]:
    leaf = [("结果<br>维持", 1, 1), ("结果<br>纠正", 1, 1), ("其他<br>结果", 1, 1), ("尚未<br>审结", 1, 1), ("总计", 1, 1)]
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [("结果维持", 2, 1), ("结果纠正", 2, 1), ("其他结果", 2, 1), ("尚未审结", 2, 1), ("总计", 2, 1),
         ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        leaf + leaf,
        [(str(v), 1, 1) for v in fifteen],
    ]


def t2_grids_2021(v: dict) -> list[list[list[tuple]]]:
    return [
        [[("第二十条第（一）项", 1, 4)],
         [("信息内容", 1, 1), ("本年制发件数", 1, 1), ("本年废止件数", 1, 1), ("现行有效件数", 1, 1)],
         [("规章", 1, 1)] + [(x, 1, 1) for x in v["regulations"]],
         [("行政规范性文件", 1, 1)] + [(x, 1, 1) for x in v["normative_docs"]]],
        [[("第二十条第（五）项", 1, 4)],
         [("信息内容", 1, 1), ("本年处理决定数量", 1, 3)],
         [("行政许可", 1, 1), (v["admin_licensing"], 1, 3)]],
        [[("第二十条第（六）项", 1, 4)],
         [("信息内容", 1, 1), ("本年处理决定数量", 1, 3)],
         [("行政处罚", 1, 1), (v["admin_penalty"], 1, 3)],
         [("行政强制", 1, 1), (v["admin_coercion"], 1, 3)]],
        [[("第二十条第（八）项", 1, 4)],
         [("信息内容", 1, 1), ("本年收费金额（单位：万元）", 1, 3)],
         [("行政事业性收费", 1, 1), (v["admin_fees"], 1, 3)]],
    ]


def html_table(rows, word=True) -> str:
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
           'style="border-collapse:collapse;border:none">' if word else '<table width="100%" data-sort="sortDisabled"><tbody>']
    for i, row in enumerate(rows):
        out.append(f'<tr style="mso-yfti-irow:{i}">')
        for text, rs, cs in row:
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            if word:
                out.append(f'<td width="80" valign="top"{attrs}><p class="MsoNormal" align="center">'
                           f'<span style="font-family:仿宋_GB2312">{text}<o:p></o:p></span></p></td>')
            else:
                out.append(f'<td valign="top" style="word-break: break-all;"{attrs}>{text}</td>')
        out.append("</tr>")
    out.append("</table>" if word else "</tbody></table>")
    return "\n".join(out)


def html_page(title: str, pubdate: str, body: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteName" content="测试县人民政府"><meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{pubdate}"><meta name="ContentSource" content="测试县人民政府办公室">
<title>{title}_测试县人民政府</title></head><body>
<div class="nav">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
<table class="xxgk_table"><tr><td>索&nbsp;引&nbsp;号</td><td>014416330/2024-00123</td><td>发布机构</td><td>县政府办</td></tr>
<tr><td>发文日期</td><td>{pubdate[:10]}</td><td>文&nbsp;&nbsp;号</td><td></td></tr></table>
<h1>{title}</h1><div class="info">发布时间：{pubdate} 浏览次数：</div>
<div id="zoom">{body}</div>
<div class="footer">网站地图 | 主办单位：测试县人民政府办公室 浙ICP备00000000号</div></body></html>"""


# ------------------------------------------------------------------ other file formats
def grid_to_docx(doc, rows):
    """Add a table with merged cells (python-docx merge) for rows of (text, rowspan, colspan)."""
    width = sum(cs for _, _, cs in rows[0]) if rows else 1
    # compute placements
    taken = {}
    place = []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = True
            place.append((r, c, rs, cs, text.replace("<br>", "\n").replace("&nbsp;", "")))
            c += cs
        width = max(width, c)
    t = doc.add_table(rows=len(rows), cols=width)
    for r, c, rs, cs, text in place:
        cell = t.cell(r, c)
        if rs > 1 or cs > 1:
            cell = cell.merge(t.cell(r + rs - 1, c + cs - 1))
        cell.text = text
    return t


def grid_placements(rows):
    taken, place = set(), []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            place.append((r, c, rs, cs, text.replace("<br>", "").replace("&nbsp;", "")))
            c += cs
    return place
