"""The checks engine (spec/report-format.md §5): one module per group.

`run_for_version` is called by the writer for every new report version and by re-extraction.
"""
from __future__ import annotations

import json

CHECKS_VERSION = "0"


def report_checks(doc: dict) -> list[dict]:
    """Within-report checks over an extracted document (filled in by archive/checks/tables.py)."""
    try:
        from archive.checks import tables
    except ImportError:
        return []
    return tables.run(doc)


def run_for_version(db, report_id: int, version_id: int, doc: dict) -> None:
    db.execute("UPDATE checks SET is_current = 0 WHERE report_id = ? AND version_id != ?",
               [report_id, version_id])
    results = report_checks(doc)
    db["checks"].insert_all(({
        "report_id": report_id, "version_id": version_id, "check_id": r["id"],
        "check_version": r.get("version", CHECKS_VERSION), "scope": r.get("scope"),
        "status": r["status"], "expression": r.get("expression"),
        "expected": None if r.get("expected") is None else str(r["expected"]),
        "actual": None if r.get("actual") is None else str(r["actual"]),
        "delta": r.get("delta"), "detail": r.get("detail"),
        "cells": json.dumps(r.get("cells") or [], ensure_ascii=False), "is_current": 1,
    } for r in results), batch_size=500)
