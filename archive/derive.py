"""Derived data, computed in one place (docs/archive.md): storing an item records rows only and
queues its report id in `derive_queue`; `drain` later rebuilds, for every queued report, its
search segments (archive/search.py) and its checks, with the checks of the neighbours that read
it (next year's cross-year checks, its editions' edition checks: archive/checks/__init__.py).

Checks are a function of the rows, never of other checks or of the order in which reports
arrived, so deriving once per batch gives the same rows as deriving after every item.

When it runs: the crawl pipeline every NIANBAO_DERIVE_BATCH stored items, re-extraction at its
end, and `archive.figures.refresh` before it rebuilds `report_figures` (which reads checks), so
every end of a run drains what is left. The queue is a table: a crawl killed mid-way leaves its
report ids for the next drain. `drain` is idempotent and a no-op on an empty queue.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from archive import checks, search
from archive.tx import transaction

BATCH = 50   # reports per transaction: short enough for concurrent writers to get the lock


def _conn(db):
    return getattr(db, "conn", db)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def enqueue(db, report_ids: int | Iterable[int]) -> None:
    """Queue reports whose rows changed (inside the caller's write transaction)."""
    ids = [report_ids] if isinstance(report_ids, int) else list(report_ids)
    if ids:
        when = _now()
        _conn(db).executemany("INSERT INTO derive_queue (report_id, queued_at) VALUES (?, ?) "
                              "ON CONFLICT(report_id) DO NOTHING", [(i, when) for i in ids])


def _has_queue(conn) -> bool:
    # Archives not migrated yet (opened without archive.schema.open_db) have nothing queued.
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'derive_queue'").fetchone() is not None


def pending(db) -> int:
    conn = _conn(db)
    if not _has_queue(conn):
        return 0
    return conn.execute("SELECT COUNT(*) FROM derive_queue").fetchone()[0]


def derive(db, report_ids: list[int]) -> None:
    """Rebuild the derived rows of `report_ids` and of their neighbours (inside a transaction)."""
    conn = _conn(db)
    checks.index_copies(conn, report_ids)   # the batch's paragraphs first: they may share some
    for rid in report_ids:
        row = conn.execute("SELECT title, body_text FROM reports WHERE id = ?", [rid]).fetchone()
        if row is None:
            continue
        search.write_segments(conn, rid, row[0], row[1])
        checks.refresh_report(conn, rid, neighbours=False)
    batch = set(report_ids)
    for rid in report_ids:   # a neighbour in the batch was refreshed in full just above
        checks.refresh_neighbours(conn, rid, skip=batch)


def drain(db, batch: int = BATCH) -> int:
    """Derive every queued report, `batch` reports per transaction; returns how many.

    Must be called outside a transaction. Safe to call any number of times, from several
    processes at once: a batch is read and removed from the queue in one write transaction."""
    conn = _conn(db)
    if conn.in_transaction:
        raise RuntimeError("derive.drain opens its own transactions: call it outside one")
    if not _has_queue(conn):
        return 0
    done = 0
    while True:
        with transaction(conn):
            ids = [r[0] for r in conn.execute(
                "SELECT report_id FROM derive_queue ORDER BY report_id LIMIT ?", [batch])]
            if ids:
                derive(conn, ids)
                conn.executemany("DELETE FROM derive_queue WHERE report_id = ?",
                                 [(i,) for i in ids])
        if not ids:
            return done
        done += len(ids)
