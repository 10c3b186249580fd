import sqlite3

from archive.warc import read_record
from archive.writer import Archive

DOC = {"title": "某县人民政府2023年度政府信息公开工作年度报告", "agency": "某县人民政府",
       "report_year": 2023, "format": "2021", "extractor_version": "t1",
       "cells": [{"table": "t3", "row": "new_received", "col": "total", "raw": "12", "value": 12,
                  "semantic": "NUMERIC", "locator": "html:table[1]/r4/c9"}]}


def test_identical_bytes_are_stored_once_and_both_captures_trace_to_them(tmp_path):
    a = Archive(tmp_path / "a.db")
    run = a.start_run(["s"])
    c1 = a.add_capture(run_id=run, source_id=None, url="http://x.test/1", status=200,
                       headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                       body=b"same bytes")
    c2 = a.add_capture(run_id=run, source_id=None, url="http://x.test/2", status=200,
                       headers=[("Content-Type", "text/html")], body=b"same bytes")
    r1, r2 = a.capture_row(c1.id), a.capture_row(c2.id)
    assert (r1["warc_file"], r1["warc_offset"]) == (r2["warc_file"], r2["warc_offset"])
    a.warc.close()
    rec = read_record(a.warc_dir, r2["warc_file"], r2["warc_offset"], r2["warc_length"])
    assert rec.body == b"same bytes"
    # Scrapy hands decoded bodies: the stored headers must not claim gzip.
    assert "content-encoding" not in {k.lower() for k, _ in rec.headers}


def test_unchanged_capture_is_not_a_new_version_changed_one_is(tmp_path):
    a = Archive(tmp_path / "a.db")
    run = a.start_run(["s"])
    url = "http://x.test/report.html"
    c1 = a.add_capture(run_id=run, source_id=None, url=url, status=200, body=b"v1")
    rid, v1, new1 = a.store_document(capture_id=c1.id, source_id=None, url=url, doc=DOC)
    c2 = a.add_capture(run_id=run, source_id=None, url=url, status=200, body=b"v1")
    _, v1b, new2 = a.store_document(capture_id=c2.id, source_id=None, url=url, doc=DOC)
    assert new1 and not new2 and v1b == v1
    c3 = a.add_capture(run_id=run, source_id=None, url=url, status=200, body=b"v2")
    edited = dict(DOC, cells=[dict(DOC["cells"][0], raw="13", value=13)])
    _, v2, new3 = a.store_document(capture_id=c3.id, source_id=None, url=url, doc=edited)
    assert new3 and v2 != v1
    db = a.db
    assert db.execute("SELECT current_version_id FROM reports WHERE id = ?", [rid]).fetchone()[0] == v2
    # Both versions are kept, only the newest is current; the wide view shows the current value.
    rows = db.execute("SELECT id, is_current FROM report_versions ORDER BY id").fetchall()
    assert rows == [(v1, 0), (v2, 1)]
    assert db.execute("SELECT total FROM t3_wide WHERE row_key = 'new_received'").fetchall() == [(13.0,)]
    assert db.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == 2


def test_gone_reports_are_marked_not_deleted(tmp_path):
    a = Archive(tmp_path / "a.db")
    a.sync_sources([{"id": "s", "name": "S", "url": "http://x.test/"}])
    run = a.start_run(["s"])
    for u in ("http://x.test/a", "http://x.test/b"):
        c = a.add_capture(run_id=run, source_id="s", url=u, status=200, body=u.encode())
        # Two agencies: the same agency + year under another URL would be the same report.
        a.store_document(capture_id=c.id, source_id="s", url=u,
                         doc=dict(DOC, agency="某县" + u[-1] + "局", title="某县" + u[-1] + "局2023年度政府信息公开工作年度报告"))
    gone = a.mark_gone("s", {"http://x.test/a"})
    assert gone == ["http://x.test/b"]
    rows = dict(a.db.execute("SELECT url, gone_at IS NOT NULL FROM reports").fetchall())
    assert rows == {"http://x.test/a": 0, "http://x.test/b": 1}


def test_archive_file_is_wal_with_foreign_keys(tmp_path):
    a = Archive(tmp_path / "a.db")
    assert a.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    try:
        a.db.execute("INSERT INTO report_versions (report_id, capture_id, sha256, seen_at, "
                     "extractor_version) VALUES (999, 999, 'x', 'now', 'v')")
        raised = False
    except sqlite3.IntegrityError:
        raised = True
    assert raised


def test_writer_thread_batches_and_a_bad_item_fails_alone(tmp_path):
    import sqlite3

    from archive.writer import WriterThread
    from bench.synthetic import make_doc
    arc = Archive(tmp_path / "w.db")
    caps = [arc.add_capture(run_id=None, source_id=None, url=f"http://t/{i}", status=200,
                            headers=[("Content-Type", "text/html")], body=f"<p>{i}</p>".encode(),
                            role="detail").id for i in range(20)]
    writer = WriterThread(tmp_path / "w.db", batch_items=8, derive_every=0)
    writer.submit("touch_report", url="http://t/none")
    futs = [writer.submit("store_document", capture_id=c, source_id=None, url=f"http://t/{i}",
                          doc=make_doc(f"某市第{i}局", 2023)) for i, c in enumerate(caps)]
    bad = writer.submit("store_document", capture_id=caps[0], source_id=None, url="http://t/bad", doc=None)
    results = [f.result(timeout=60) for f in futs]
    # A resolved item is committed: another connection sees it.
    other = sqlite3.connect(tmp_path / "w.db")
    assert other.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 20
    assert all(new for _, _, new in results)
    try:
        bad.result(timeout=60)
        raise AssertionError("a document of None was stored")
    except (TypeError, AttributeError):
        pass
    writer.close()
    assert other.execute("SELECT COUNT(*) FROM reports WHERE url = 'http://t/bad'").fetchone()[0] == 0
    assert 3 <= writer.commits < 22   # batches of up to 8, not one commit per item
    assert writer.cpu_seconds > 0


def test_captures_are_queued_to_the_writer_and_items_resolve_their_pending_ids(tmp_path, monkeypatch):
    """The reactor's captures never wait for the writer (not even behind derived work): they are
    queued like items, their ids are resolved by the writer when an item names them, and they are
    on disk once flushed."""
    import sqlite3
    import threading
    import time

    from archive import derive
    from archive.ledger import Ledger
    from archive.writer import PendingCapture, WriterThread
    from bench.synthetic import make_doc
    db = tmp_path / "q.db"
    ledger = Ledger(db)
    run = ledger.start_run(["s"])
    writer = WriterThread(db, batch_items=4, derive_every=1)
    slow = threading.Event()
    real = derive.derive

    def slow_derive(conn, ids):   # derived work that takes long, as checks do on a big report
        slow.set()
        time.sleep(0.5)
        return real(conn, ids)
    monkeypatch.setattr(derive, "derive", slow_derive)
    try:
        cap = ledger.add_capture(run_id=run, source_id=None, url="http://t/0", status=200,
                                 headers=[("Content-Type", "text/html")], body=b"<p>0</p>", role="detail")
        assert isinstance(cap.id, PendingCapture) and cap.sha256 and cap.outcome == "ok"
        writer.submit("store_document", capture_id=cap.id, source_id=None, url="http://t/0",
                      doc=make_doc("某市第0局", 2023)).result(timeout=60)
        assert slow.wait(30)   # the writer is deriving now
        started = time.monotonic()
        caps = [ledger.add_capture(run_id=run, source_id=None, url=f"http://t/{i}", status=200,
                                   headers=[("Content-Type", "text/html")], body=f"<p>{i}</p>".encode(),
                                   role="detail") for i in range(1, 30)]
        assert time.monotonic() - started < 0.25   # queued, not waiting behind the derive step
        futs = [writer.submit("store_document", capture_id=c.id, source_id=None, url=f"http://t/{i}",
                              doc=make_doc(f"某市第{i}局", 2023)) for i, c in enumerate(caps, 1)]
        assert all(new for _, _, new in (f.result(timeout=60) for f in futs))
        lost = ledger.add_capture(run_id=run, source_id=None, url="http://t/x", status=200, body=b"x",
                                  headers=[("Content-Type", "text/html")], role="detail")
        ledger.flush()
        other = sqlite3.connect(db)
        assert other.execute("SELECT COUNT(*) FROM captures").fetchone()[0] == 31
        # each report points at its own capture, in the order the captures were made
        rows = other.execute("SELECT r.url, c.url FROM report_versions v JOIN reports r ON r.id = v.report_id"
                             " JOIN captures c ON c.id = v.capture_id ORDER BY c.id").fetchall()
        assert rows == [(f"http://t/{i}", f"http://t/{i}") for i in range(30)]
        assert lost.id.resolve() == other.execute("SELECT MAX(id) FROM captures").fetchone()[0]
    finally:
        writer.close()
        ledger.close()
    assert WriterThread.active(db) is None
