"""Derived data (archive/derive.py): storing records rows and queues the report; draining the
queue gives the same checks and search rows as deriving after every item."""
from __future__ import annotations

import sqlite3

import pytest
from archive_helpers import current_checks

from archive import derive, figures, search
from archive.schema import open_db
from archive.writer import Archive
from bench.synthetic import make_doc, render_text, set_cell

AGENCY = "嘉兴市经济和信息化局"


def _store(arc, doc, url, seen_at=None):
    cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                          headers=[("Content-Type", "text/plain; charset=utf-8")],
                          body=render_text(doc).encode(), fetched_at=seen_at)
    return arc.store_document(capture_id=cap.id, source_id=None, url=url, doc=doc,
                              seen_at=seen_at)[0]


def _series():
    docs, carry = {}, None
    for y in (2021, 2022, 2023):
        d = make_doc(AGENCY, y, carried_over=carry, body=f"{y}年收到行政复议申请。")
        carry = dict(d["tables"]["t3"]["carried_forward"])
        docs[y] = d
    v = docs[2023]["tables"]["t3"]["carried_over"]["total"] + 2   # X-CARRY 2022→2023 fails
    set_cell(docs[2023], "t3", "carried_over", "total", str(v), v)
    return docs


def _checks(conn):
    """Current check rows by report URL (ids differ between archives)."""
    return sorted(conn.execute(
        "SELECT r.url, k.check_id, k.scope, k.status, k.expected, k.actual, k.cells "
        "FROM checks k JOIN reports r ON r.id = k.report_id WHERE k.is_current = 1"))


def test_storing_writes_rows_only_and_queues_the_report(tmp_path):
    arc = Archive(tmp_path / "a.db")
    rid = _store(arc, make_doc(AGENCY, 2023, body="本年度收到行政复议申请2件。"), "http://t/1")
    conn = arc.db.conn
    assert conn.execute("SELECT current_version_id IS NOT NULL, body_text IS NOT NULL "
                        "FROM reports").fetchone() == (1, 1)
    assert conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0] > 0
    assert conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 0
    # The word index follows the row by its triggers (archive/search.py), not the drain.
    assert [r["id"] for r in search.search(arc.db, "复议")] == [rid]
    assert [r[0] for r in conn.execute("SELECT report_id FROM derive_queue")] == [rid]
    assert arc.drain_derived() == 1
    assert derive.pending(conn) == 0 and current_checks(arc, rid)
    assert [r["id"] for r in search.search(arc.db, "复议")] == [rid]   # the word index
    # Idempotent: an empty queue is a no-op that writes nothing.
    total = conn.total_changes
    assert arc.drain_derived() == 0 and derive.drain(conn) == 0
    assert conn.total_changes == total


@pytest.mark.parametrize("batch", [1, 2, 50])
def test_batched_drain_equals_deriving_after_every_item(tmp_path, batch):
    docs = _series()
    order = [2023, 2021, 2022]   # the neighbour years arrive late
    each = Archive(tmp_path / "each.db")
    for y in order:
        _store(each, docs[y], f"http://gov.test/{y}.html")
        each.drain_derived()
    once = Archive(tmp_path / f"once{batch}.db")
    for y in order:
        _store(once, docs[y], f"http://gov.test/{y}.html")
    assert derive.pending(once.db.conn) == 3
    assert once.drain_derived(batch=batch) == 3
    assert _checks(once.db.conn) == _checks(each.db.conn)
    assert any(c[1] == "X-CARRY" and c[3] == "fail" for c in _checks(once.db.conn))
    seg = "SELECT rowid, title, body_text FROM reports_seg ORDER BY rowid"
    assert once.db.conn.execute(seg).fetchall() == each.db.conn.execute(seg).fetchall()


def test_queue_survives_a_killed_run_and_figures_drain_it(tmp_path):
    arc = Archive(tmp_path / "a.db")
    rid = _store(arc, make_doc(AGENCY, 2023), "http://t/1")
    arc.close()   # the run died before any drain: the queue is in the file
    conn = open_db(tmp_path / "a.db").conn
    assert derive.pending(conn) == 1
    conn.close()
    assert figures.refresh(tmp_path / "a.db")   # the end of a run: derive, then the figures
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("SELECT COUNT(*) FROM derive_queue").fetchone()[0] == 0
    assert conn.execute("SELECT failing_checks IS NOT NULL FROM report_figures WHERE report_id = ?",
                        [rid]).fetchone() == (1,)
    assert conn.execute("SELECT COUNT(*) FROM checks WHERE report_id = ?", [rid]).fetchone()[0] > 0
    assert not figures.refresh(tmp_path / "a.db")   # nothing changed since


def test_drain_refuses_to_run_inside_a_transaction(tmp_path):
    arc = Archive(tmp_path / "a.db")
    with arc.transaction(), pytest.raises(RuntimeError):
        arc.drain_derived()


def test_failed_batch_rolls_back_and_stays_queued(tmp_path, monkeypatch):
    arc = Archive(tmp_path / "a.db")
    _store(arc, make_doc(AGENCY, 2023), "http://t/1")

    def boom(*a, **k):
        raise ValueError("boom")
    monkeypatch.setattr(derive.checks, "refresh_report", boom)
    with pytest.raises(ValueError):
        arc.drain_derived()
    conn = arc.db.conn
    assert derive.pending(conn) == 1 and not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 0
    monkeypatch.undo()
    assert arc.drain_derived() == 1
