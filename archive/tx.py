"""The one write transaction of the archive (docs/archive.md): `BEGIN IMMEDIATE` takes the write
lock up front, so concurrent writers (distributed workers, a re-extraction) wait on SQLite's
busy timeout instead of failing half-way with SQLITE_BUSY on lock upgrade."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def transaction(db) -> Iterator[sqlite3.Connection]:
    """`with transaction(conn):` … commits on success, rolls back on any exception (also
    KeyboardInterrupt). `db` is a sqlite3.Connection or a sqlite_utils.Database; the connection
    must be in autocommit mode (isolation_level=None, as archive.schema.open_db opens it)."""
    conn = getattr(db, "conn", db)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
