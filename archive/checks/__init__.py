"""The checks engine (docs/checks.md): one module per group.

- `tables`: within one report, pure functions over the extract JSON (also used by
  `nianbao extract --json`).
- `text_table`: S-TEXT-TABLE, the figures the text states against the tables (also pure).
- `cross_year`: X-CARRY, X-INFORCE, X-COPY between a report and the same agency's previous
  year; re-evaluated for the neighbour years whenever a report is derived (archive/derive.py),
  so the order in which years arrive does not matter.
- `provenance`: P-DEADLINE, P-CHANGED, P-DUPLICATE (versions and editions, cell by cell).
- `copies`: X-COPY-OTHER, paragraphs shared with other agencies' reports (MinHash/LSH kept in
  SQLite), and the repetition rates against the same agency's previous year (`copy_stats`).

Results attach to the report's current version (`reports.current_version_id`). Writing is
idempotent: if a group's results are unchanged, no row is touched; otherwise the old rows are
marked `is_current = 0` (never deleted) and the new ones inserted.
"""
from __future__ import annotations

import json

from archive import versiondoc
from archive.checks import copies, cross_year, provenance, tables, text_table
from archive.checks.tables import involved_cells  # noqa: F401 - the publishing layer reads it here

TABLE_IDS = ("T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM", "T2-DOMAIN", "T3-DOMAIN",
             "T4-DOMAIN", "S-TABLES", "S-SECTIONS", "S-FORMAT", "S-EMPTY", text_table.CHECK_ID)
CROSS_YEAR_IDS = ("X-CARRY", "X-INFORCE", "X-COPY")
VERSION_IDS = ("P-DEADLINE", "P-CHANGED")
EDITION_IDS = ("P-DUPLICATE",)
COPY_IDS = (copies.CHECK_ID,)


def __getattr__(name: str):
    # CHECKS_VERSION is defined in tables (the bottom of the package, which stamps every result);
    # read through here at call time so the two can never disagree.
    if name == "CHECKS_VERSION":
        return tables.CHECKS_VERSION
    raise AttributeError(name)


def report_checks(doc: dict) -> list[dict]:
    """Within-report checks over an extracted document (tables, then text against tables)."""
    return tables.run(doc) + text_table.run(doc)


def _conn(db):
    return getattr(db, "conn", db)


def version_doc(db, version_id: int) -> dict:
    """The extract JSON of a stored version, rebuilt from its row and its cells."""
    conn = _conn(db)
    fmt, body, year, agency, kind = conn.execute(
        "SELECT v.format, r.body_text, r.report_year, r.agency, r.kind "
        "FROM report_versions v JOIN reports r ON r.id = v.report_id WHERE v.id = ?", [version_id]).fetchone()
    doc = versiondoc.fetch(conn, version_id)   # with its body, also when it lends it
    doc["kind"] = kind   # the settled kind (correction, graphic…), not the extractor's guess
    doc.setdefault("format", fmt)
    doc.setdefault("body_text", body)
    doc.setdefault("report_year", year)
    doc.setdefault("agency", agency)
    doc["cells"] = [
        {"table": t, "row": r, "col": c, "value": v, "raw": raw, "semantic": s, "locator": loc,
         "capture_id": cap}
        for t, r, c, v, raw, s, loc, cap in conn.execute(
            "SELECT tbl, row_key, col_key, value, raw, semantic, locator, capture_id FROM cells "
            "WHERE version_id = ?", [version_id])]   # in key order, keys numbered as first seen
    return doc


def _row(report_id: int, version_id: int, r: dict, present: dict | None = None) -> dict:
    def text(x):
        return None if x is None else str(x)
    return {
        "report_id": report_id, "version_id": version_id, "check_id": r["id"],
        "check_version": r.get("version") or tables.CHECKS_VERSION, "scope": r.get("scope"),
        "status": r["status"], "expression": r.get("expression"),
        "expected": text(r.get("expected")), "actual": text(r.get("actual")),
        "delta": r.get("delta"), "detail": r.get("detail"),
        "cells": None if _by_definition(r, present) else
        json.dumps(r.get("cells") or {}, ensure_ascii=False, separators=(",", ":")),
        "if_blanks_zero": r.get("if_blanks_zero"), "is_current": 1,
    }


# A passing sum check does not repeat its operands: they are the cells of the same version that
# the check's definition names (tables.involved_cells), already stored once in `cells`. Its
# `cells` JSON is left NULL and rebuilt when shown (`operands`). Only when the rebuilt cells are
# exactly the result's is it dropped, so nothing the check read is lost (docs/checks.md#storage).
OPERANDS_BY_DEFINITION = frozenset({"T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM"})


def operands(check_id: str, scope: str | None, present: dict[str, str | None]) -> dict[str, str | None]:
    """The cells a check's definition names ("t3/row/col" → raw) among `present`, the version's."""
    keys = (f"{t}/{r}/{c}" for t, r, c in tables.involved_cells(check_id, scope))
    return {k: present[k] for k in keys if k in present}


def present_cells(doc_cells) -> dict[str, str | None]:
    """"t3/row/col" → raw of a version's cells (extract JSON cells or `cells` rows as dicts)."""
    return dict(tables._cell_ref(c.get("table") or c.get("tbl"), c.get("row") or c.get("row_key"),
                                 c.get("col") or c.get("col_key"), c) for c in doc_cells)


def fill_operands(check: dict, present: dict[str, str | None]) -> dict:
    """The check row with its `cells` JSON rebuilt when it was left out (see OPERANDS_BY_DEFINITION)."""
    if check.get("cells") is None and check.get("check_id") in OPERANDS_BY_DEFINITION:
        check["cells"] = json.dumps(operands(check["check_id"], check.get("scope"), present),
                                    ensure_ascii=False, separators=(",", ":"))
    return check


def _by_definition(r: dict, present: dict | None) -> bool:
    if present is None or r.get("status") != "pass" or r.get("id") not in OPERANDS_BY_DEFINITION:
        return False
    mine = {k: (None if v is None else str(v)) for k, v in (r.get("cells") or {}).items()}
    return bool(mine) and operands(r["id"], r.get("scope"), present) == mine


# A passing within-report check keeps only its kind and status: what it compared (expected,
# actual, delta, detail, cells) is recomputed from the stored version when shown (`fill_passes`),
# because these checks are pure functions of the version's document and cells, the very input
# they ran on. Two rows in three are such passes; their details were ~1.5 KB of every report
# (docs/checks.md#storage). Results that fail, warn or cannot be assessed keep everything.
PASS_DETAILS = ("expected", "actual", "delta", "detail", "cells")


def _strip_pass(row: dict) -> dict:
    if (row["status"] == "pass" and row["check_id"] in TABLE_IDS
            and row["check_version"] == tables.CHECKS_VERSION):
        row.update(dict.fromkeys(PASS_DETAILS))
    return row


def stored_row(report_id: int, version_id: int, r: dict, present: dict | None = None) -> dict:
    """The `checks` row a result is stored as (`write_results`; bench/synthetic.py stores alike)."""
    return _strip_pass(_row(report_id, version_id, r, present))


def fill_passes(db, version_id: int, rows: list[dict]) -> list[dict]:
    """Put back the details of the stored within-report passes among `rows` (dicts of `checks`
    rows of one version), recomputed from the version (`version_doc` → `report_checks`). A row
    is matched by its kind (check, scope, expression, version) and its place among the passes
    of that kind, as `write_results` stored them; one that finds no identical recomputed pass
    (an older CHECKS_VERSION) is left as stored."""
    passes = [r for r in rows if r.get("status") == "pass" and r.get("check_id") in TABLE_IDS]
    if not any(all(r.get(k) is None for k in PASS_DETAILS) for r in passes):
        return rows
    conn = _conn(db)
    report_id = conn.execute("SELECT report_id FROM report_versions WHERE id = ?", [version_id]).fetchone()
    if report_id is None:
        return rows
    doc = version_doc(conn, version_id)
    present = present_cells(doc["cells"])
    again: dict[tuple, list[dict]] = {}
    for r in report_checks(doc):
        row = _row(report_id[0], version_id, r, present)
        if row["status"] == "pass":
            again.setdefault(_kind(row), []).append(row)
    seen: dict[tuple, int] = {}
    for r in sorted(passes, key=lambda x: (x.get("id") is None, x.get("id") or 0)):
        k = _kind(r)
        n = seen[k] = seen.get(k, -1) + 1   # its place among the passes of its kind, kept ones too
        found = again.get(k, [])
        if n < len(found) and all(r.get(c) is None for c in PASS_DETAILS):
            r.update({c: found[n][c] for c in PASS_DETAILS})
    return rows


def _kind(row: dict) -> tuple:
    return tuple(row.get(c) for c in ("check_id", "scope", "expression", "check_version"))


_COMPARE = ("check_id", "check_version", "scope", "status", "expression", "expected", "actual",
            "delta", "detail", "cells", "if_blanks_zero")


def write_results(db, report_id: int, version_id: int, check_ids, results: list[dict],
                  present: dict | None = None) -> bool:
    """Make `results` the current rows of `check_ids` for the version; True if anything changed.
    `present` (the version's cells, `present_cells`) lets passing sum checks leave out their operands."""
    conn = _conn(db)
    marks = ",".join("?" * len(check_ids))
    cur = conn.execute(
        f"SELECT id, {', '.join(_COMPARE)} FROM checks WHERE version_id = ? AND is_current = 1 "
        f"AND check_id IN ({marks})", [version_id, *check_ids])
    old = cur.fetchall()
    new_rows = [stored_row(report_id, version_id, r, present) for r in results]

    def key(t):
        return tuple("" if x is None else str(x) for x in t)
    if sorted(key(o[1:]) for o in old) == sorted(key(tuple(n[c] for c in _COMPARE))
                                                 for n in new_rows):
        return False
    if old:
        conn.executemany("UPDATE checks SET is_current = 0 WHERE id = ?", [(o[0],) for o in old])
    if new_rows:
        cols = list(new_rows[0])
        conn.executemany(f"INSERT INTO checks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [tuple(n[c] for c in cols) for n in new_rows])
    return True


def _current_version(conn, report_id: int) -> int | None:
    row = conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [report_id]).fetchone()
    return row[0] if row else None


def refresh_report(db, report_id: int, neighbours: bool = True) -> None:
    """Re-run every check group for the report's current version (and, with `neighbours`, the
    cross-year checks of the next year's reports and the edition checks of its editions).
    Called by archive/derive.py for queued reports, never while an item is stored."""
    conn = _conn(db)
    vid = _current_version(conn, report_id)
    if vid is None:
        return
    # Results of versions that are no longer current stop being current.
    conn.execute("UPDATE checks SET is_current = 0 WHERE report_id = ? AND version_id != ? "
                 "AND is_current = 1", [report_id, vid])
    doc = version_doc(conn, vid)
    write_results(conn, report_id, vid, TABLE_IDS, report_checks(doc), present_cells(doc["cells"]))
    write_results(conn, report_id, vid, VERSION_IDS, provenance.version_checks(conn, report_id))
    write_results(conn, report_id, vid, CROSS_YEAR_IDS, cross_year.run(conn, report_id))
    write_results(conn, report_id, vid, EDITION_IDS, provenance.edition_checks(conn, report_id))
    copies.index_report(conn, report_id)   # a no-op when derive indexed the batch already
    write_results(conn, report_id, vid, COPY_IDS, copies.refresh(conn, report_id))
    if neighbours:
        refresh_neighbours(conn, report_id)


def index_copies(db, report_ids) -> None:
    """Index the paragraphs of a batch before any of its checks run, so that two reports of one
    batch see each other (X-COPY-OTHER)."""
    conn = _conn(db)
    # Reports that shared a paragraph with a version about to leave the index: re-judged below.
    before = set()
    for rid in report_ids:
        if copies.stale(conn, rid):
            before |= copies.neighbours(conn, rid, report_ids)
    for rid in report_ids:
        copies.index_report(conn, rid)
    for other in sorted(before - set(report_ids)):
        ovid = _current_version(conn, other)
        if ovid is not None:
            write_results(conn, other, ovid, COPY_IDS, copies.refresh(conn, other))


def refresh_neighbours(db, report_id: int, skip: frozenset | set = frozenset()) -> None:
    """The checks of other reports that read this one: the next year's cross-year checks, the
    edition checks (and cross-year checks: a demoted edition leaves them) of its editions.
    Reports in `skip` are left alone (refreshed in full by the caller from the same state)."""
    conn = _conn(db)
    if _current_version(conn, report_id) is None:
        return
    for other in cross_year.next_year_reports(conn, report_id):
        if other not in skip:
            refresh_cross_year(conn, other)
            ovid = _current_version(conn, other)
            if ovid is not None:   # its repetition rates read this report (copy_stats)
                write_results(conn, other, ovid, COPY_IDS, copies.refresh(conn, other))
    for other in provenance.edition_group(conn, report_id):
        if other != report_id and other not in skip:
            ovid = _current_version(conn, other)
            if ovid is not None:
                write_results(conn, other, ovid, EDITION_IDS,
                              provenance.edition_checks(conn, other))
                write_results(conn, other, ovid, CROSS_YEAR_IDS, cross_year.run(conn, other))
                if copies.stale(conn, other):   # a demoted edition leaves the copy index
                    olds = copies.neighbours(conn, other, skip | {report_id})
                    copies.index_report(conn, other)
                    for o in sorted(olds - skip - {other}):
                        oo = _current_version(conn, o)
                        if oo is not None:
                            write_results(conn, o, oo, COPY_IDS, copies.refresh(conn, o))
                write_results(conn, other, ovid, COPY_IDS, copies.refresh(conn, other))
    for other in copies.neighbours(conn, report_id, skip):   # reports sharing a paragraph with this one
        if other not in skip:
            ovid = _current_version(conn, other)
            if ovid is not None:
                write_results(conn, other, ovid, COPY_IDS, copies.refresh(conn, other))


def refresh_cross_year(db, report_id: int) -> None:
    conn = _conn(db)
    vid = _current_version(conn, report_id)
    if vid is not None:
        write_results(conn, report_id, vid, CROSS_YEAR_IDS, cross_year.run(conn, report_id))
