"""What an archive holds, in a few numbers (printed by `nianbao demo`)."""
from __future__ import annotations

from archive.schema import open_db

_COUNTS = {
    "portals": "SELECT COUNT(*) FROM sources",
    "captures": "SELECT COUNT(*) FROM captures",
    "reports": "SELECT COUNT(*) FROM reports",
    "reports_with_tables": "SELECT COUNT(DISTINCT report_id) FROM cells",
    "cells": "SELECT COUNT(*) FROM cells",
    "attachments": "SELECT COUNT(*) FROM attachments",
    "failing_checks": "SELECT COUNT(*) FROM checks WHERE status = 'fail' AND is_current = 1",
    "blocked": "SELECT COUNT(*) FROM captures WHERE outcome = 'blocked'",
}


def summary(db_path: str) -> dict:
    db = open_db(db_path)
    try:
        return {k: db.execute(sql).fetchone()[0] for k, sql in _COUNTS.items()}
    finally:
        db.conn.close()


# What the newest run changed, read from the archive's own rows: "changed" is exactly the reports
# whose current P-CHANGED does not pass (report_figures.changed), so the figure and the check agree.
_HISTORY = {
    "versions_added": "SELECT COUNT(*) FROM report_versions v JOIN captures c ON c.id = v.capture_id"
                      " WHERE c.run_id = (SELECT MAX(id) FROM crawl_runs)",
    "reports_new": "SELECT COUNT(*) FROM (SELECT v.report_id, MIN(c.run_id) AS first_run FROM report_versions v"
                   " JOIN captures c ON c.id = v.capture_id GROUP BY v.report_id)"
                   " WHERE first_run = (SELECT MAX(id) FROM crawl_runs) AND first_run > (SELECT MIN(id) FROM crawl_runs)",
    # 更正 notices first seen by the newest run: each supersedes its original (archive/editions.py)
    "corrections_new": "SELECT COUNT(*) FROM (SELECT v.report_id, MIN(c.run_id) AS first_run FROM report_versions v"
                       " JOIN captures c ON c.id = v.capture_id JOIN reports r ON r.id = v.report_id"
                       " WHERE r.kind = 'correction' GROUP BY v.report_id)"
                       " WHERE first_run = (SELECT MAX(id) FROM crawl_runs) AND first_run > (SELECT MIN(id) FROM crawl_runs)",
    "reports_changed": "SELECT COUNT(*) FROM report_figures WHERE changed = 1",
    "reports_gone": "SELECT COUNT(*) FROM reports WHERE gone_at IS NOT NULL",
}


def history(db_path: str) -> dict:
    """Crawl runs so far, and what the newest one added, changed and found gone."""
    db = open_db(db_path)
    try:
        out = {"crawl_runs": db.execute("SELECT COUNT(*) FROM crawl_runs").fetchone()[0]}
        out.update({k: db.execute(sql).fetchone()[0] for k, sql in _HISTORY.items()})
        return out
    finally:
        db.conn.close()


def last_run(db_path: str) -> dict | None:
    """The newest crawl run: id, status, reason and its stats (a dict)."""
    import json
    db = open_db(db_path)
    try:
        row = db.execute("SELECT id, status, finish_reason, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        health = None
        if row is not None and "source_health" in db.table_names():
            health = [{"source_id": s, "status": st, "why": json.loads(d or "{}").get("why")}
                      for s, st, d in db.execute("SELECT source_id, status, detail FROM source_health"
                                                 " WHERE run_id = ? ORDER BY source_id", [row[0]]).fetchall()]
    finally:
        db.conn.close()
    if row is None:
        return None
    # health: one row per source of the run (archive/health.py); empty when none was recorded
    return {"id": row[0], "status": row[1], "reason": row[2], "stats": json.loads(row[3] or "{}"),
            "health": health or []}


def run_verdict(run: dict | None) -> tuple[int, str]:
    """(exit code, one line) for a scheduler: 0 every source read completely and healthy; 1 the crawl
    ran to its end but a source was incomplete (blocked, unreachable, list errors) or not healthy
    (archive/health.py: empty, shrunk, errors…), items failed, or a document hit an extraction
    limit (status `partial`); 3 the run did not finish (aborted,
    interrupted, or it never closed: disk full, killed)."""
    from archive.ledger import partial_reasons
    if run is None:
        return 3, "no crawl run recorded"
    if run["status"] not in ("finished", "partial"):
        return 3, f"run {run['id']} {run['status']} ({run['reason'] or 'never closed'})"
    reasons = partial_reasons(run["stats"])
    # Any source whose health is not ok (archive/health.py) makes the run fall short too.
    unhealthy = [h for h in run.get("health") or [] if h["status"] != "ok"]
    if unhealthy:
        reasons.append("unhealthy sources: " + ", ".join(f"{h['source_id']} {h['status']}" for h in unhealthy))
    elif "health" in run and not run["health"] and run["stats"].get("nianbao/complete_lists") is not None:
        reasons.append("source health was not recorded")
    if run["status"] == "partial" or reasons:
        return 1, f"run {run['id']} finished partially: " + "; ".join(reasons or ["see its stats"])
    return 0, f"run {run['id']} finished: every source complete and healthy"
