"""`<db>.inspect.json`: what Datasette computes at its first request, computed when a run ends.

Served immutable (`datasette -i`), Datasette hashes the whole file (sha256) and counts every
table before it answers its first page: 11–34 s on a 100,000-report archive. `datasette serve
--inspect-file F` takes both from F instead (datasette/database.py: `hash`, `size`,
`cached_table_counts`), so this module writes that file next to the archive when a crawl,
an ingest or a re-extraction ends (`figures.refresh()` calls `ensure()`), and `nianbao serve`
passes it on only while it still describes the file (`usable()`).

The JSON is the one `datasette inspect` writes, `{name: {"hash", "size", "file", "tables":
{table: {"count": n}}}}`, plus a `nianbao` stamp in the entry that Datasette ignores: the
file's size, mtime (ns) and a digest of its 100-byte SQLite header (change counter, page count,
schema cookie). A file whose stamp differs has changed since and is never used: its counts
would be wrong.

    python -m archive.inspectfile data/archive.db      # write it by hand (prints the path)
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".inspect.json"
STAMP_VERSION = 1


def path_for(db_path: str | Path) -> Path:
    """The inspect file of an archive: `data/archive.db` → `data/archive.db.inspect.json`."""
    return Path(str(db_path) + SUFFIX)


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives the file when it is served alone (Database.suggest_name)."""
    return Path(db_path).stem


def stamp(db_path: str | Path) -> dict:
    """What identifies this state of the file, cheaply: size, mtime and its SQLite header."""
    st = os.stat(db_path)
    with open(db_path, "rb") as f:
        header = f.read(100)
    return {"version": STAMP_VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "header_sha256": hashlib.sha256(header).hexdigest()}


def _pending_wal(db_path: str | Path) -> bool:
    wal = Path(str(db_path) + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _checkpoint(db_path: str | Path, timeout: float) -> bool:
    """Move the WAL into the main file (an immutable reader sees the main file only); False if
    another connection keeps it from finishing (a reader in a transaction, a writer)."""
    if not Path(str(db_path) + "-wal").exists():
        return True
    conn = sqlite3.connect(str(db_path), timeout=timeout, isolation_level=None)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return not busy and not _pending_wal(db_path)


def compute(db_path: str | Path) -> dict:
    """The `datasette inspect` entry of the file, computed as Datasette does: `inspect_hash`
    over the bytes, then `select count(*)` over every row of sqlite_master of type 'table'
    through an immutable connection (None where a count fails, as in Database.table_counts)."""
    # Datasette's own hash function, and the sqlite3 module it uses (pysqlite3 if installed).
    from datasette.inspect import inspect_hash
    from datasette.utils import sqlite3 as ds_sqlite3

    path = Path(db_path)
    conn = ds_sqlite3.connect(path.resolve().as_uri() + "?immutable=1", uri=True)
    try:
        counts: dict[str, int | None] = {}
        for (table,) in conn.execute("select name from sqlite_master where type='table'").fetchall():
            try:
                counts[table] = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
            except (ds_sqlite3.OperationalError, ds_sqlite3.DatabaseError):
                counts[table] = None
    finally:
        conn.close()
    return {"hash": inspect_hash(path), "size": path.stat().st_size, "file": str(db_path),
            "tables": {t: {"count": n} for t, n in counts.items()}}


def write(db_path: str | Path, checkpoint_timeout: float = 5.0) -> Path | None:
    """Write the inspect file of `db_path` (atomically); None when it cannot describe a stable
    file: the WAL could not be checkpointed, or the file changed while it was read."""
    db_path = Path(db_path)
    if not _checkpoint(db_path, checkpoint_timeout):
        return None
    before = stamp(db_path)
    entry = compute(db_path)
    if stamp(db_path) != before or _pending_wal(db_path):
        return None   # written to meanwhile: these counts may already be wrong
    entry["nianbao"] = {**before, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    out = path_for(db_path)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({database_name(db_path): entry}, indent=2, ensure_ascii=False),
                   encoding="utf-8")
    os.replace(tmp, out)
    return out


def usable(db_path: str | Path) -> Path | None:
    """The inspect file if it exists and still describes `db_path` exactly (same stamp, nothing
    pending in the WAL), else None. Never returns a file whose counts could be stale."""
    out = path_for(db_path)
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
        entry = data[database_name(db_path)]
        recorded = dict(entry["nianbao"])
        recorded.pop("written_at", None)
        if not isinstance(entry["tables"], dict) or not entry["hash"]:
            return None
        if _pending_wal(db_path) or recorded != stamp(db_path):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return out


def ensure(db_path: str | Path) -> Path | None:
    """A usable inspect file for `db_path`: the existing one if still valid, else a new one.
    None when it cannot be written (read-only directory, busy WAL): serving then falls back to
    Datasette computing the figures itself."""
    found = usable(db_path)
    if found:
        return found
    try:
        written = write(db_path)
        if written is None:
            path_for(db_path).unlink(missing_ok=True)   # stale: not left for a hand-made command line
        return written
    except Exception:   # noqa: BLE001 - a speed-up: never fail the run that ends here over it
        log.exception("no inspect file for %s", db_path)
        return None


if __name__ == "__main__":
    started = time.time()
    written = write(sys.argv[1])
    if written is None:
        sys.exit(f"{sys.argv[1]}: being written (WAL busy or file changed): no inspect file")
    print(f"{written} in {time.time() - started:.1f}s")
