"""The three tables as grids of merged cells, the shape of the paper form (docs/report-format.md).

A grid is a list of rows; each row a list of GridCell (spanned positions are simply absent, as
in HTML). Labels come from canon.py, then go through a per-report LabelStyle that imitates the
variants real reports print: （一）/(一), 1./1、/1．, stray spaces, 商业<br>企业, spaced-out
vertical headers of table 四.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from nianbao import canon

T2_HEADER_LABEL = canon.T2_HEADER_LABEL


@dataclass
class GridCell:
    text: str = ""          # "\n" marks a line break inside the cell (<br> in HTML)
    rowspan: int = 1
    colspan: int = 1
    key: tuple | None = None  # (table, row, col) for value cells
    header: bool = False


Grid = list[list[GridCell]]


class LabelStyle:
    def __init__(self, r: random.Random, breaks_in_labels: bool = True):
        self.r = r
        self.ascii_parens = r.random() < 0.35
        self.digit_sep = r.choice((".", ".", "、", "．"))
        self.spaces = r.random() < 0.3
        self.br = breaks_in_labels and r.random() < 0.7
        self.spaced_t4 = r.random() < 0.3
        self.carry_note = r.random() < 0.2
        self.t3_other_total_row = False

    def label(self, s: str) -> str:
        if self.ascii_parens:
            s = re.sub(r"（([一二三四五六七八九十])）", r"(\1)", s)
            s = s.replace("（", "(").replace("）", ")") if s.startswith("(") else s
        s = re.sub(r"^(\d)\.", lambda m: m.group(1) + self.digit_sep, s)
        m = canon._NUMBERING.match(s)
        start = m.end() + 1 if m else 1  # never split the numbering itself
        if self.spaces and self.r.random() < 0.15 and len(s) > start + 2:
            i = self.r.randint(start, len(s) - 1)
            s = s[:i] + self.r.choice((" ", "\u3000", "  ")) + s[i:]
        return s

    def split2(self, s: str) -> str:
        """商业企业 -> 商业<br>企业 (narrow Word columns)."""
        if self.br and len(s) == 4:
            return s[:2] + "\n" + s[2:]
        return s

    def t4_leaf(self, s: str) -> str:
        return " ".join(s) if self.spaced_t4 and s != "总计" else s


def _v(table: str, row: str, col: str) -> GridCell:
    return GridCell(key=(table, row, col))


def _h(text: str, rowspan: int = 1, colspan: int = 1) -> GridCell:
    return GridCell(text=text, rowspan=rowspan, colspan=colspan, header=True)


def t2_blocks(fmt: str, ls: LabelStyle) -> list[Grid]:
    """Table 二 as its sub-tables (one per clause of 第二十条), each 4 columns wide."""
    blocks: dict[str, list[str]] = {}
    for row, cols in canon.T2_LAYOUT[fmt].items():
        group = next(k.group for k in canon.T2_ROWS if k.key == row)
        blocks.setdefault(group, []).append(row)
    width = max(len(c) for c in canon.T2_LAYOUT[fmt].values()) + 1
    grids = []
    for group, rows in blocks.items():
        cols = canon.T2_LAYOUT[fmt][rows[0]]
        g: Grid = [[_h(ls.label(group), colspan=width)]]
        head = [_h(T2_HEADER_LABEL)]
        span_last = width - len(cols)  # a single-column block spans the rest of the width
        for i, c in enumerate(cols):
            text = canon.col_label("t2", c)
            if fmt == canon.FORMAT_2019 and c == "decisions":
                text = "处理决定数量"  # the 2019 form's wording (a canon alias)
            head.append(_h(ls.label(text), colspan=span_last if i == len(cols) - 1 else 1))
        g.append(head)
        for row in rows:
            label = canon.row_label("t2", row)
            if fmt == canon.FORMAT_2019 and row == "normative_docs":
                label = "规范性文件"  # the 2019 form's wording (a canon alias)
            line = [_h(ls.label(label))]
            for i, c in enumerate(cols):
                vc = _v("t2", row, c)
                vc.colspan = span_last if i == len(cols) - 1 else 1
                line.append(vc)
            g.append(line)
        grids.append(g)
    return grids


def t3_grid(fmt: str, ls: LabelStyle, year: int) -> Grid:
    cols = [c.key for c in canon.T3_COLS]
    legal = [c for c in canon.T3_COLS if c.key in canon.T3_APPLICANT_COLS[1:]]
    g: Grid = [
        [_h("（" + canon.T3_BALANCE_NOTE + "）", rowspan=3, colspan=3),
         _h(canon.T3_HEADER_LABELS[0], colspan=7)],
        [_h(canon.col_label("t3", "natural_person"), rowspan=2),
         _h(canon.T3_COL_GROUP_LEGAL, colspan=5),
         _h(canon.col_label("t3", "total"), rowspan=2)],
        [_h(ls.split2(k.label)) for k in legal],
    ]
    rows = canon.T3_ROWS_2021 if fmt == canon.FORMAT_2021 else canon.T3_ROWS_2019
    result_rows = [r for r in rows if r not in ("new_received", "carried_over", "carried_forward")]
    group_sizes: dict[str, int] = {}
    for r in result_rows:
        grp = next(k.group for k in canon.T3_ROWS if k.key == r)
        if grp not in ("result", None) and r != "other.total":
            group_sizes[grp] = group_sizes.get(grp, 0) + 1
    seen_groups: set[str] = set()
    for i, row in enumerate(rows):
        label = ls.label(canon.row_label("t3", row))
        line: list[GridCell] = []
        if row in ("new_received", "carried_over", "carried_forward"):
            if row == "carried_over" and ls.carry_note:
                label += f"（须与{year - 1}年度年报结转数一致）"
            line.append(_h(label, colspan=3))
        else:
            if row == result_rows[0]:
                line.append(_h(ls.label(canon.T3_GROUPS["result"]), rowspan=len(result_rows)))
            grp = next(k.group for k in canon.T3_ROWS if k.key == row)
            if grp in group_sizes:
                if grp not in seen_groups:
                    seen_groups.add(grp)
                    line.append(_h(ls.label(canon.T3_GROUPS[grp]), rowspan=group_sizes[grp]))
                line.append(_h(label))
            else:
                line.append(_h(label, colspan=2))
        line.extend(_v("t3", row, c) for c in cols)
        g.append(line)
    return g


def t4_grid(ls: LabelStyle) -> Grid:
    leaves = [ls.t4_leaf(c.label) for c in canon.T4_COLS]
    review, direct, after = (canon.row_label("t4", r.key) for r in canon.T4_ROWS)
    return [
        [_h(review, rowspan=2, colspan=5), _h(canon.T4_ROW_GROUP_LITIGATION, colspan=10)],
        [_h(direct, colspan=5), _h(after, colspan=5)],
        [_h(x) for x in leaves * 3],
        [_v("t4", row, col) for row, col in canon.T4_ORDER],
    ]


def width(g: Grid) -> int:
    """Number of grid columns (from the first row, honouring colspans)."""
    return sum(c.colspan for c in g[0])


def stack(grids: list[Grid]) -> Grid:
    """Several sub-tables as one table (the 'merged into one <table>' irregularity)."""
    out: Grid = []
    for g in grids:
        out.extend(g)
    return out
