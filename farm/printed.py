"""From table values to printed cells: the raw text a report shows, and its ground truth.

Each cell is the manifest shape {"table","row","col","raw","value","semantic"}. Blank and "/"
cells are only ever put where the true value is 0 (real reports use them for "nothing"), so
checks become not-assessable, never silently different.
"""
from __future__ import annotations

import random

from nianbao import canon

from .tablegen import TableValues

_FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")


def cell(table: str, row: str, col: str, raw: str, value, semantic: str) -> dict:
    return {"table": table, "row": row, "col": col, "raw": raw, "value": value,
            "semantic": semantic}


class NumberStyle:
    """Per-report printing habits: occasional full-width digits and thousands separators."""

    def __init__(self, r: random.Random):
        self.r = r
        self.fullwidth = r.random() < 0.25
        self.thousands = r.random() < 0.3
        self.plus_sign = r.random() < 0.3
        self.fee_decimals = r.choice((None, 2))  # "0" vs "0.00"

    def _maybe_fullwidth(self, s: str) -> str:
        if self.fullwidth and self.r.random() < 0.08:
            return s.translate(_FULLWIDTH)
        return s

    def integer(self, v: int, signed: bool = False) -> str:
        s = f"{v:,}" if (self.thousands and abs(v) >= 1000) else str(v)
        if signed and v > 0 and self.plus_sign:
            s = "+" + s
        return self._maybe_fullwidth(s)

    def decimal(self, v: float) -> str:
        if self.fee_decimals is not None:
            s = f"{v:.{self.fee_decimals}f}"
        else:
            s = f"{v:.2f}".rstrip("0").rstrip(".") or "0"
        return self._maybe_fullwidth(s)


def _semantic(value) -> str:
    return canon.ZERO if value == 0 else canon.NUMERIC


def print_cells(tv: TableValues, r: random.Random, blanks: bool) -> dict[tuple, dict]:
    """(table,row,col) -> cell dict for every cell of the official layout of tv.fmt."""
    if tv.fmt not in (canon.FORMAT_2019, canon.FORMAT_2021):
        return {}
    style = NumberStyle(r)
    out: dict[tuple, dict] = {}
    for row, col in canon.expected_cells("t2", tv.fmt):
        v = tv.t2[(row, col)]
        if col == "procurement_amount":
            num, unit = v
            raw = "0" if num == 0 else (style.integer(num) if isinstance(num, int)
                                        else style.decimal(num)) + unit
            out[("t2", row, col)] = cell("t2", row, col, raw, num, _semantic(num))
        elif col in canon.T2_DECIMAL_COLS:
            out[("t2", row, col)] = cell("t2", row, col, style.decimal(v), v, _semantic(v))
        else:
            raw = style.integer(v, signed=col in canon.T2_SIGNED_COLS)
            out[("t2", row, col)] = cell("t2", row, col, raw, v, _semantic(v))
    for table, vals in (("t3", tv.t3), ("t4", tv.t4)):
        for row, col in canon.expected_cells(table, tv.fmt):
            v = vals[(row, col)]
            out[(table, row, col)] = cell(table, row, col, style.integer(v), v, _semantic(v))
    if blanks:
        _blank_some(out, tv, r)
    return out


def _blank_some(out: dict, tv: TableValues, r: random.Random) -> None:
    """Blank or "/" some zero cells, in the patterns real reports show: a whole zero row of
    table 三 left empty except the 总计 (seed 002), "/" for every zero of table 二, and a few
    scattered blanks. Columns touched by a deliberate break stay printed, so the broken check
    still fails instead of becoming not assessable."""
    protected_cols = {(t, c) for (t, _row, c) in tv.broken_cells}
    protected_rows = {(t, row) for (t, row, _c) in tv.broken_cells}

    def blankable(key) -> bool:
        t, row, col = key
        return (out[key]["value"] == 0 and (t, col) not in protected_cols
                and (t, row) not in protected_rows)

    na = r.choice(canon.NA_TOKENS[:2] + ("-", "—"))
    t3_rows = {row for (t, row, _c) in out if t == "t3"}
    for row in sorted(t3_rows):
        keys = [("t3", row, c) for c in canon.T3_APPLICANT_COLS]
        if all(blankable(k) for k in keys) and r.random() < 0.6:
            for k in keys:
                out[k].update(raw="", value=None, semantic=canon.EMPTY)
    if r.random() < 0.5:
        for key in [k for k in out if k[0] == "t2"]:
            if blankable(key):
                out[key].update(raw=na, value=None, semantic=canon.NA)
    zero_keys = [k for k in sorted(out) if out[k]["semantic"] == canon.ZERO and blankable(k)]
    for key in r.sample(zero_keys, min(len(zero_keys), 4)):
        if r.random() < 0.5:
            out[key].update(raw="", value=None, semantic=canon.EMPTY)
        else:
            out[key].update(raw=na, value=None, semantic=canon.NA)
    # Guarantee at least one non-printed cell, or `blanks` would be a no-op for tiny units.
    if not any(c["semantic"] in (canon.EMPTY, canon.NA) for c in out.values()):
        for key in sorted(out):
            if blankable(key):
                out[key].update(raw="", value=None, semantic=canon.EMPTY)
                break
