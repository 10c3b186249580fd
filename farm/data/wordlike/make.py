"""Build the Word-like report PDFs of this directory the way offices make them: a DOCX with the
official table layouts (python-docx), converted by LibreOffice (`soffice --headless
--convert-to pdf`). Writes <name>.docx → <name>.pdf and expected.json (the cells put into each
DOCX, so the tests compare every cell). The tests read the committed PDFs; rebuilding needs
LibreOffice and the CJK font fonts-wqy-microhei:

    .venv/bin/python farm/data/wordlike/make.py

Quirks (docs/report-format.md, "Word and WPS PDFs"): a page break inside table 三 with a `- N -`
page-number footer, labels wrapped over two or three lines, `1、` numbering, the vertical label
三、本年度办理结果 set one character per line, table 四 as one 15-number line under its
three-level header, a collapsed （六）其他处理, a label typo, two-line titles, blank tables.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from nianbao import canon  # noqa: E402

HERE = Path(__file__).parent
FONT = "WenQuanYi Micro Hei"
T3C = [k.key for k in canon.T3_COLS]
SPLIT = ("other.no_correction", "other.fee_unpaid", "other.other")


# ------------------------------------------------------------------ values
def t3_values(r: random.Random, rows: tuple[str, ...], blank_cols=()) -> dict[str, dict[str, int | None]]:
    """A balanced table 三: results sum to （七）总计, 一+二 = 七+四, 总计 = Σ columns.
    Columns in blank_cols are printed blank (all zero there, as offices leave zeros blank)."""
    parts = [k for k in rows if k not in ("new_received", "carried_over", "total_processed", "carried_forward")]
    out: dict[str, dict] = {k: {} for k in rows}
    for c in T3C[:-1]:
        zero = c in blank_cols or (c != "natural_person" and r.random() < 0.6)
        for k in parts:
            out[k][c] = 0 if zero else r.choice((0, 0, 0, 1, 2, 3, 5, 8))
        tp = sum(out[k][c] for k in parts)
        out["total_processed"][c] = tp
        out["carried_forward"][c] = 0 if zero else r.randint(0, 3)
        out["carried_over"][c] = 0 if zero else r.randint(0, min(3, tp + out["carried_forward"][c]))
        out["new_received"][c] = tp + out["carried_forward"][c] - out["carried_over"][c]
    for k in rows:
        out[k]["total"] = sum(out[k][c] for c in T3C[:-1])
        for c in blank_cols:
            out[k][c] = None
    return out


def t2_values(r: random.Random) -> dict[str, dict[str, float]]:
    issued = r.randint(0, 6)
    return {
        "regulations": {"issued_this_year": 0, "repealed_this_year": 0, "in_force": r.randint(0, 3)},
        "normative_docs": {"issued_this_year": issued, "repealed_this_year": r.randint(0, 3),
                           "in_force": issued + r.randint(5, 40)},
        "admin_licensing": {"decisions": r.randint(100, 9000)},
        "admin_penalty": {"decisions": r.randint(10, 5000)},
        "admin_coercion": {"decisions": r.randint(0, 300)},
        "admin_fees": {"fee_amount_wan_yuan": round(r.uniform(0, 9000), 2)},
    }


def t4_values(r: random.Random) -> dict[str, dict[str, int]]:
    out = {}
    for row in canon.T4_ROWS:
        v = {c: r.choice((0, 0, 1, 2)) for c in ("upheld", "corrected", "other", "pending")}
        v["total"] = sum(v.values())
        out[row.key] = v
    return out


# ------------------------------------------------------------------ DOCX helpers
def _fmt(v) -> str:
    if v is None:
        return ""
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _set(cell, text: str, size: float = 9, center: bool = False):
    """Cell text; "\n" starts a new paragraph (one character per line for the vertical label)."""
    cell.text = ""
    for n, line in enumerate(text.split("\n")):
        p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.font.size = Pt(size)


def _table(d, nrows: int, widths_cm: list[float]):
    t = d.add_table(rows=nrows, cols=len(widths_cm))
    t.style = "Table Grid"
    t.autofit = False
    for col, w in zip(t.columns, widths_cm):
        col.width = Cm(w)   # the w:tblGrid widths, which LibreOffice lays out by
    for row in t.rows:
        for c, w in zip(row.cells, widths_cm):
            c.width = Cm(w)
    return t, [list(r.cells) for r in t.rows]


def _merge(rows, r0, c0, r1, c1):
    return rows[r0][c0].merge(rows[r1][c1]) if (r0, c0) != (r1, c1) else rows[r0][c0]


def _page_footer(d, dash: str):
    """A centred `-N-` (or `- N -`) footer with a PAGE field (what Word/WPS templates print)."""
    p = d.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(dash)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    p.add_run(dash[::-1])


def new_doc(core_title: str, dash: str = "- "):
    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = FONT
    st.font.size = Pt(12)
    st.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    d.core_properties.title = core_title
    d.core_properties.author = "Administrator"   # what office PCs leave there: not an agency
    _page_footer(d, dash)
    return d


def para(d, text: str, center: bool = False, size: float = 12):
    p = d.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(text).font.size = Pt(size)


# ------------------------------------------------------------------ the three tables
def add_t2(d, v: dict, cells: list):
    spec = [("第二十条第（一）项", ["issued_this_year", "repealed_this_year", "in_force"],
             ["regulations", "normative_docs"]),
            ("第二十条第（五）项", ["decisions"], ["admin_licensing"]),
            ("第二十条第（六）项", ["decisions"], ["admin_penalty", "admin_coercion"]),
            ("第二十条第（八）项", ["fee_amount_wan_yuan"], ["admin_fees"])]
    n = sum(2 + len(rs) for _, _, rs in spec)
    t, rows = _table(d, n, [4.0, 4.0, 4.0, 4.0])
    r = 0
    for clause, cols, rs in spec:
        _set(_merge(rows, r, 0, r, 3), clause, center=True)
        _set(rows[r + 1][0], canon.T2_HEADER_LABEL, center=True)
        if len(cols) == 3:
            for k, c in enumerate(cols):
                _set(rows[r + 1][k + 1], canon.col_label("t2", c), center=True)
        else:
            _set(_merge(rows, r + 1, 1, r + 1, 3), canon.col_label("t2", cols[0]), center=True)
        r += 2
        for rk in rs:
            _set(rows[r][0], canon.row_label("t2", rk), center=True)
            if len(cols) == 3:
                for k, c in enumerate(cols):
                    _set(rows[r][k + 1], _fmt(v[rk][c]), center=True)
            else:
                _set(_merge(rows, r, 1, r, 3), _fmt(v[rk][cols[0]]), center=True)
            for c in cols:
                cells.append(["t2", rk, c, v[rk][c]])
            r += 1


def _numbered(label: str, style: str) -> str:
    """`1.属于国家秘密` → `1、属于国家秘密` (the numbering many offices type)."""
    if style == "、" and len(label) > 2 and label[0].isdigit() and label[1] == ".":
        return label[0] + "、" + label[2:]
    return label


def add_t3(d, v: dict, rows_printed: list[tuple[str, str]], cells: list, collapsed: bool,
           numbering: str = "."):
    """rows_printed: (row key, printed label) in order. The 三、本年度办理结果 block gets the
    vertical label; group headings span their rows; a collapsed （六） spans both label columns."""
    head, result, tail = rows_printed[:2], rows_printed[2:-1], rows_printed[-1:]
    n = 3 + len(rows_printed)
    t, rows = _table(d, n, [1.0, 2.0, 3.6] + [1.25] * 7)
    _set(_merge(rows, 0, 0, 2, 2), "（" + canon.T3_BALANCE_NOTE + "）", size=8)
    _set(_merge(rows, 0, 3, 0, 9), canon.T3_HEADER_LABELS[0], center=True)
    _set(_merge(rows, 1, 3, 2, 3), canon.col_label("t3", "natural_person"), center=True)
    _set(_merge(rows, 1, 4, 1, 8), canon.T3_COL_GROUP_LEGAL, center=True)
    _set(_merge(rows, 1, 9, 2, 9), canon.col_label("t3", "total"), center=True)
    for k, c in enumerate(T3C[1:-1]):
        _set(rows[2][4 + k], canon.col_label("t3", c), size=8, center=True)

    def values(r, rk):
        for k, c in enumerate(T3C):
            _set(rows[r][3 + k], _fmt(v[rk][c]), center=True)
            cells.append(["t3", rk, c, v[rk][c]])

    r = 3
    for rk, lab in head:
        _set(_merge(rows, r, 0, r, 2), lab)
        values(r, rk)
        r += 1
    first = r
    _set(_merge(rows, first, 0, first + len(result) - 1, 0), "\n".join(canon.T3_GROUPS["result"]), center=True)
    k = 0
    while k < len(result):
        rk, lab = result[k]
        group = next((x.group for x in canon.T3_ROWS if x.key == rk), None)
        if group in ("denied", "unable", "not_processed") or (group == "other" and rk in SPLIT):
            span = [x for x in result[k:] if next(y.group for y in canon.T3_ROWS if y.key == x[0]) == group]
            _set(_merge(rows, r, 1, r + len(span) - 1, 1), canon.T3_GROUPS[group])
            for rk2, lab2 in span:
                _set(rows[r][2], _numbered(lab2, numbering))
                values(r, rk2)
                r += 1
            k += len(span)
            continue
        if rk == "other.total":
            _set(rows[r][1], lab)   # WPS leaves the collapsed （六）'s second label cell unmerged, empty
        else:
            _set(_merge(rows, r, 1, r, 2), lab)   # （一）（二）（七）
        values(r, rk)
        r += 1
        k += 1
    for rk, lab in tail:
        _set(_merge(rows, r, 0, r, 2), lab)
        values(r, rk)


def add_t4(d, v: dict | None, cells: list):
    t, rows = _table(d, 4, [1.07] * 15)
    _set(_merge(rows, 0, 0, 1, 4), canon.row_label("t4", "admin_review"), center=True)
    _set(_merge(rows, 0, 5, 0, 14), canon.T4_ROW_GROUP_LITIGATION, center=True)
    _set(_merge(rows, 1, 5, 1, 9), canon.row_label("t4", "litigation_direct"), center=True)
    _set(_merge(rows, 1, 10, 1, 14), canon.row_label("t4", "litigation_after_review"), center=True)
    for k, (rk, c) in enumerate(canon.T4_ORDER):
        _set(rows[2][k], canon.col_label("t4", c), size=8, center=True)
        val = None if v is None else v[rk][c]
        _set(rows[3][k], _fmt(val), center=True)
        cells.append(["t4", rk, c, val])


# ------------------------------------------------------------------ the reports
NARRATIVE = ("本年度，我单位坚持以人民为中心的发展思想，认真贯彻落实《中华人民共和国政府信息公开条例》，"
             "围绕中心工作，突出重点领域信息公开，不断完善政府信息公开制度，规范依申请公开办理流程，"
             "加强政府网站和政务新媒体管理，政府信息公开工作取得新的成效。")


def t3_rows(collapsed: bool, typo: bool) -> list[tuple[str, str]]:
    out = []
    for k in canon.T3_ROWS:
        if (collapsed and k.key in SPLIT) or (not collapsed and k.key == "other.total"):
            continue
        lab = k.label
        if typo and k.key == "denied.law_prohibited":
            lab = "2.其他法律行政止公开"   # the printed typo of a real report (farm/data/real)
        out.append((k.key, lab))
    return out


def report(name: str, title_lines: list[str], core_title: str, seed: int, *, collapsed=False,
           typo=False, numbering=".", blank_tables=False, blank_cols=(), filler=6,
           signature=("", ""), dash="- ") -> dict:
    r = random.Random(seed)
    d = new_doc(core_title, dash)
    for ln in title_lines:
        para(d, ln, center=True, size=18)
    cells: list = []
    for s in canon.SECTIONS:
        para(d, s.label)
        if s.key == "s1":
            for _ in range(filler):
                para(d, NARRATIVE)
        elif s.key == "s2":
            add_t2(d, t2_values(r), cells)
        elif s.key == "s3":
            rows = t3_rows(collapsed, typo)
            keys = tuple(k for k, _ in rows)
            v = t3_values(r, keys, blank_cols)
            if blank_tables:
                v = {k: {c: None for c in T3C} for k in keys}
            add_t3(d, v, rows, cells, collapsed, numbering)
        elif s.key == "s4":
            add_t4(d, None if blank_tables else t4_values(r), cells)
        else:
            para(d, NARRATIVE)
    for ln in signature:
        if ln:
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.add_run(ln)
    d.save(HERE / f"{name}.docx")
    return {"cells": cells}


def main():
    if not shutil.which("soffice"):
        sys.exit("needs LibreOffice: apt-get install -y --no-install-recommends libreoffice-writer-nogui")
    specs = {
        # 2021 layout, split （六）, `1、` numbering, table 三 across a page break, two-line title
        "wordlike-2021-split": dict(
            title_lines=["淮安市人民政府", "2024年政府信息公开工作年度报告"], core_title="", seed=11,
            numbering="、", filler=7, signature=("淮安市人民政府", "2025年1月20日"), dash="-"),
        # a 2021 report keeping the 2019 one-row （六）, a label typo, zeros left blank in one
        # column, the title broken inside its line
        "wordlike-2021-collapsed": dict(
            title_lines=["淮安市洪泽区人民政府2024年政府信息公开", "工作年度报告"], core_title="", seed=12,
            collapsed=True, typo=True, blank_cols=("legal_research",), filler=8,
            signature=("", "2025年1月18日")),
        # tables printed with every cell blank; title without agency; agency from the 落款
        "wordlike-2021-blank": dict(
            title_lines=["2024年政府信息公开工作年度报告"], core_title="", seed=13, blank_tables=True,
            filler=2, signature=("淮安市清江浦区人民政府", "2025年1月15日")),
    }
    expected = {}
    for name, spec in specs.items():
        expected[name + ".pdf"] = report(name, **spec)
        sig = spec["signature"]
        title = "".join(spec["title_lines"])
        expected[name + ".pdf"].update({
            "title": title, "agency": title.split("2024")[0] or sig[0],
            "published": "-".join(f"{int(x):02d}" for x in
                                  sig[1].replace("年", "-").replace("月", "-").rstrip("日").split("-")),
            "format": "2021", "report_year": 2024})
    with tempfile.TemporaryDirectory() as tmp:
        for name in specs:
            subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                            "--convert-to", "pdf", "--outdir", str(HERE), str(HERE / f"{name}.docx")],
                           check=True, capture_output=True, timeout=300)
            (HERE / f"{name}.docx").unlink()
    # one cell per line: small, and a diff shows which cell changed
    parts = []
    for name, e in expected.items():
        head = {k: v for k, v in e.items() if k != "cells"}
        rows = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in e["cells"])
        parts.append(f' {json.dumps(name)}: {{{json.dumps(head, ensure_ascii=False)[1:-1]}, "cells": [\n  {rows}]}}')
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == expected
    (HERE / "expected.json").write_text(text, "utf-8")


if __name__ == "__main__":
    main()
