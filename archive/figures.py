"""`report_figures`: one small row per report with the figures the canned queries aggregate.

On 100,000 reports the canned queries cannot pivot 20 million `cells` rows or scan `reports`
(whose rows carry whole bodies) within 200 ms. This table is derived (never edited by hand):
the current version's table-三 totals by outcome, table-四 totals, the previous year's
carried_forward of the same agency, check and version counts. Every report has a row, but only
rows with `counted = 1` (archive/editions.py: one per agency-year) may be summed. `refresh()` rebuilds it when the
archive changed: every crawl and re-extraction at its end, after deriving what is queued
(archive/derive.py). It then writes the Datasette inspect file (archive/inspectfile.py).

    python -m archive.figures data/archive.db
"""
from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from archive import derive, editions, inspectfile, scorecard
from archive.tx import transaction
from nianbao import canon
from nianbao.agency import deadline, display_name, level

FIGURES_VERSION = "8"   # bump when SCHEMA or the figures change: forces a rebuild
DENIED = [k.key for k in canon.T3_ROWS if k.group == "denied"]
UNABLE = [k.key for k in canon.T3_ROWS if k.group == "unable"]
NOT_PROCESSED = [k.key for k in canon.T3_ROWS if k.group == "not_processed"]
OTHER = [k.key for k in canon.T3_ROWS if k.group == "other" and k.key != "other.total"]


def denied_column(key: str) -> str:
    return key.replace(".", "_")


def _in(keys: list[str]) -> str:
    return ", ".join(f"'{k}'" for k in keys)


def _sum(cond: str) -> str:
    return f"SUM(CASE WHEN c.tbl = 't3' AND {cond} THEN c.value END)"


COLUMNS = [
    ("new_received", _sum("c.row_key = 'new_received'")),
    ("carried_over", _sum("c.row_key = 'carried_over'")),
    ("granted", _sum("c.row_key = 'granted'")),
    ("partially_granted", _sum("c.row_key = 'partially_granted'")),
    ("denied", _sum(f"c.row_key IN ({_in(DENIED)})")),
    ("unable", _sum(f"c.row_key IN ({_in(UNABLE)})")),
    ("not_processed", _sum(f"c.row_key IN ({_in(NOT_PROCESSED)})")),
    # 其他处理: the three 2021 rows, or the single 2019 row when the report has only that.
    ("other", "COALESCE(" + _sum(f"c.row_key IN ({_in(OTHER)})") + ", "
     + _sum("c.row_key = 'other.total'") + ")"),
    ("total_processed", _sum("c.row_key = 'total_processed'")),
    ("carried_forward", _sum("c.row_key = 'carried_forward'")),
    *[(denied_column(k), _sum(f"c.row_key = '{k}'")) for k in DENIED],
    ("admin_review", "SUM(CASE WHEN c.tbl = 't4' AND c.row_key = 'admin_review' THEN c.value END)"),
    ("litigation", "SUM(CASE WHEN c.tbl = 't4' AND c.row_key != 'admin_review' THEN c.value END)"),
]

# Counts are INTEGER columns: SQLite's integer affinity stores 684.0 as 684, so CSV and JSON say
# 684 (a fractional value, which no count should have, would stay as printed).
SCHEMA = f"""
CREATE TABLE report_figures (
    report_id INTEGER PRIMARY KEY,
    version_id INTEGER,
    title TEXT, agency TEXT, agency_key TEXT, agency_display TEXT, agency_level TEXT,
    report_year INTEGER, kind TEXT, counted INTEGER, counted_reason TEXT,
    source_id TEXT, region TEXT, level TEXT, format TEXT,
    published TEXT, first_seen TEXT, url TEXT, has_tables INTEGER,
    {", ".join(f"{name} INTEGER" for name, _ in COLUMNS)},
    prev_report_id INTEGER, prev_carried_forward INTEGER,
    deadline TEXT, deadline_status TEXT, late_by_declared_date INTEGER, late INTEGER,
    late_observed INTEGER, late_observed_capture INTEGER,
    carry_mismatch INTEGER,
    failing_checks INTEGER, t3_bal_failures INTEGER,
    versions INTEGER, distinct_contents INTEGER, changed INTEGER
);
-- Covering indexes: the yearly aggregates read an index, never the wider table rows.
CREATE INDEX idx_figures_year ON report_figures(counted, report_year, region, new_received);
CREATE INDEX idx_figures_year_agency ON report_figures(report_year DESC, agency_display);
CREATE INDEX idx_figures_denied ON report_figures(counted, report_year, agency_key,
    {", ".join(denied_column(k) for k in DENIED)});
CREATE INDEX idx_figures_agency_year ON report_figures(agency_key, report_year);
CREATE INDEX idx_figures_late ON report_figures(late, report_year);
CREATE INDEX idx_figures_carry ON report_figures(carry_mismatch, report_year);
CREATE TABLE report_figures_state (built_from TEXT NOT NULL, built_at TEXT NOT NULL);
"""


def _fingerprint(conn: sqlite3.Connection) -> str:
    """Changes whenever reports, versions or checks change (rows are only ever added)."""
    # `cells` and `checks` are views: their storage tables say when rows were added
    parts = [conn.execute(f"SELECT COALESCE(MAX({key}), 0) FROM {t}").fetchone()[0]
             for t, key in (("reports", "rowid"), ("report_versions", "rowid"), ("check_results", "rowid"),
                            ("cell_values", "version_id"), ("sources", "rowid"))]
    parts.append(conn.execute("SELECT COALESCE(MAX(last_seen), '') FROM reports").fetchone()[0])
    parts.append(scorecard.state(conn))   # the scorecard is rebuilt with the figures
    return FIGURES_VERSION + ":" + "/".join(map(str, parts))


def is_fresh(conn: sqlite3.Connection) -> bool:
    try:
        row = conn.execute("SELECT built_from FROM report_figures_state").fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row) and row[0] == _fingerprint(conn)


def _count(conn: sqlite3.Connection) -> None:
    """counted / counted_reason / agency_key (aliases followed) / agency_display from THE rule
    (archive/editions.py). A counted 更正 that does not reprint table 四 keeps the 四 figures
    of the report it supersedes, so the agency-year's sums stay whole."""
    rule = editions.counted_rows(conn)
    conn.executemany(
        "UPDATE report_figures SET counted = ?, counted_reason = ?, agency_key = ?, "
        "agency_display = ?, agency_level = ? WHERE report_id = ?",
        [(c.counted, c.reason, c.agency_key, display_name(agency, c.agency_key or key),
          level(c.agency_key or agency), rid)
         for rid, agency, key in conn.execute(
             "SELECT report_id, agency, agency_key FROM report_figures").fetchall()
         for c in [rule.get(rid) or editions.Counted(0, "not grouped", key)]])
    for rid, old in [(r, c.supersedes) for r, c in rule.items() if c.counted and c.supersedes]:
        conn.execute("""
            UPDATE report_figures SET (admin_review, litigation) = (
                SELECT o.admin_review, o.litigation FROM report_figures o WHERE o.report_id = ?),
                counted_reason = counted_reason || '; table 四 from report ' || ?
            WHERE report_id = ? AND NOT EXISTS (SELECT 1 FROM cells c
                WHERE c.version_id = report_figures.version_id AND c.tbl = 't4')""",
                     [old, old, rid])


def _deadlines(conn: sqlite3.Connection) -> None:
    """deadline from THE deadline rule (nianbao.agency.deadline); `late` is exactly a failing
    current P-DEADLINE (archive/checks/provenance.py), which applies the same rule."""
    rows = conn.execute("SELECT report_id, agency_key, report_year, kind FROM report_figures "
                        "WHERE report_year IS NOT NULL").fetchall()
    conn.executemany("UPDATE report_figures SET deadline = ? WHERE report_id = ?",
                     [(None if kind in ("correction", "graphic") else
                       deadline(key, year).due.isoformat(), rid)
                      for rid, key, year, kind in rows if isinstance(year, int)])
    conn.execute("""
        UPDATE report_figures SET late_by_declared_date = published > deadline,
            deadline_status = (SELECT k.status FROM checks k WHERE k.report_id = report_figures.report_id
                AND k.is_current = 1 AND k.check_id = 'P-DEADLINE'
                AND k.version_id = report_figures.version_id)""")
    conn.execute("UPDATE report_figures SET late = COALESCE(deadline_status = 'fail', 0)")
    _observed_lateness(conn)


def _observed_lateness(conn: sqlite3.Connection) -> None:
    """Late by our own evidence, beside the declared date: an earlier crawl read the source's
    column completely AFTER the deadline and the report was not there (it first appeared in a
    later run). `late_observed_capture` is that column capture (/-/capture/<id>). 0: first seen
    by the deadline. NULL: no evidence either way — a report first seen on our first crawl of
    its column proves nothing (docs/checks.md, "Observed lateness")."""
    conn.execute("""
        UPDATE report_figures SET late_observed_capture = (
            SELECT c.id FROM captures c
            JOIN crawl_runs cr ON cr.id = c.run_id
            WHERE c.source_id = report_figures.source_id AND c.role = 'list' AND c.outcome = 'ok'
              AND substr(c.fetched_at, 1, 10) > report_figures.deadline
              AND c.run_id < (SELECT MIN(c2.run_id) FROM report_versions v
                              JOIN captures c2 ON c2.id = v.capture_id
                              WHERE v.report_id = report_figures.report_id)
              AND EXISTS (SELECT 1 FROM json_each(cr.stats, '$."nianbao/complete_lists"') j
                          WHERE j.value = report_figures.source_id)
            ORDER BY c.fetched_at DESC LIMIT 1)
        WHERE deadline IS NOT NULL""")
    conn.execute("""
        UPDATE report_figures SET late_observed = CASE
            WHEN late_observed_capture IS NOT NULL THEN 1
            WHEN substr(first_seen, 1, 10) <= deadline THEN 0 END
        WHERE deadline IS NOT NULL""")


def rebuild(conn: sqlite3.Connection) -> int:
    """(Re)create report_figures from the current versions; returns the number of reports."""
    conn.execute("DROP TABLE IF EXISTS report_figures")
    conn.execute("DROP TABLE IF EXISTS report_figures_state")
    conn.execute("DROP TABLE IF EXISTS report_figures_years")
    for statement in SCHEMA.split(";"):  # not executescript: it would commit
        if statement.strip():
            conn.execute(statement)
    names = [n for n, _ in COLUMNS]
    conn.execute(f"""
        INSERT INTO report_figures (report_id, version_id, title, agency, agency_key,
            report_year, kind, source_id, region, level, format, published, first_seen, url,
            has_tables, {", ".join(names)}, failing_checks, t3_bal_failures, versions,
            distinct_contents)
        SELECT r.id, r.current_version_id, r.title, r.agency, r.agency_key, r.report_year,
            r.kind, r.source_id, s.region, s.level, r.format, r.published, r.first_seen, r.url,
            EXISTS (SELECT 1 FROM cells c WHERE c.version_id = r.current_version_id),
            {", ".join(f"t.{n}" for n in names)},
            (SELECT COUNT(*) FROM checks k WHERE k.report_id = r.id AND k.is_current = 1
                AND k.status = 'fail' AND k.version_id = r.current_version_id),
            (SELECT COUNT(*) FROM checks k WHERE k.report_id = r.id AND k.is_current = 1
                AND k.status = 'fail' AND k.check_id = 'T3-BAL'),
            (SELECT COUNT(*) FROM report_versions v WHERE v.report_id = r.id),
            (SELECT COUNT(DISTINCT v.content_sha) FROM report_versions v WHERE v.report_id = r.id)
        FROM reports r LEFT JOIN sources s ON s.id = r.source_id
        LEFT JOIN (
            -- one pass over the total column of tables 三 and 四, all versions
            SELECT c.version_id, {", ".join(f"{expr} AS {n}" for n, expr in COLUMNS)}
            FROM cells c WHERE c.tbl IN ('t3', 't4') AND c.col_key = 'total'
            GROUP BY c.version_id
        ) t ON t.version_id = r.current_version_id""")
    _count(conn)
    # The previous year's counted statement of the same agency (aliases followed).
    conn.execute("""
        UPDATE report_figures SET (prev_report_id, prev_carried_forward) = (
            SELECT p.report_id, p.carried_forward FROM report_figures p
            WHERE p.agency_key = report_figures.agency_key AND p.counted = 1
              AND p.report_year = report_figures.report_year - 1)
        WHERE agency_key IS NOT NULL""")
    _deadlines(conn)
    # X-CARRY from 2020 on: this year's 上年结转 differs from last year's 结转下年度 (总计).
    conn.execute("UPDATE report_figures SET carry_mismatch = (report_year >= 2020 AND "
                 "prev_report_id IS NOT NULL AND carried_over IS NOT prev_carried_forward)")
    # 发布后有变动: exactly the reports whose current P-CHANGED warns (archive/checks/provenance.py).
    conn.execute("""
        UPDATE report_figures SET changed = EXISTS (SELECT 1 FROM checks k
            WHERE k.report_id = report_figures.report_id AND k.is_current = 1
              AND k.check_id = 'P-CHANGED' AND k.status = 'warn')""")
    # Yearly sums, so that questions over every agency read a few hundred rows.
    denied = [denied_column(k) for k in DENIED]
    totals = ["granted", "partially_granted", "denied", "unable", "not_processed", "other",
              "admin_review", "litigation"]
    conn.execute("CREATE TABLE report_figures_years AS SELECT report_year, region, "
                 "COUNT(*) AS reports, SUM(new_received) AS new_received, "
                 + "".join(f"SUM({t}) AS {t}, " for t in totals)
                 + ", ".join(f"SUM({d}) AS {d}, SUM({d} > 0) AS {d}_reports" for d in denied)
                 + " FROM report_figures WHERE counted = 1 GROUP BY report_year, region")
    scorecard.rebuild(conn)   # per agency-year indicators, read from the rows above (archive/scorecard.py)
    conn.execute("INSERT INTO report_figures_state VALUES (?, datetime('now'))",
                 [_fingerprint(conn)])
    conn.execute("ANALYZE report_figures")
    return conn.execute("SELECT COUNT(*) FROM report_figures").fetchone()[0]


def refresh(db_path: str | Path) -> bool:
    """Derive what is still queued (archive/derive.py: the figures read checks), then rebuild
    report_figures if the archive changed since it was built; True if rebuilt. This is what
    ends every crawl and re-extraction; safe to call any number of times.

    Last, the file being final for now, its Datasette inspect data (hash, table counts) is
    written next to it when missing or stale (archive/inspectfile.py), for `nianbao serve`."""
    conn = sqlite3.connect(str(db_path), timeout=60, isolation_level=None)
    try:
        derive.drain(conn)
        rebuilt = not is_fresh(conn)
        if rebuilt:
            with transaction(conn):
                rebuild(conn)
    finally:
        conn.close()
    inspectfile.ensure(db_path)
    return rebuilt


if __name__ == "__main__":
    started = time.time()
    rebuilt = refresh(sys.argv[1])
    print(("rebuilt" if rebuilt else "up to date") + f" in {time.time() - started:.1f}s")
