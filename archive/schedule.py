"""The archive's record of when each source was last crawled (for `nianbao crawl --due`).

A source's last run is the newest `crawl_runs` row that lists it in `sources` and went to its end:
status `finished` or `partial` (a source that was unreachable or blocked in such a run waits for
its next slot instead of being asked again every hour). A run that did not finish (`running`
when it was killed, `aborted`, `interrupted`) does not count: the next start crawls the source
again and resumes what the dead run left (crawler/runstate.py).
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from archive.schema import open_db

RAN_TO_END = ("finished", "partial")

_LAST_RUNS = f"""
SELECT j.value AS source_id, MAX(r.started_at) AS started_at
FROM crawl_runs r, json_each(CASE WHEN json_valid(r.sources) THEN r.sources ELSE '[]' END) j
WHERE r.status IN ({", ".join("?" * len(RAN_TO_END))})
GROUP BY j.value
"""


def last_runs(db_path: str | Path) -> dict[str, datetime]:
    """source id → when its newest run that went to its end started (UTC, aware). An archive
    that does not exist yet has no runs (nothing is created here)."""
    path = Path(db_path)
    if not path.exists():
        return {}
    db = open_db(path, readonly=True)
    try:
        try:
            rows = db.execute(_LAST_RUNS, RAN_TO_END).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):   # an empty SQLite file: never crawled
                return {}
            raise
    finally:
        db.conn.close()
    return {sid: datetime.fromisoformat(started) for sid, started in rows if started}
