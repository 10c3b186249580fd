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
