"""Re-extraction from WARC records with the real extractor over the seed reports."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.reextract import reextract
from archive.writer import Archive
from archive_helpers import dump

document = pytest.importorskip("pipelines.extract.document")
SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
pytestmark = pytest.mark.skipif(not SEEDS, reason="seeds not available")


@pytest.fixture()
def archive_path(tmp_path):
    arc = Archive(tmp_path / "a.db")
    for i, path in enumerate(SEEDS):
        data = path.read_bytes()
        url = f"http://seed.test/{i}.txt"
        cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                              headers=[("Content-Type", "text/plain; charset=utf-8")], body=data)
        doc = document.extract_document(data, url, {"content-type": "text/plain; charset=utf-8"})
        arc.store_document(capture_id=cap.id, source_id=None, url=url, doc=doc)
    arc.close()
    return tmp_path / "a.db"


def test_second_run_changes_nothing(archive_path):
    from archive.schema import open_db
    before = dump(open_db(archive_path).conn)
    stats = reextract(archive_path, processes=2)
    assert stats["stale"] == 0 and stats["reextracted"] == 0 and stats["errors"] == 0
    assert dump(open_db(archive_path).conn) == before
    reextract(archive_path, processes=1)
    assert dump(open_db(archive_path).conn) == before


@pytest.mark.parametrize("processes", [1, 2])
def test_extractor_bump_writes_new_rows_and_keeps_old(archive_path, monkeypatch, processes):
    from archive.schema import open_db
    conn = open_db(archive_path).conn
    old_versions = conn.execute("SELECT id, report_id, capture_id FROM report_versions "
                                "ORDER BY id").fetchall()
    old_cells = dict(conn.execute("SELECT version_id, COUNT(*) FROM cells GROUP BY 1").fetchall())
    n_reports = len(SEEDS)
    assert len(old_versions) == n_reports
    original = document.EXTRACTOR_VERSION
    monkeypatch.setattr(document, "EXTRACTOR_VERSION", "nianbao-extract/99.0")
    stats = reextract(archive_path, processes=processes)
    assert stats["reextracted"] == n_reports and stats["errors"] == 0
    conn = open_db(archive_path).conn
    rows = conn.execute("SELECT id, report_id, capture_id, extractor_version, is_current "
                        "FROM report_versions ORDER BY id").fetchall()
    assert len(rows) == 2 * n_reports
    old_ids = {v[0] for v in old_versions}
    for vid, rid, cap, ev, cur in rows:
        if vid in old_ids:
            assert ev == original
            assert cur == 0
        else:
            assert ev == "nianbao-extract/99.0" and cur == 1
    # New versions are tied to the same captures, one per report, and are the reports' current.
    new = {(rid, cap) for vid, rid, cap, ev, cur in rows if vid not in old_ids}
    assert new == {(rid, cap) for _, rid, cap in old_versions}
    current = {r[0] for r in conn.execute("SELECT current_version_id FROM reports")}
    assert current == {vid for vid, *_ in rows if vid not in old_ids}
    # Old rows stay; the same bytes give the same number of cells; checks moved to the new ones.
    new_cells = dict(conn.execute("SELECT version_id, COUNT(*) FROM cells GROUP BY 1").fetchall())
    now = dict(conn.execute("SELECT id, current_version_id FROM reports").fetchall())
    for ovid, rid, _ in old_versions:   # workers finish in any order: match by report
        assert new_cells.get(ovid, 0) == old_cells.get(ovid, 0)
        assert new_cells.get(now[rid], 0) == old_cells.get(ovid, 0)
    assert conn.execute("SELECT COUNT(*) FROM checks WHERE is_current = 1 AND version_id IN "
                        f"({','.join(str(v[0]) for v in old_versions)})").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(DISTINCT version_id) FROM checks WHERE is_current = 1"
                        ).fetchone()[0] == n_reports
    # And again: nothing left to do.
    before = dump(conn)
    assert reextract(archive_path, processes=processes)["reextracted"] == 0
    assert dump(open_db(archive_path).conn) == before


def test_checks_version_bump_reruns_checks_only(archive_path, monkeypatch):
    from archive import checks
    from archive.schema import open_db
    monkeypatch.setattr(checks, "CHECKS_VERSION", "99")
    monkeypatch.setattr("archive.reextract.CHECKS_VERSION", "99")
    stats = reextract(archive_path, processes=1)
    assert stats["reextracted"] == 0 and stats["checks_rerun"] == len(SEEDS)
    conn = open_db(archive_path).conn
    assert {v for (v,) in conn.execute("SELECT DISTINCT check_version FROM checks "
                                       "WHERE is_current = 1")} == {"99"}
    assert conn.execute("SELECT COUNT(*) FROM report_versions").fetchone()[0] == len(SEEDS)
