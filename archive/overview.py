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


def last_run(db_path: str) -> dict | None:
    """The newest crawl run: id, status, reason and its stats (a dict)."""
    import json
    db = open_db(db_path)
    try:
        row = db.execute("SELECT id, status, finish_reason, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        db.conn.close()
    if row is None:
        return None
    return {"id": row[0], "status": row[1], "reason": row[2], "stats": json.loads(row[3] or "{}")}


def run_verdict(run: dict | None) -> tuple[int, str]:
    """(exit code, one line) for a scheduler: 0 every source read completely; 1 the crawl ran to
    its end but a source was incomplete (blocked, unreachable, list errors), items failed, or a
    document hit an extraction limit (status `partial`); 3 the run did not finish (aborted,
    interrupted, or it never closed: disk full, killed)."""
    from archive.ledger import partial_reasons
    if run is None:
        return 3, "no crawl run recorded"
    if run["status"] not in ("finished", "partial"):
        return 3, f"run {run['id']} {run['status']} ({run['reason'] or 'never closed'})"
    reasons = partial_reasons(run["stats"])
    if run["status"] == "partial" or reasons:
        return 1, f"run {run['id']} finished partially: " + "; ".join(reasons or ["see its stats"])
    return 0, f"run {run['id']} finished: every source complete"
