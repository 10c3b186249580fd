"""`nianbao serve` publishes without writing: the archive file is byte-for-byte the same after."""
from __future__ import annotations

import hashlib
import urllib.error
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


def test_a_damaged_record_is_never_served_as_the_archived_bytes(tmp_path):
    db = tmp_path / "a.db"
    arc = Archive(db)
    body = b"%PDF-1.4 " + bytes(range(256)) * 64
    cap = arc.add_capture(run_id=None, source_id=None, url="http://s.test/a.pdf", status=200,
                          headers=[("Content-Type", "application/pdf")], body=body)
    arc.close()
    with background(db) as url:
        ok = urllib.request.urlopen(f"{url}/-/capture/{cap.id}", timeout=10)
        assert hashlib.sha256(ok.read()).hexdigest() == cap.sha256
        for bad in ("99999999999999999999999", "-1", "0", "abc"):
            try:
                urllib.request.urlopen(f"{url}/-/capture/{bad}", timeout=10)
                raise AssertionError(bad)
            except urllib.error.HTTPError as e:
                assert e.code == 404, bad
        # Cut the WARC file inside the record: a partial body must not pass for the archived one.
        warc = next((tmp_path / "warc").glob("*.warc.gz"))
        data = warc.read_bytes()
        warc.write_bytes(data[: len(data) // 2])
        try:
            urllib.request.urlopen(f"{url}/-/capture/{cap.id}", timeout=10)
            raise AssertionError("served a damaged record")
        except urllib.error.HTTPError as e:
            assert e.code == 500 and "record damaged" in e.read().decode()
