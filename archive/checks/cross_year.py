"""Checks across two years of the same agency: X-CARRY, X-INFORCE, X-COPY.

The same agency is the same resolved agency key (archive.agency, with the hand-made
`agency_aliases` links for renamed agencies). Results belong to the later year's report;
`next_year_reports` lets the engine re-evaluate them when the earlier year arrives later.
Only primary reports (not editions) take part.
"""
from __future__ import annotations

import re
from functools import lru_cache

from archive.checks.tables import CARRY, Cells, _cell_ref, _result, equation
from nianbao import canon

COPY_TEXT_THRESHOLD = 0.8   # share of the narrative's 5-character shingles found last year


def agency_group(conn, key: str | None) -> list[str]:
    """Every agency key linked to `key` by agency_aliases, in either direction."""
    if not key:
        return []
    seen, todo = {key}, [key]
    while todo:
        k = todo.pop()
        for a, b in conn.execute("SELECT alias_key, agency_key FROM agency_aliases "
                                 "WHERE alias_key = ? OR agency_key = ?", [k, k]):
            for x in (a, b):
                if x not in seen:
                    seen.add(x)
                    todo.append(x)
    return sorted(seen)


def _report(conn, report_id: int):
    return conn.execute("SELECT agency_key, report_year, current_version_id, format, body_text, "
                        "edition_of FROM reports WHERE id = ?", [report_id]).fetchone()


def same_agency_reports(conn, key: str | None, year: int) -> list[int]:
    keys = agency_group(conn, key)
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    return [r[0] for r in conn.execute(
        f"SELECT r.id FROM reports r WHERE r.agency_key IN ({marks}) AND r.report_year = ? "
        "AND r.edition_of IS NULL AND r.current_version_id IS NOT NULL "
        # the report with the most cells stands for the agency-year
        "ORDER BY (SELECT COUNT(*) FROM cells c WHERE c.version_id = r.current_version_id) DESC,"
        " r.id", [*keys, year])]


def next_year_reports(conn, report_id: int) -> list[int]:
    r = _report(conn, report_id)
    if not r or r[1] is None or r[5] is not None:
        return []
    return same_agency_reports(conn, r[0], r[1] + 1)


def _cells(conn, version_id: int) -> Cells:
    doc = {"cells": [
        {"table": t, "row": rk, "col": ck, "value": v, "raw": raw, "semantic": s, "locator": loc}
        for t, rk, ck, v, raw, s, loc in conn.execute(
            "SELECT tbl, row_key, col_key, value, raw, semantic, locator FROM cells "
            "WHERE version_id = ?", [version_id])]}
    return Cells(doc)


class _TwoYears:
    """Cells of year y (prefix 'y') and y−1 (prefix 'p') addressable by one Cells-like get()."""

    def __init__(self, cur: Cells, prev: Cells):
        self.cur, self.prev = cur, prev

    def get(self, t: str, r: str, c: str):
        src, table = (self.prev, t[1:]) if t.startswith("p") else (self.cur, t[1:])
        return src.get(table, r, c)


@lru_cache(maxsize=16)   # a body is compared as this year's and as next year's previous one
def _shingles(text: str, n: int = 5) -> frozenset[str]:
    s = re.sub(r"\s+", "", text or "")
    return frozenset(s[i:i + n] for i in range(max(0, len(s) - n + 1)))


def run(conn, report_id: int) -> list[dict]:
    """Cross-year results for `report_id` (year y) against the same agency's year y−1."""
    r = _report(conn, report_id)
    if not r or r[2] is None:
        return []
    key, year, vid, fmt, body, edition_of = r
    if edition_of is not None:
        return []
    if year is None or not key:
        return [_result(cid, "not_assessable", "year", detail="agency or report year unknown")
                for cid in ("X-CARRY", "X-INFORCE", "X-COPY")]
    prev_ids = [p for p in same_agency_reports(conn, key, year - 1) if p != report_id]
    if not prev_ids:
        return [_result(cid, "not_assessable", f"{year - 1}→{year}",
                        detail=f"no report of {year - 1} for this agency in the archive")
                for cid in ("X-CARRY", "X-INFORCE", "X-COPY")]
    prev = prev_ids[0]
    pkey, pyear, pvid, pfmt, pbody, _ = _report(conn, prev)
    cur_cells, prev_cells = _cells(conn, vid), _cells(conn, pvid)
    both = _TwoYears(cur_cells, prev_cells)
    out: list[dict] = []
    pair = f"{year - 1}→{year}"
    note = f" (previous: report {prev})"

    # X-CARRY: carried_over[y] = carried_forward[y−1], per column, from 2020 on.
    if year < 2020:
        out.append(_result("X-CARRY", "not_assessable", pair,
                           detail="from 2020 on: the 2019 上年结转 refers to a pre-2019 format"))
    elif "t3" not in cur_cells.tables or "t3" not in prev_cells.tables:
        out.append(_result("X-CARRY", "not_assessable", pair, detail="table 三 missing" + note))
    else:
        for col in (c.key for c in canon.T3_COLS):
            res = equation("X-CARRY", f"t3/{col} {pair}", both, [("yt3", CARRY[0], col)],
                           [("pt3", CARRY[1], col)],
                           f"carried_over[{year}][{col}] = carried_forward[{year - 1}][{col}]")
            # The per-column mismatch is a warning; the 总计 column is the hard fact.
            if res["status"] == "fail" and col != "total":
                res["status"] = "warn"
            _tag_years(res, year, report_id, prev)
            res["detail"] = (res["detail"] + note).strip()
            out.append(res)

    # X-INFORCE (warn): in_force[y] = in_force[y−1] + issued[y] − repealed[y] (2021 format both).
    if fmt != canon.FORMAT_2021 or pfmt != canon.FORMAT_2021:
        out.append(_result("X-INFORCE", "not_assessable", pair,
                           detail="needs the 2021 format in both years" + note))
    else:
        for row in ("regulations", "normative_docs"):
            res = equation(
                "X-INFORCE", f"t2/{row} {pair}", both, [("yt2", row, "in_force")],
                [("pt2", row, "in_force"), ("yt2", row, "issued_this_year")],
                f"in_force[{year}] = in_force[{year - 1}] + issued[{year}] − repealed[{year}]")
            res = _subtract_repealed(res, both, row, year)
            if res["status"] == "fail":
                res["status"] = "warn"
            _tag_years(res, year, report_id, prev)
            res["detail"] = (res["detail"] + note).strip()
            out.append(res)

    # X-COPY (warn): identical tables, or the narrative mostly the same as last year's.
    out.append(_copy_check(cur_cells, prev_cells, body, pbody, pair, note))
    return out


def _subtract_repealed(res: dict, both: _TwoYears, row: str, year: int) -> dict:
    """equation() only adds; fold `− repealed[y]` into the right-hand side by hand."""
    cell = both.get("yt2", row, "repealed_this_year")
    ref, raw = _cell_ref("yt2", row, "repealed_this_year", cell)
    res["cells"][ref] = raw
    if res["status"] not in ("pass", "fail"):
        return res
    if cell is None or cell.get("semantic") not in ("NUMERIC", "ZERO") or cell.get("value") is None:
        res.update(status="not_assessable", expected=None, actual=None, delta=None,
                   detail=f"repealed_this_year[{year}] blank/NA")
        return res
    expected = float(res["expected"]) - float(cell["value"])
    delta = float(res["actual"]) - expected
    ok = abs(delta) < 1e-6
    res.update(status="pass" if ok else "fail", expected=_n(expected), delta=_n(delta),
               detail="" if ok else f"差 {_n(delta)}")
    return res


def _n(x: float):
    return int(round(x)) if abs(x - round(x)) < 1e-6 else round(x, 6)


def _tag_years(res: dict, year: int, rid: int, prev: int) -> None:
    """Operand keys name their year: "2023:t3/carried_over/total" (report ids in `detail`)."""
    tagged = {}
    for ref, raw in res["cells"].items():
        which, rest = ref[0], ref[1:]
        tagged[f"{year if which == 'y' else year - 1}:{rest}"] = raw
    res["cells"] = tagged


def _copy_check(cur: Cells, prev: Cells, body: str | None, pbody: str | None, pair: str,
                note: str) -> dict:
    expr = "tables differ from last year's and narrative overlap < 80%"
    nums_cur = {k: c.get("value") for k, c in cur.map.items() if c.get("value") is not None}
    nums_prev = {k: c.get("value") for k, c in prev.map.items() if c.get("value") is not None}
    same_tables = bool(nums_cur) and nums_cur == nums_prev and any(v for v in nums_cur.values())
    a, b = _shingles(body or ""), _shingles(pbody or "")
    overlap = len(a & b) / len(a) if a and b else None
    findings = []
    if same_tables:
        findings.append(f"all {len(nums_cur)} table values identical to last year's")
    if overlap is not None and overlap >= COPY_TEXT_THRESHOLD:
        findings.append(f"narrative {overlap:.0%} the same as last year's")
    if findings:
        return _result("X-COPY", "warn", pair, expr, "< 0.8",
                       None if overlap is None else round(overlap, 3), None,
                       "; ".join(findings) + note)
    if overlap is None and not nums_cur:
        return _result("X-COPY", "not_assessable", pair, expr, detail="no text or tables" + note)
    return _result("X-COPY", "pass", pair, expr, "< 0.8",
                   None if overlap is None else round(overlap, 3), None, note.strip())
