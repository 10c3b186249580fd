"""Provenance and timeliness checks: P-DEADLINE, P-CHANGED, P-DUPLICATE.

- P-DEADLINE: published by 1月31日 (部门) or 3月31日 (县级以上人民政府本级) of y+1, judged on the
  declared date and on the first time the crawler saw the report.
- P-CHANGED: the same report part (page or attachment) seen again with different content: both
  versions are kept; the result names the cells that differ (发布后有变动).
- P-DUPLICATE: editions of one report (HTML page, attachment, 图解; `reports.edition_of`, and
  attachment versions of the same report) that disagree, cell by cell.
"""
from __future__ import annotations

from datetime import date

from nianbao.agency import level
from archive.checks.tables import _result

MAX_LISTED = 40


def _day(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def deadline_for(agency: str | None, year: int) -> tuple[date, str]:
    lvl = level(agency)
    if lvl == "government":
        return date(year + 1, 3, 31), "县级以上人民政府本级: 3月31日"
    if lvl == "township":
        return date(year + 1, 1, 31), "乡镇/街道: no statutory deadline, 1月31日 assumed"
    return date(year + 1, 1, 31), "部门: 1月31日"


def deadline_check(conn, report_id: int) -> dict:
    agency, year, published, first_seen, source_id = conn.execute(
        "SELECT agency, report_year, published, first_seen, source_id FROM reports WHERE id = ?",
        [report_id]).fetchone()
    expr = "published ≤ deadline(y+1) and first seen ≤ deadline"
    if not isinstance(year, int):
        return _result("P-DEADLINE", "not_assessable", "deadline", expr, detail="report year unknown")
    due, rule = deadline_for(agency, year)
    declared, seen = _day(published), _day(first_seen)
    soft = level(agency) == "township"  # local rules decide; never a hard fail
    facts = f"{rule}; declared {declared or '—'}; first seen {seen or '—'}"
    if declared and declared > due:
        late = (declared - due).days
        return _result("P-DEADLINE", "warn" if soft else "fail", "deadline", expr, str(due),
                       str(declared), late, f"declared {late} days late; {facts}")
    if declared and seen and seen > due:
        # Declared on time but first seen later: only meaningful if we looked before the deadline.
        looked = conn.execute(
            "SELECT MIN(fetched_at) FROM captures WHERE source_id = ? AND fetched_at <= ?",
            [source_id, due.isoformat() + "T23:59:59Z"]).fetchone()[0] if source_id else None
        if looked:
            return _result("P-DEADLINE", "warn", "deadline", expr, str(due), str(seen),
                           (seen - due).days,
                           f"declared on time but absent when the portal was crawled on "
                           f"{looked[:10]}; {facts}")
        return _result("P-DEADLINE", "pass", "deadline", expr, str(due), str(declared), 0,
                       f"first seen after the deadline but not crawled before it; {facts}")
    if declared:
        return _result("P-DEADLINE", "pass", "deadline", expr, str(due), str(declared),
                       (declared - due).days, facts)
    if seen and seen <= due:
        return _result("P-DEADLINE", "pass", "deadline", expr, str(due), str(seen),
                       (seen - due).days, "no declared date; online before the deadline; " + facts)
    return _result("P-DEADLINE", "not_assessable", "deadline", expr, str(due), None, None,
                   "no declared date and first seen after the deadline; " + facts)


# ---------------------------------------------------------------- cell comparison
def cell_map(conn, version_id: int) -> dict[tuple[str, str, str], tuple]:
    return {(t, r, c): (v, raw, s) for t, r, c, v, raw, s in conn.execute(
        "SELECT tbl, row_key, col_key, value, raw, semantic FROM cells WHERE version_id = ?",
        [version_id])}


def diff_cells(a: dict, b: dict, common_only: bool = False) -> list[dict]:
    """Cells whose value (or blank/NA-ness) differ between two versions/editions."""
    keys = (a.keys() & b.keys()) if common_only else (a.keys() | b.keys())
    out = []
    for k in sorted(keys):
        x, y = a.get(k), b.get(k)
        same = (x is not None and y is not None and
                (x[0] == y[0] if x[0] is not None or y[0] is not None else x[2] == y[2]))
        if not same:
            out.append({"table": k[0], "row": k[1], "col": k[2],
                        "a": None if x is None else (x[1] if x[0] is None else x[0]),
                        "b": None if y is None else (y[1] if y[0] is None else y[0])})
    return out


def _describe(diffs: list[dict]) -> str:
    shown = [f"{d['table']}/{d['row']}/{d['col']}: {d['a']} → {d['b']}" for d in diffs[:MAX_LISTED]]
    more = f" (+{len(diffs) - MAX_LISTED} more)" if len(diffs) > MAX_LISTED else ""
    return "; ".join(shown) + more


def _refs(diffs: list[dict]) -> dict:
    """The differing cells as stored with a result: "table/row/col" → [before, after]."""
    return {f"{d['table']}/{d['row']}/{d['col']}": [d["a"], d["b"]] for d in diffs[:MAX_LISTED]}


def changed_check(conn, report_id: int) -> dict:
    vid = conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [report_id]).fetchone()[0]
    part, att, sha, csha, seen = conn.execute(
        "SELECT part, attachment_id, sha256, content_sha, seen_at FROM report_versions WHERE id = ?",
        [vid]).fetchone()
    expr = "content unchanged since first seen"
    prev = conn.execute(
        "SELECT id, seen_at, extractor_version FROM report_versions WHERE report_id = ? AND part = ? "
        "AND attachment_id IS ? AND sha256 != ? AND content_sha IS NOT ? AND id < ? "
        "ORDER BY id DESC LIMIT 1", [report_id, part, att, sha, csha, vid]).fetchone()
    if prev is None:
        return _result("P-CHANGED", "pass", part, expr, detail="one content version")
    diffs = diff_cells(cell_map(conn, prev[0]), cell_map(conn, vid))
    what = (f"{len(diffs)} cells differ: " + _describe(diffs)) if diffs else "tables identical; text changed"
    return _result("P-CHANGED", "warn", part, expr, None, None, len(diffs),
                   f"发布后有变动: version {prev[0]} (seen {prev[1][:10]}) → {vid} (seen {seen[:10]}); "
                   + what, _refs(diffs))


def version_checks(conn, report_id: int) -> list[dict]:
    return [deadline_check(conn, report_id), changed_check(conn, report_id)]


# ---------------------------------------------------------------- editions
def edition_group(conn, report_id: int) -> list[int]:
    """The report, its primary and the primary's other editions."""
    row = conn.execute("SELECT edition_of FROM reports WHERE id = ?", [report_id]).fetchone()
    primary = row[0] if row and row[0] else report_id
    return [primary] + [r[0] for r in conn.execute(
        "SELECT id FROM reports WHERE edition_of = ? ORDER BY id", [primary])]


def _edition_versions(conn, report_id: int) -> list[tuple[str, int]]:
    """(label, version id) of every current cell-bearing version of the report's editions."""
    out = []
    for rid in edition_group(conn, report_id):
        for vid, part, att, kind, url in conn.execute(
                "SELECT v.id, v.part, v.attachment_id, r.kind, COALESCE(a.url, r.url) "
                "FROM report_versions v JOIN reports r ON r.id = v.report_id "
                "LEFT JOIN attachments a ON a.id = v.attachment_id "
                "WHERE v.report_id = ? AND v.is_current = 1 "
                "AND EXISTS (SELECT 1 FROM cells c WHERE c.version_id = v.id)", [rid]):
            out.append((f"{kind} {part} {url}", vid))
    return out


def edition_checks(conn, report_id: int) -> list[dict]:
    vid = conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [report_id]).fetchone()[0]
    mine = cell_map(conn, vid)
    if not mine:
        return []
    others = [(label, v) for label, v in _edition_versions(conn, report_id) if v != vid]
    out = []
    for label, other in others:
        theirs = cell_map(conn, other)
        diffs = diff_cells(mine, theirs, common_only=True)
        scope = f"edition {label}"
        expr = "cells common to both editions are equal"
        if diffs:
            out.append(_result("P-DUPLICATE", "fail", scope, expr, 0, len(diffs), len(diffs),
                               f"version {vid} vs {other}: " + _describe(diffs), _refs(diffs)))
        else:
            common = len(mine.keys() & theirs.keys())
            out.append(_result("P-DUPLICATE", "pass" if common else "not_assessable", scope,
                               expr, 0, 0, 0, f"version {vid} vs {other}: {common} common cells agree"))
    return out
