"""A printed cell → (value, semantic) (docs/report-format.md, cell semantics).

`raw` always keeps the exact text; `value` is a number only for NUMERIC/ZERO. A blank is EMPTY
and "/", "-", "无"… are NA: never 0. Units: the fee column is in 万元, so "86500元" becomes 8.65;
other amounts keep the printed number (the unit stays visible in `raw`).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from nianbao.canon import EMPTY, NA, NA_TOKENS, NUMERIC, TEXT, ZERO

_NA = {unicodedata.normalize("NFKC", t) for t in NA_TOKENS} | {
    "--", "---", "——", "—", "不涉及", "无数据", "N/A", "n/a", "NA", "/ /", "//"}
_SPACES = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
# number with optional sign, thousands separators and decimals; optional unit/suffix
_NUM = re.compile(
    r"^(?P<sign>[+\-−－])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<unit>万元|亿元|元|万|件|条|项|个|次|人次|份|%)?$")
_CHANGE = re.compile(r"^(?P<dir>增加?|减少?|新增|净增|净减)(?P<num>\d+(?:\.\d+)?)(?:项|个|件)?$")


def clean_raw(s: str | None) -> str:
    """Whitespace collapsed, ends trimmed (zero-width/nbsp count as space)."""
    if s is None:
        return ""
    return _SPACES.sub(" ", str(s)).strip()


def _number(txt: str) -> Decimal | None:
    try:
        return Decimal(txt)
    except (InvalidOperation, ValueError):
        return None


def _py(d: Decimal, decimal_point: bool):
    if not decimal_point and d == d.to_integral_value():
        return int(d)
    f = float(d)
    return f


def parse_cell(raw: str | None, col: str | None = None) -> tuple[float | int | None, str]:
    """Return (value, semantic) for a printed cell; `col` is the canonical column key when known
    (it decides unit conversion for the 万元 fee column)."""
    # The same few strings ("0", "", "/", "12") fill most cells: parsed once per worker.
    try:
        return _parse_cached(raw, col)
    except TypeError:   # an unhashable raw value: parsed as it is
        return _parse(raw, col)


def _parse(raw, col: str | None) -> tuple[float | int | None, str]:
    s = clean_raw(raw)
    if not s:
        return None, EMPTY
    n = unicodedata.normalize("NFKC", s)
    compact = n.replace(" ", "")
    if compact in _NA or s in NA_TOKENS:
        return None, NA
    compact = compact.replace("，", ",")
    m = _NUM.match(compact)
    if m:
        num = m.group("num").replace(",", "")
        d = _number(num)
        if d is None:
            return None, TEXT
        if m.group("sign") and m.group("sign") != "+":
            d = -d
        unit = m.group("unit")
        if col == "fee_amount_wan_yuan":
            if unit == "元":
                d = d / Decimal(10000)
            elif unit == "亿元":
                d = d * Decimal(10000)
        decimal_point = "." in num or (col == "fee_amount_wan_yuan" and unit == "元")
        v = _py(d, decimal_point)
        return v, (ZERO if d == 0 else NUMERIC)
    m = _CHANGE.match(compact)
    if m:
        d = _number(m.group("num"))
        if d is not None:
            if m.group("dir").startswith(("减", "净减")):
                d = -d
            return _py(d, "." in m.group("num")), (ZERO if d == 0 else NUMERIC)
    return None, TEXT


_parse_cached = lru_cache(maxsize=1 << 16)(_parse)


def looks_like_value(raw: str | None) -> bool:
    """A cell that can sit in a value column: number, blank, NA token, or a short amount."""
    v, sem = parse_cell(raw)
    return sem != TEXT


def is_numberish(raw: str | None) -> bool:
    return parse_cell(raw)[1] in (NUMERIC, ZERO)
