"""Re-extraction from WARC records with the real extractor over the seed reports."""
from __future__ import annotations

from pathlib import Path

import pytest
from archive_helpers import dump

from archive.writer import Archive
from pipelines.reextract import reextract

document = pytest.importorskip("pipelines.extract.document")
SEEDS = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))
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
    arc.drain_derived()   # as the end of a crawl does
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
    from archive.checks import tables
    from archive.schema import open_db
    monkeypatch.setattr(tables, "CHECKS_VERSION", "99")
    stats = reextract(archive_path, processes=1)
    assert stats["reextracted"] == 0 and stats["checks_rerun"] == len(SEEDS)
    conn = open_db(archive_path).conn
    assert {v for (v,) in conn.execute("SELECT DISTINCT check_version FROM checks "
                                       "WHERE is_current = 1")} == {"99"}
    assert conn.execute("SELECT COUNT(*) FROM report_versions").fetchone()[0] == len(SEEDS)


def test_attachment_versions_are_reextracted_too(tmp_path, monkeypatch):
    reports = pytest.importorskip("farm.reports")
    from archive.schema import open_db
    g = reports.generate(reports.ReportSpec(agency="清河县民政局", year=2023, layout="attachment_only",
                                            attachment="docx"))
    att = g.attachments[0]
    arc = Archive(tmp_path / "a.db")
    page = (f'<html><head><meta charset="utf-8"><title>{g.title}</title></head><body><h1>{g.title}'
            f"</h1>{g.body_html}</body></html>").encode()
    cap = arc.add_capture(run_id=None, source_id=None, url="http://t/p.html", status=200,
                          headers=[("Content-Type", "text/html; charset=utf-8")], body=page)
    arc.store_document(capture_id=cap.id, source_id=None, url="http://t/p.html",
                       doc=document.extract_document(page, "http://t/p.html", {}),
                       kind="attachment_only")
    acap = arc.add_capture(run_id=None, source_id=None, url="http://t/" + att.filename, status=200,
                           headers=[("Content-Type", att.mime)], body=att.data)
    arc.store_attachment(report_url="http://t/p.html", capture_id=acap.id, url="http://t/" + att.filename,
                         filename=att.filename,
                         doc=document.extract_document(att.data, "http://t/" + att.filename,
                                                       {"content-type": att.mime}))
    arc.close()
    conn = open_db(tmp_path / "a.db").conn
    before = conn.execute("SELECT r.current_version_id, v.capture_id, v.part FROM reports r "
                          "JOIN report_versions v ON v.id = r.current_version_id").fetchone()
    assert before[1:] == (acap.id, "attachment")
    n_cells = conn.execute("SELECT COUNT(*) FROM cells WHERE version_id = ?", [before[0]]).fetchone()[0]
    assert n_cells == len(att.cells)
    monkeypatch.setattr(document, "EXTRACTOR_VERSION", "nianbao-extract/99.0")
    stats = reextract(tmp_path / "a.db", processes=2)
    assert stats["reextracted"] == 2 and stats["errors"] == 0      # the page and the attachment
    conn = open_db(tmp_path / "a.db").conn
    after = conn.execute("SELECT r.current_version_id, v.capture_id, v.part, v.extractor_version "
                         "FROM reports r JOIN report_versions v ON v.id = r.current_version_id").fetchone()
    assert after[0] != before[0] and after[1:] == (acap.id, "attachment", "nianbao-extract/99.0")
    assert conn.execute("SELECT COUNT(*) FROM cells WHERE version_id = ?", [after[0]]).fetchone()[0] == n_cells
    assert conn.execute("SELECT COUNT(*) FROM report_versions WHERE is_current = 1").fetchone()[0] == 2


def test_reextracting_a_crawled_archive_changes_no_identity(tmp_path, monkeypatch):
    """Crawl and re-extraction settle identity by one rule (nianbao.identity) from what the crawl
    saw: a new extractor version re-extracts every report and changes no kind, agency, agency
    key or year. The crawl's end derived everything it stored (the queue is empty)."""
    farm = pytest.importorskip("farm")
    registry = pytest.importorskip("crawler.registry")
    crawl_helpers = pytest.importorskip("crawl_helpers")
    from archive.schema import open_db
    with farm.Farm(port=0) as f:
        registry.dump([s for s in f.sources() if s["id"] == "farm-trs"], tmp_path / "sources.yml")
        crawl_helpers.crawl(tmp_path / "a.db", tmp_path / "sources.yml")
    sql = "SELECT url, kind, agency, agency_key, report_year FROM reports ORDER BY url"
    conn = open_db(tmp_path / "a.db").conn
    before = conn.execute(sql).fetchall()
    assert before and conn.execute("SELECT COUNT(*) FROM derive_queue").fetchone()[0] == 0
    n_current = conn.execute("SELECT COUNT(*) FROM report_versions WHERE is_current = 1").fetchone()[0]
    conn.close()
    monkeypatch.setattr(document, "EXTRACTOR_VERSION", "nianbao-extract/99.0")
    stats = reextract(tmp_path / "a.db", processes=1)
    assert stats["reextracted"] == n_current and stats["errors"] == 0
    conn = open_db(tmp_path / "a.db").conn
    assert conn.execute(sql).fetchall() == before
    assert conn.execute("SELECT COUNT(*) FROM derive_queue").fetchone()[0] == 0


def _hangs(data, url, headers):
    import time
    time.sleep(120)
    return {}


def _docx_bomb() -> bytes:
    """A valid DOCX zip whose document.xml inflates to 256 MB of "0" (about 1 MB on disk)."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><x><t>')
            for _ in range(256):
                f.write(b"0" * (1 << 20))
            f.write(b"</t></x>")
    return buf.getvalue()


def test_reextracting_a_bomb_ends_with_a_recorded_error(tmp_path, monkeypatch):
    """A hostile file cannot hang re-extraction: the extractor refuses a zip bomb (a written
    version with error zip_bomb), and a document whose worker runs out of time is counted as an
    error, not written (its old version stays current, the next run tries again)."""
    import time

    from archive.schema import open_db
    bomb, url = _docx_bomb(), "http://t/bomb.docx"
    arc = Archive(tmp_path / "a.db")
    cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                          headers=[("Content-Type", "application/octet-stream")], body=bomb)
    arc.store_document(capture_id=cap.id, source_id=None, url=url, doc=document.extract_document(bomb, url, {}))
    arc.close()
    conn = open_db(tmp_path / "a.db").conn
    (old,) = conn.execute("SELECT current_version_id FROM reports").fetchone()
    conn.close()
    monkeypatch.setattr(document, "EXTRACTOR_VERSION", "nianbao-extract/99.0")

    t0 = time.monotonic()
    stats = reextract(tmp_path / "a.db", processes=1, timeout=2, extractor=_hangs)
    assert time.monotonic() - t0 < 30
    assert stats["stale"] == 1 and stats["reextracted"] == 0 and stats["errors"] == 1
    assert "extract_timeout" in stats["error_samples"][0]
    conn = open_db(tmp_path / "a.db").conn
    assert conn.execute("SELECT current_version_id FROM reports").fetchone()[0] == old
    conn.close()

    t0 = time.monotonic()
    stats = reextract(tmp_path / "a.db", processes=1, timeout=60, memory_mb=1024)
    assert time.monotonic() - t0 < 30
    assert stats["reextracted"] == 1 and stats["errors"] == 0
    conn = open_db(tmp_path / "a.db").conn
    new = conn.execute("SELECT current_version_id FROM reports").fetchone()[0]
    assert new != old
    assert conn.execute("SELECT COUNT(*) FROM cells WHERE version_id = ?", [new]).fetchone()[0] == 0
    stored = conn.execute("SELECT error FROM report_versions WHERE id = ?", [new]).fetchone()[0]
    assert '"zip_bomb"' in stored
