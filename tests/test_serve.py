"""`nianbao serve` publishes without writing: the archive file is byte-for-byte the same after."""
from __future__ import annotations

import hashlib
import urllib.request

from archive.serve import background
from archive.writer import Archive


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_serving_writes_nothing_into_the_archive(tmp_path):
    db = tmp_path / "a.db"
    arc = Archive(db)
    arc.sync_sources([{"id": "s", "name": "S", "url": "http://s.test/"}])
    arc.close()
    wal = db.with_name("a.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0   # closed cleanly: all in the main file
    before = _digest(db)
    with background(db) as url:
        assert urllib.request.urlopen(url + "/a/sources.json", timeout=10).status == 200
    assert _digest(db) == before
