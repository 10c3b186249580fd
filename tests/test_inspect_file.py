"""`<db>.inspect.json` (archive/inspectfile.py): Datasette's hash and table counts, written when a
run ends and given to `datasette --inspect-file` only while they still describe the file.

Real archives (a farm crawl, the sample site), real `datasette` processes (archive.serve.background).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from archive import figures, inspectfile
from archive.datasette import sample
from archive.serve import background, datasette_args, inspect_file_for
from farm import Farm
from tests.crawl_helpers import crawl, write_registry

FAKE = 987_654_321   # a count no table of these archives has: seen on a page only if read from the file


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in names}
    finally:
        conn.close()


def _served_counts(url: str, name: str) -> dict[str, int]:
    page = json.loads(urllib.request.urlopen(f"{url}/{name}.json", timeout=30).read())
    return {t["name"]: t["count"] for t in page["tables"]}


def _tamper(db: Path, table: str, count: int) -> None:
    """Change one count in a valid inspect file, keeping its stamp: it still claims to describe the file."""
    path = inspectfile.path_for(db)
    data = json.loads(path.read_text("utf-8"))
    data[db.stem]["tables"][table]["count"] = count
    path.write_text(json.dumps(data), "utf-8")


@pytest.fixture()
def site(tmp_path):
    db = tmp_path / "archive.db"
    sample.build(db)   # ends with figures.refresh, as a crawl does
    return db


def test_a_crawl_ends_with_an_inspect_file_that_describes_the_archive(tmp_path):
    with Farm(port=0) as farm:
        registry = write_registry(tmp_path / "farm.yml", farm.sources()[:1])
        db = tmp_path / "archive.db"
        crawl(db, registry)
    assert inspectfile.usable(db) == inspectfile.path_for(db)   # still valid once the crawl process is gone
    entry = json.loads(inspectfile.path_for(db).read_text("utf-8"))["archive"]
    assert entry["hash"] == hashlib.sha256(db.read_bytes()).hexdigest()
    assert entry["size"] == db.stat().st_size
    assert {t: v["count"] for t, v in entry["tables"].items()} == _counts(db)
    assert entry["tables"]["reports"]["count"] > 0


def test_a_reextraction_ends_with_a_fresh_inspect_file(tmp_path, monkeypatch):
    from archive.writer import Archive
    from pipelines.extract import document
    from pipelines.reextract import reextract
    seeds = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))[:2]
    if not seeds:
        pytest.skip("seeds not available")
    db = tmp_path / "a.db"
    arc = Archive(db)
    for i, path in enumerate(seeds):
        url, headers = f"http://seed.test/{i}.txt", {"content-type": "text/plain; charset=utf-8"}
        cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                              headers=[("Content-Type", headers["content-type"])], body=path.read_bytes())
        arc.store_document(capture_id=cap.id, source_id=None, url=url,
                           doc=document.extract_document(path.read_bytes(), url, headers))
    arc.close()
    figures.refresh(db)
    before = json.loads(inspectfile.path_for(db).read_text("utf-8"))["a"]
    monkeypatch.setattr(document, "EXTRACTOR_VERSION", "nianbao-extract/99.0")
    assert reextract(db, processes=1)["reextracted"] == len(seeds)
    assert inspectfile.usable(db)
    after = json.loads(inspectfile.path_for(db).read_text("utf-8"))["a"]
    assert after["tables"]["report_versions"]["count"] == 2 * before["tables"]["report_versions"]["count"]
    assert {t: v["count"] for t, v in after["tables"].items()} == _counts(db)
    assert after["hash"] == hashlib.sha256(db.read_bytes()).hexdigest()


def test_the_file_is_what_datasette_inspect_writes(site, tmp_path):
    ours = json.loads(inspectfile.path_for(site).read_text("utf-8"))
    theirs = tmp_path / "datasette.json"
    subprocess.run([str(Path(sys.executable).with_name("datasette")), "inspect", str(site),
                    "--inspect-file", str(theirs)], check=True, capture_output=True, timeout=120)
    stamp = ours["archive"].pop("nianbao")
    assert ours == json.loads(theirs.read_text("utf-8"))
    assert stamp["size"] == site.stat().st_size and stamp["mtime_ns"] == site.stat().st_mtime_ns


def test_serving_reads_hash_and_counts_from_a_valid_inspect_file(site):
    entry = json.loads(inspectfile.path_for(site).read_text("utf-8"))["archive"]
    _tamper(site, "sources", FAKE)
    assert inspectfile.usable(site)   # the stamp still matches: served from it
    with background(site) as url:
        assert _served_counts(url, "archive")["sources"] == FAKE
        dbs = json.loads(urllib.request.urlopen(url + "/-/databases.json", timeout=30).read())
        assert dbs[0]["hash"] == entry["hash"]
    with background(site, inspect=False) as url:   # Datasette counting by itself
        assert _served_counts(url, "archive")["sources"] == _counts(site)["sources"]


def test_a_stale_inspect_file_is_never_used(site):
    _tamper(site, "sources", FAKE)
    conn = sqlite3.connect(site)
    conn.execute("INSERT INTO sources (id, name, url) VALUES ('late', 'added after the run', 'http://late.test/')")
    conn.commit()
    conn.close()
    assert inspectfile.usable(site) is None
    assert inspect_file_for(site, immutable=True, write=False) is None
    real = _counts(site)
    with background(site) as url:
        served = _served_counts(url, "archive")
    assert served["sources"] == real["sources"] != FAKE
    assert served == {t: real[t] for t in served}
    # `nianbao serve` writes it again before starting, from the file as it is now.
    fresh = inspect_file_for(site, immutable=True, write=True)
    assert fresh == inspectfile.path_for(site) and inspectfile.usable(site)
    entry = json.loads(fresh.read_text("utf-8"))["archive"]
    assert {t: v["count"] for t, v in entry["tables"].items()} == real
    assert entry["hash"] == hashlib.sha256(site.read_bytes()).hexdigest()


def test_the_next_refresh_replaces_a_stale_file(site):
    before = json.loads(inspectfile.path_for(site).read_text("utf-8"))["archive"]
    conn = sqlite3.connect(site)
    conn.execute("UPDATE sources SET name = name || '（改）'")   # same size, new mtime
    conn.commit()
    conn.close()
    assert inspectfile.usable(site) is None
    figures.refresh(site)
    after = json.loads(inspectfile.path_for(site).read_text("utf-8"))["archive"]
    assert inspectfile.usable(site) and after["hash"] != before["hash"]
    assert after["hash"] == hashlib.sha256(site.read_bytes()).hexdigest()


def test_not_used_while_the_wal_holds_rows_nor_for_a_live_archive(site):
    conn = sqlite3.connect(site)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("INSERT INTO sources (id, name, url) VALUES ('w', 'in the WAL', 'http://w.test/')")
    conn.commit()   # kept open: the row stays in the WAL
    try:
        assert inspectfile.usable(site) is None
        assert inspect_file_for(site, immutable=True, write=True) is None   # never written mid-write
    finally:
        conn.close()
    assert inspect_file_for(site, immutable=False, write=True) is None


def test_datasette_args_carry_the_file_only_when_given(site):
    assert "--inspect-file" not in datasette_args(site, port=9)   # a command line kept for later
    args = datasette_args(site, port=9, inspect_file=inspectfile.path_for(site))
    assert args[args.index("--inspect-file") + 1] == str(inspectfile.path_for(site))
    assert "--inspect-file" not in datasette_args(site, port=9, immutable=False,
                                                  inspect_file=inspectfile.path_for(site))
