"""The three tables laid out like the official format (2019 or 2021), from canon.py labels.

Pure functions: cells (dicts keyed by (row_key, col_key)) in, a list of rendered rows out. The
template only walks the structure; it never spells a label.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nianbao import canon


@dataclass
class Cell:
    text: str = ""            # what the report printed (raw), or the number
    semantic: str | None = None
    failing: list[str] = field(default_factory=list)   # check ids that fail on this cell
    missing: bool = False     # the layout expects it, the report has none
    ocr: float | None = None  # read by OCR from a picture: the recogniser's confidence
    capture_id: int | None = None   # the bytes (the picture or scan) the cell was read from
    locator: str | None = None      # where in them: ocr:p<page>/table[n]/r<row>/c<col>
    stated: str | None = None       # what the body text says of it (annotate_stated)

    @property
    def css(self) -> str:
        parts = []
        if self.failing:
            parts.append("fail")
        if self.missing:
            parts.append("missing")
        if self.semantic in (canon.EMPTY, canon.NA, canon.TEXT):
            parts.append(self.semantic.lower())
        if self.ocr is not None:
            parts.append("ocr ocr-low" if self.low_confidence else "ocr")
        return " ".join(parts)

    @property
    def low_confidence(self) -> bool:
        return self.ocr is not None and self.ocr < canon.OCR_MIN_CONFIDENCE

    @property
    def tooltip(self) -> str:
        bits = []
        if self.failing:
            bits.append("未通过校验：" + "、".join(self.failing))
        if self.semantic == canon.EMPTY:
            bits.append("空白单元格（不按0计）")
        elif self.semantic == canon.NA:
            bits.append("不适用")
        if self.missing:
            bits.append("报告中未找到该单元格")
        if self.ocr is not None:
            where = f"，位置 {self.locator.removeprefix('ocr:')}" if self.locator else ""
            bits.append(f"由图片文字识别（OCR）读出，置信度 {self.ocr:.2f}"
                        + ("（偏低，请对照原图）" if self.low_confidence else "") + where)
        return "；".join(bits)


def _fmt(cell: dict | None) -> Cell:
    if cell is None:
        return Cell(missing=True)
    raw = cell.get("raw")
    value = cell.get("value")
    if raw not in (None, ""):
        text = str(raw)
    elif value is not None:
        text = f"{value:g}" if isinstance(value, float) else str(value)
    else:
        text = ""
    ocr = cell.get("confidence") if cell.get("source") == "ocr" else None
    return Cell(text=text, semantic=cell.get("semantic"), ocr=ocr,
                capture_id=cell.get("capture_id") if ocr is not None else None,
                locator=cell.get("locator") if ocr is not None else None)


def _cell(cells: dict, failing: dict, tbl: str, row: str, col: str) -> Cell:
    c = _fmt(cells.get((row, col)))
    c.failing = sorted(failing.get((tbl, row, col), ()))
    return c


def layout_format(fmt: str | None, cells_by_tbl: dict[str, dict]) -> str:
    """The layout to draw: the report's own format, else guessed from which columns exist."""
    if fmt in (canon.FORMAT_2019, canon.FORMAT_2021):
        return fmt
    t2cols = {c for (_, c) in cells_by_tbl.get("t2", {})}
    only_2019 = {k.key for k in canon.T2_COLS if k.formats == (canon.FORMAT_2019,)}
    return canon.FORMAT_2019 if t2cols & only_2019 else canon.FORMAT_2021


def table2(cells: dict, failing: dict, fmt: str) -> list[dict]:
    """Sub-tables of table 二, one per clause (第二十条第（x）项) and column set."""
    blocks: list[dict] = []
    groups = {k.key: k.group for k in canon.T2_ROWS}
    for row_key, cols in canon.T2_LAYOUT[fmt].items():
        if blocks and blocks[-1]["group"] == groups[row_key] and blocks[-1]["col_keys"] == cols:
            block = blocks[-1]
        else:
            block = {"group": groups[row_key], "col_keys": cols,
                     "header": [canon.T2_HEADER_LABEL] + [canon.col_label("t2", c) for c in cols],
                     "rows": []}
            blocks.append(block)
        block["rows"].append({"label": canon.row_label("t2", row_key),
                              "cells": [_cell(cells, failing, "t2", row_key, c) for c in cols]})
    extras = sorted({r for (r, _) in cells if r.startswith(canon.EXTRA_PREFIX)})
    for row_key in extras:
        cols = tuple(sorted({c for (r, c) in cells if r == row_key}))
        blocks.append({"group": "其他（报告自列）", "col_keys": cols,
                       "header": [canon.T2_HEADER_LABEL] + [canon.col_label("t2", c) for c in cols],
                       "rows": [{"label": canon.row_label("t2", row_key),
                                 "cells": [_cell(cells, failing, "t2", row_key, c) for c in cols]}]})
    return blocks


def table3(cells: dict, failing: dict, fmt: str) -> dict:
    """Rows of table 三 with their group headings, applicant columns in printed order."""
    keys = list(canon.T3_ROWS_2021 if fmt == canon.FORMAT_2021 else canon.T3_ROWS_2019)
    present = {r for (r, _) in cells}
    # A 2021 report may still print 其他处理 as one row; show whichever the report has.
    if fmt == canon.FORMAT_2021 and "other.total" in present and not (
            present & {"other.no_correction", "other.fee_unpaid", "other.other"}):
        i = keys.index("other.no_correction")
        keys[i:i + 3] = ["other.total"]
    by_key = {k.key: k for k in canon.T3_ROWS}
    rows = []
    seen_groups: set[str] = set()
    for key in keys:
        k = by_key[key]
        group = k.group
        # "result" heading first, then the sub-group heading (（三）不予公开…) once.
        if group and group != "result" and "result" not in seen_groups:
            seen_groups.add("result")
            rows.append({"heading": canon.T3_GROUPS["result"], "level": 0})
        if group and group not in seen_groups:
            seen_groups.add(group)
            if key != "other.total":
                rows.append({"heading": canon.T3_GROUPS[group], "level": 0 if group == "result" else 1})
        level = 0 if not group else (1 if group == "result" or key == "other.total" else 2)
        rows.append({"label": k.label, "level": level, "key": key,
                     "cells": [_cell(cells, failing, "t3", key, c.key) for c in canon.T3_COLS]})
    return {"columns": [c.label for c in canon.T3_COLS], "legal_group": canon.T3_COL_GROUP_LEGAL,
            "header": canon.T3_HEADER_LABELS, "rows": rows, "note": canon.T3_BALANCE_NOTE}


def table4(cells: dict, failing: dict) -> dict:
    """Table 四 as printed: 行政复议 | 行政诉讼(未经复议直接起诉, 复议后起诉), one row of 15."""
    return {
        "review": canon.row_label("t4", "admin_review"),
        "litigation": canon.T4_ROW_GROUP_LITIGATION,
        "litigation_parts": [canon.row_label("t4", r.key) for r in canon.T4_ROWS[1:]],
        "columns": [c.label for c in canon.T4_COLS],
        "cells": [_cell(cells, failing, "t4", r, c) for r, c in canon.T4_ORDER],
    }


def build_tables(fmt: str | None, cell_rows: list[dict], failing: dict) -> dict:
    by_tbl: dict[str, dict] = {t: {} for t in canon.TABLES}
    for c in cell_rows:
        by_tbl[c["tbl"]][(c["row_key"], c["col_key"])] = c
    fmt = layout_format(fmt, by_tbl)
    return {
        "format": fmt,
        "titles": canon.TABLE_TITLES,
        "t2": table2(by_tbl["t2"], failing, fmt) if by_tbl["t2"] else [],
        "t3": table3(by_tbl["t3"], failing, fmt) if by_tbl["t3"] else None,
        "t4": table4(by_tbl["t4"], failing) if by_tbl["t4"] else None,
    }
