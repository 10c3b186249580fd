"""The missing-report watch: which agencies owe their report for a year, by their deadline.

An agency is watched for year Y when the archive holds a report of it for an earlier year
(agency keys as report_figures has them: aliases followed). Its deadline is THE deadline rule
(nianbao.agency.deadline, the one P-DEADLINE applies). On a given day each watched agency is:

  appeared    a report (any edition) of it for Y is in the archive — `late_observed` says whether
              our own reads caught it late (archive/figures.py)
  overdue     the deadline has passed and a complete read of its column AFTER the deadline did
              not show the report: those column captures are the evidence (/-/capture/<id>)
  unverified  the deadline has passed, the report is not in the archive, but no complete read of
              its column since the deadline proves it missing (crawl it)
  pending     the deadline has not passed yet

"Its column" is every source that published the agency's earlier reports. Reading the day from the
caller keeps this testable with a frozen clock (NIANBAO_NOW, cli/watch.py).
"""
from __future__ import annotations

import sqlite3
from datetime import date

from nianbao.agency import deadline, display_name

STATUSES = ("overdue", "unverified", "pending", "appeared")
EVIDENCE_MAX = 5   # newest complete column reads kept per source


def _table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone() is not None


def _reports(conn: sqlite3.Connection) -> list[dict]:
    """Every report with the agency key to group by (aliases followed when report_figures exists)."""
    if _table(conn, "report_figures"):
        sql = ("SELECT r.id, COALESCE(f.agency_key, r.agency_key) AS agency_key, r.agency, r.report_year,"
               " r.kind, r.source_id, r.first_seen, r.published, r.url, r.gone_at, f.late_observed,"
               " f.late_observed_capture FROM reports r LEFT JOIN report_figures f ON f.report_id = r.id")
    else:
        sql = ("SELECT r.id, r.agency_key, r.agency, r.report_year, r.kind, r.source_id, r.first_seen,"
               " r.published, r.url, r.gone_at, NULL AS late_observed, NULL AS late_observed_capture FROM reports r")
    cur = conn.execute(sql + " WHERE r.agency_key IS NOT NULL AND r.report_year IS NOT NULL")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def column_reads(conn: sqlite3.Connection, source_id: str, after: str) -> list[dict]:
    """The complete reads of a source's column after day `after` (YYYY-MM-DD), newest first: per
    run, its first list capture (the column page), from runs whose stats count the source's lists
    complete — the same evidence as report_figures.late_observed_capture."""
    cur = conn.execute("""
        SELECT MIN(c.id) AS capture_id, c.run_id, MIN(c.fetched_at) AS fetched_at, c.url
        FROM captures c JOIN crawl_runs cr ON cr.id = c.run_id
        WHERE c.source_id = ? AND c.role = 'list' AND c.outcome = 'ok' AND substr(c.fetched_at, 1, 10) > ?
          AND EXISTS (SELECT 1 FROM json_each(cr.stats, '$."nianbao/complete_lists"') j WHERE j.value = ?)
        GROUP BY c.run_id ORDER BY c.run_id DESC""", [source_id, after, source_id])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def watch(conn: sqlite3.Connection, year: int, today: date) -> list[dict]:
    """One row per agency watched for `year` on `today`, overdue first (see the module docstring)."""
    reports = _reports(conn)
    by_agency: dict[str, list[dict]] = {}
    for r in reports:
        by_agency.setdefault(r["agency_key"], []).append(r)
    out = []
    reads: dict[tuple[str, str], list[dict]] = {}
    for key, rs in by_agency.items():
        earlier = [r for r in rs if r["report_year"] < year]
        if not earlier:
            continue
        last = max(earlier, key=lambda r: (r["report_year"], r["id"]))
        name = last["agency"]
        due = deadline(key, year)
        sources = sorted({r["source_id"] for r in earlier if r["source_id"]})
        row = {"agency_key": key, "agency": name, "agency_display": display_name(name, key), "year": year,
               "deadline": due.due.isoformat(), "deadline_rule": due.rule, "sources": sources,
               "last_year_seen": last["report_year"], "last_report_id": last["id"], "last_report_url": last["url"],
               "report_id": None, "report_url": None, "first_seen": None, "published": None,
               "late_observed": None, "evidence": [], "evidence_reads": 0}
        current = sorted((r for r in rs if r["report_year"] == year),
                         key=lambda r: (r["kind"] != "report", r["id"]))
        if current:
            r = current[0]
            row.update(status="appeared", report_id=r["id"], report_url=r["url"], first_seen=r["first_seen"],
                       published=r["published"], late_observed=r["late_observed"],
                       late_evidence_capture=r["late_observed_capture"])
        elif today <= due.due:
            row["status"] = "pending"
        else:
            evidence = []
            for sid in sources:
                if (sid, row["deadline"]) not in reads:
                    reads[(sid, row["deadline"])] = column_reads(conn, sid, row["deadline"])
                evidence += [{**e, "source_id": sid} for e in reads[(sid, row["deadline"])]]
            evidence.sort(key=lambda e: e["fetched_at"], reverse=True)
            row["status"] = "overdue" if evidence else "unverified"
            row["evidence_reads"] = len(evidence)
            row["evidence"] = evidence[:EVIDENCE_MAX]
        out.append(row)
    out.sort(key=lambda r: (STATUSES.index(r["status"]), r["deadline"], r["agency_key"]))
    return out
