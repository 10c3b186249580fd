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
