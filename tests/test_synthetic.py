"""bench/synthetic.amplify: the copies are distinct, complete reports of a valid archive."""
from __future__ import annotations

import sqlite3

import pytest

from archive import search
from archive.schema import open_db
from bench.synthetic import amplify, build


@pytest.fixture()
def archive(tmp_path):
    path = tmp_path / "a.db"
    build(path, 10, seed=3)
    return path


def one(conn, sql, args=()):
    return conn.execute(sql, args).fetchone()[0]


def test_amplify_copies_every_part_of_every_report(archive):
    amplify(archive, 30)
    conn = sqlite3.connect(archive)
    assert one(conn, "SELECT COUNT(*) FROM reports") == 30
    # Identity is distinct per copy: URLs (and the URLs reports were reached by), agencies.
    assert one(conn, "SELECT COUNT(DISTINCT url) FROM reports") == 30
    assert one(conn, "SELECT COUNT(DISTINCT url) FROM report_urls") == 30
    assert one(conn, "SELECT COUNT(DISTINCT agency_key) FROM reports") == \
        3 * one(conn, "SELECT COUNT(DISTINCT agency_key) FROM reports WHERE id <= 10")
    copy = conn.execute("SELECT agency, title, url FROM reports WHERE id = 21").fetchone()
    orig = conn.execute("SELECT agency, title, url FROM reports WHERE id = 1").fetchone()
    assert copy[0] == orig[0] + "第2组" and copy[1].startswith(copy[0])
    assert copy[2] != orig[2]
    # Every copy points at its own version, capture, cells and checks, the same counts as the
    # report it was copied from.
    for rid, src in ((21, 1), (17, 7)):
        for sql in ("SELECT COUNT(*) FROM cells c JOIN reports r ON r.current_version_id = "
                    "c.version_id AND r.id = c.report_id WHERE r.id = ?",
                    "SELECT COUNT(*) FROM checks k JOIN reports r ON r.current_version_id = "
                    "k.version_id WHERE r.id = ?",
                    "SELECT COUNT(*) FROM report_versions v JOIN captures c ON c.id = v.capture_id "
                    "WHERE v.report_id = ? AND c.url = (SELECT url FROM reports WHERE id = v.report_id)"):
            assert one(conn, sql, [rid]) == one(conn, sql, [src]) > 0, sql
    assert one(conn, "SELECT COUNT(DISTINCT capture_id) FROM cells") == 30
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_amplified_archive_is_searchable_and_opens(archive):
    amplify(archive, 20)
    db = open_db(archive)   # still a valid, migrated archive (WAL again)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Both indexes know the copies: the trigram index (≥ 3 characters) by the copy's agency,
    # the word index by a two-character word.
    assert len(search.search(db, "第1组")) == 10
    hits = search.search(db, "复议")
    originals = [r for r in hits if r["id"] <= 10]
    assert originals and len(hits) == 2 * len(originals)


def test_amplify_refuses_a_size_that_is_not_a_multiple(archive):
    with pytest.raises(ValueError):
        amplify(archive, 25)


def test_amplify_copies_the_paragraph_index_of_derived_reports(tmp_path):
    """An archive derived by the writer (bench_archive's base) has X-COPY-OTHER's signatures,
    LSH rows and repetition rates: every copy gets its report's, under its own ids."""
    from pathlib import Path

    from archive_helpers import store

    from archive.writer import Archive
    from pipelines.extract.document import extract_document
    path = tmp_path / "d.db"
    arc = Archive(path)
    seeds = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))[:2]
    for i, seed in enumerate(seeds):   # real reports: paragraphs long enough to be indexed
        store(arc, extract_document(seed.read_bytes()), f"http://seed.test/{i}.html", body=seed.read_bytes())
    arc.close()
    tables = ("paragraph_sigs", "paragraph_bands", "copy_stats")
    conn = sqlite3.connect(path)
    before = {t: one(conn, f"SELECT COUNT(*) FROM {t}") for t in tables}
    conn.close()
    assert all(before.values()), before
    amplify(path, 6)
    conn = sqlite3.connect(path)
    assert {t: one(conn, f"SELECT COUNT(*) FROM {t}") for t in tables} == {t: 3 * n for t, n in before.items()}
    sigs = "SELECT para_no, minhash FROM paragraph_sigs WHERE report_id = ? ORDER BY para_no"
    assert conn.execute(sigs, [5]).fetchall() == conn.execute(sigs, [1]).fetchall()
    assert one(conn, "SELECT version_id FROM paragraph_sigs WHERE report_id = 5 LIMIT 1") == \
        one(conn, "SELECT current_version_id FROM reports WHERE id = 5")
    assert one(conn, "SELECT COUNT(*) FROM copy_stats s JOIN reports r ON r.id = s.report_id "
                     "AND r.current_version_id = s.version_id") == 3 * before["copy_stats"]
    conn.close()
