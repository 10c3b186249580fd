"""The archive's acceptance over a real crawl of a farm portal (real HTTP, real extractor):
every table-bearing report has its cells and checks, deliberately broken reports fail exactly
the expected checks, and every current version and cell leads to WARC bytes with the recorded
sha256."""
from __future__ import annotations

import json
import sqlite3

import pytest

from archive.checks import TABLE_IDS
from archive.warc import read_record, sha256

farm = pytest.importorskip("farm")
registry = pytest.importorskip("crawler.registry")
crawl_helpers = pytest.importorskip("crawl_helpers")

PORTAL = "farm-trs"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("archive_farm")
    with farm.Farm(port=0) as f:
        sources = [s for s in f.sources() if s["id"] == PORTAL]
        registry.dump(sources, tmp / "sources.yml")
        crawl_helpers.crawl(tmp / "archive.db", tmp / "sources.yml")
        manifest = f.manifest()
    conn = sqlite3.connect(tmp / "archive.db")
    reports = [r for r in manifest["reports"] if r["portal"] == PORTAL]
    by_url = dict(conn.execute("SELECT url, report_id FROM report_urls").fetchall())
    return conn, tmp / "warc", reports, by_url


def _table_bearing(r):
    return bool(r.get("cells")) or any(a.get("cells") for a in r.get("attachments") or [])


def test_every_table_bearing_report_has_cells_and_checks(crawled):
    conn, _, reports, by_url = crawled
    bearing = [r for r in reports if _table_bearing(r)]
    assert bearing
    missing = []
    for r in bearing:
        rid = by_url.get(r["url"])
        n_cells = conn.execute("SELECT COUNT(*) FROM cells c JOIN reports x ON x.id = c.report_id "
                               "AND c.version_id = x.current_version_id WHERE x.id = ?", [rid]).fetchone()[0]
        ids = {c for (c,) in conn.execute(
            "SELECT DISTINCT k.check_id FROM checks k JOIN reports x ON x.id = k.report_id "
            "AND k.version_id = x.current_version_id WHERE x.id = ? AND k.is_current = 1", [rid])}
        if rid is None or n_cells == 0 or not set(TABLE_IDS) <= ids:
            missing.append((r["url"], r["kind"], n_cells, sorted(set(TABLE_IDS) - ids)))
    assert not missing, missing[:5]


def test_broken_reports_fail_exactly_the_expected_checks(crawled):
    conn, _, reports, by_url = crawled
    wrong = []
    for r in reports:
        if r["kind"] != "report" or not r.get("cells"):
            continue
        rid = by_url[r["url"]]
        failing = {c for (c,) in conn.execute(
            "SELECT DISTINCT k.check_id FROM checks k JOIN reports x ON x.id = k.report_id "
            "AND k.version_id = x.current_version_id WHERE x.id = ? AND k.is_current = 1 "
            f"AND k.status = 'fail' AND k.check_id IN ({','.join('?' * len(TABLE_IDS))})",
            [rid, *TABLE_IDS])}
        if failing != set(r.get("expected_failures") or []):
            wrong.append((r["url"], sorted(failing), r.get("expected_failures")))
    assert not wrong, wrong[:5]
    assert any(r.get("expected_failures") for r in reports)  # the portal has broken reports


def test_current_versions_and_cells_lead_to_the_exact_bytes(crawled):
    conn, warc_dir, _, _ = crawled
    rows = conn.execute(
        "SELECT DISTINCT c.id, c.sha256, c.warc_file, c.warc_offset, c.warc_length FROM captures c "
        "WHERE c.id IN (SELECT v.capture_id FROM reports r JOIN report_versions v "
        "ON v.id = r.current_version_id) OR c.id IN (SELECT DISTINCT capture_id FROM cells)").fetchall()
    assert rows
    for cid, digest, file, offset, length in rows:
        rec = read_record(warc_dir, file, offset, length)
        assert sha256(rec.body) == digest, cid
    # The operands of a failing check name cells that exist in the same version.
    for rid, vid, cells in conn.execute("SELECT report_id, version_id, cells FROM checks "
                                        "WHERE status = 'fail' AND check_id LIKE 'T%'"):
        for ref in json.loads(cells):
            assert conn.execute("SELECT 1 FROM cells WHERE version_id = ? AND tbl = ? AND row_key = ? "
                                "AND col_key = ?", [vid, *ref.split("/")]).fetchone()
