"""Which format a report's tables use (docs/report-format.md): decided by the printed labels, not the year.

表二's column labels are the strongest signal (2019 and 2021 columns mean different things);
表三's （六）其他处理 structure (three sub-rows in 2021, one row in 2019) is the fallback. With no
canonical table at all: legacy when old-style statistics grids exist, else the format the text
cites (〔2021〕30号 / 〔2019〕60号), else unknown.
"""
from __future__ import annotations

import re

from nianbao import canon

_T2_2021_ONLY = {k.key for k in canon.T2_COLS if k.formats == (canon.FORMAT_2021,)}
_T2_2019_ONLY = {k.key for k in canon.T2_COLS if k.formats == (canon.FORMAT_2019,)}
_T2_ROWS_2019_ONLY = {k.key for k in canon.T2_ROWS if k.formats == (canon.FORMAT_2019,)}
_T3_2021_ONLY = {k.key for k in canon.T3_ROWS if k.formats == (canon.FORMAT_2021,)}

_CITE_2021 = re.compile(r"国办公开办函\s*[〔\[［(（]\s*2021\s*[〕\]］)）]\s*30\s*号")
_CITE_2019 = re.compile(r"国办公开办函\s*[〔\[［(（]\s*2019\s*[〕\]］)）]\s*60\s*号")


def detect_format(cells: list[dict], t2_header_cols: set[str] = frozenset(),
                  has_legacy_grids: bool = False, text: str = "", report_year: int | None = None) -> str | None:
    t2_cols = set(t2_header_cols) | {c["col"] for c in cells if c["table"] == "t2"}
    t2_rows = {c["row"] for c in cells if c["table"] == "t2"}
    t3_rows = {c["row"] for c in cells if c["table"] == "t3"}
    votes_2021 = len(t2_cols & _T2_2021_ONLY)
    votes_2019 = len(t2_cols & _T2_2019_ONLY) + len(t2_rows & _T2_ROWS_2019_ONLY)
    if votes_2021 or votes_2019:
        return canon.FORMAT_2021 if votes_2021 >= votes_2019 else canon.FORMAT_2019
    if t3_rows & _T3_2021_ONLY:
        return canon.FORMAT_2021
    if "other.total" in t3_rows:
        return canon.FORMAT_2019
    if cells:
        # only 表四 or label-less rows: fall through to what the text cites
        pass
    elif has_legacy_grids or (report_year is not None and report_year < 2019):
        return canon.FORMAT_LEGACY
    if _CITE_2021.search(text or ""):
        return canon.FORMAT_2021
    if _CITE_2019.search(text or ""):
        return canon.FORMAT_2019
    return None
