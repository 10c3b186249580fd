"""Provenance and timeliness checks: P-DEADLINE, P-CHANGED, P-DUPLICATE.

- P-DEADLINE: declared publication date ≤ the deadline of 条例第四十九条 (nianbao.agency.deadline,
  the one rule report_figures uses too). Judged on the declared date only: the crawl date says
  when we looked, not when the agency published. A 更正 or 图解 is not the report: its date is
  not the report's publication date (not_assessable).
- P-CHANGED: the same report part (page or one attachment) seen again at the same URL with
  different bytes and different content (cells, normalised text, title or date); one result per
  part and URL; the result names the cells that differ with [before, after] (发布后有变动). Two
  URLs of one report are two copies, not an edit: they are never compared with each other.
- P-DUPLICATE: editions of one report (HTML page, attachment, 图解; `reports.edition_of`, and
  attachment versions of the same report) that disagree, cell by cell.
"""
from __future__ import annotations

import re
from datetime import date

from archive import versiondoc
from archive.checks.tables import _result
from nianbao.agency import deadline

MAX_LISTED = 40
# Kinds whose date is not the report's publication date (docs/checks.md).
NOT_THE_REPORT = {"correction": "更正 notice", "graphic": "图解"}


def _day(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def deadline_check(conn, report_id: int) -> dict:
    agency_key, year, published, first_seen, kind = conn.execute(
        "SELECT agency_key, report_year, published, first_seen, kind FROM reports WHERE id = ?",
        [report_id]).fetchone()
    expr = "published ≤ deadline(y+1) (条例第四十九条)"
    if kind in NOT_THE_REPORT:
        return _result("P-DEADLINE", "not_assessable", "deadline", expr,
                       detail=f"{NOT_THE_REPORT[kind]}: its date ({published or '—'}) is not the "
                              "report's publication date; the report itself is judged")
    if not isinstance(year, int):
        return _result("P-DEADLINE", "not_assessable", "deadline", expr, detail="report year unknown")
    due = deadline(agency_key, year)
    declared, seen = _day(published), _day(first_seen)
    facts = f"{due.rule}; declared {declared or '—'}; first seen {seen or '—'}"
    if declared and declared > due.due:
        late = (declared - due.due).days
        return _result("P-DEADLINE", due.late_status, "deadline", expr, str(due.due),
                       str(declared), late, f"declared {late} days late; {facts}")
    if declared:
        return _result("P-DEADLINE", "pass", "deadline", expr, str(due.due), str(declared),
                       (declared - due.due).days, facts)
    if seen and seen <= due.due:   # our own capture proves it was online in time
        return _result("P-DEADLINE", "pass", "deadline", expr, str(due.due), str(seen),
                       (seen - due.due).days, "no declared date; online before the deadline; " + facts)
    return _result("P-DEADLINE", "not_assessable", "deadline", expr, str(due.due), None, None,
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
                        "b": None if y is None else (y[1] if y[0] is None else y[0]),
                        # printed text ("" blank, None missing), as docs/checks.md states
                        "a_raw": None if x is None else (x[1] or ""),
                        "b_raw": None if y is None else (y[1] or "")})
    return out


def _describe(diffs: list[dict]) -> str:
    shown = [f"{d['table']}/{d['row']}/{d['col']}: {d['a']} → {d['b']}" for d in diffs[:MAX_LISTED]]
    more = f" (+{len(diffs) - MAX_LISTED} more)" if len(diffs) > MAX_LISTED else ""
    return "; ".join(shown) + more


def _refs(diffs: list[dict], limit: int = MAX_LISTED) -> dict:
    """The differing cells as stored with a result: "table/row/col" → [before, after]."""
    return {f"{d['table']}/{d['row']}/{d['col']}": [d.get("a_raw", d["a"]), d.get("b_raw", d["b"])]
            for d in diffs[:limit]}


_WS = re.compile(r"\s+")


def _content(conn, version_id: int) -> tuple[str, str | None, str | None]:
    """What a reader sees of a version besides its cells: normalised text, title, date."""
    doc = versiondoc.fetch(conn, version_id)
    return _WS.sub("", doc.get("body_text") or ""), doc.get("title"), doc.get("published")


def part_changes(conn, report_id: int) -> list[dict]:
    """Every change between consecutive captures of the SAME part (the page, or one attachment)
    at the SAME URL of a report: bytes differ and what a reader sees differs (cells, normalised
    text, title or date). A page and its attachment are different parts, and two URLs of the
    page are two copies: never compared; a re-extraction of the same capture (same bytes) is not
    a change. Returns {scope, before, after, diffs, fields}."""
    out = []
    parts = conn.execute(
        "SELECT v.part, v.attachment_id, c.url FROM report_versions v "
        "JOIN captures c ON c.id = v.capture_id WHERE v.report_id = ? "
        "GROUP BY v.part, v.attachment_id, c.url ORDER BY v.part DESC, v.attachment_id, "
        "MIN(v.capture_id)", [report_id]).fetchall()
    urls_of_part: dict[tuple, int] = {}
    for part, att, _ in parts:
        urls_of_part[part, att] = urls_of_part.get((part, att), 0) + 1
    for part, att, url in parts:
        versions = conn.execute(
            # the latest extraction of each capture, in capture order (re-extraction adds
            # versions to old captures: comparing those would be no change, or a backwards one)
            "SELECT MAX(v.id), v.sha256, v.seen_at FROM report_versions v "
            "JOIN captures c ON c.id = v.capture_id WHERE v.report_id = ? AND v.part = ? "
            "AND v.attachment_id IS ? AND c.url = ? GROUP BY v.capture_id ORDER BY v.capture_id",
            [report_id, part, att, url]).fetchall()
        scope = part if att is None else f"{part} {att}"
        if urls_of_part[part, att] > 1:   # the page reached by several URLs: one lineage each
            scope += f" {url}"
        for (a, sha_a, _), (b, sha_b, seen_b) in zip(versions, versions[1:]):
            if sha_a == sha_b:
                continue
            diffs = diff_cells(cell_map(conn, a), cell_map(conn, b))
            ca, cb = _content(conn, a), _content(conn, b)
            fields = [name for name, x, y in zip(("text", "title", "published"), ca, cb) if x != y]
            if diffs or fields:
                out.append({"scope": scope, "before": a, "after": b, "seen": seen_b,
                            "diffs": diffs, "fields": fields})
        if not any(c["scope"] == scope for c in out):
            out.append({"scope": scope, "before": None, "after": versions[-1][0], "seen": None,
                        "diffs": [], "fields": []})
    return out


def changed_checks(conn, report_id: int) -> list[dict]:
    """P-CHANGED, one result per part: pass if it never changed, else a warn per change with the
    changed cells as [before, after] (the canned query changed_after_publication lists them)."""
    expr = "content of this part unchanged between captures"
    out = []
    for c in part_changes(conn, report_id):
        if c["before"] is None:
            out.append(_result("P-CHANGED", "pass", c["scope"], expr, detail="one content version"))
            continue
        diffs = c["diffs"]
        what = (f"{len(diffs)} cells differ: " + _describe(diffs)) if diffs else "tables identical"
        if c["fields"]:
            what += "; changed: " + ", ".join(c["fields"])
        out.append(_result("P-CHANGED", "warn", c["scope"], expr, None, None, len(diffs),
                           f"发布后有变动: version {c['before']} → {c['after']} (seen "
                           f"{(c['seen'] or '')[:10]}); " + what, _refs(diffs, 1000)))
    return out


def version_checks(conn, report_id: int) -> list[dict]:
    return [deadline_check(conn, report_id), *changed_checks(conn, report_id)]


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
