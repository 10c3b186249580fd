"""archive/ledger.py: the crawler's door into the archive, on a temporary SQLite file."""
from __future__ import annotations

import json

import pytest

from archive.ledger import Ledger
from tests.crawl_helpers import q

URL = "http://www.example.gov.cn.test/art/2024/1/20/art_1_1.html"
PAGE = "<html><head><title>报告</title></head><body><a href='a.pdf'>附件</a></body></html>".encode()


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "archive.db", tmp_path / "warc")
    led.sync_sources([{"id": "a", "name": "A", "url": "http://a.test/"},
                      {"id": "b", "name": "B", "url": "http://b.test/"}])
    yield led
    led.close()


def _capture(ledger, run_id, url=URL, body=PAGE, **kw):
    return ledger.add_capture(**{"run_id": run_id, "source_id": "a", "url": url, "status": 200,
                                 "headers": [("Content-Type", "text/html; charset=utf-8"), ("ETag", '"v1"')],
                                 "body": body, "role": "detail", **kw})


def test_sources_marks_and_render_decisions(ledger):
    assert ledger.render_decisions() == {}
    ledger.set_render_decision("a", "browser")
    ledger.mark_blocked("b", "jsl_521 at http://b.test/")
    ledger.mark_blocked(None, "ignored")
    assert ledger.render_decisions() == {"a": "browser"}
    (reason,), = q(ledger.path, "SELECT blocked_reason FROM sources WHERE id = 'b'")
    assert reason.startswith("jsl_521")


def test_capture_conditional_state_and_page_body(ledger):
    run = ledger.start_run(["a"])
    assert ledger.previous_capture(URL) is None and ledger.last_page_body(URL) is None
    cap = _capture(ledger, run)
    assert cap.outcome == "ok" and cap.sha256
    prev = ledger.previous_capture(URL)
    assert prev["id"] == cap.id and prev["etag"] == '"v1"'
    final_url, headers, body = ledger.last_page_body(URL)
    assert (final_url, body) == (URL, PAGE)
    assert headers["Content-Type"].startswith("text/html")
    assert ledger.warc_file and ledger.last_capture(URL)["warc_file"] == ledger.warc_file
    # Nothing stored from it yet: no conditional request may rely on it.
    assert not ledger.stored(URL, "detail") and not ledger.stored(URL + ".pdf", "attachment")


def test_stored_after_the_pipeline_wrote_the_report(ledger):
    from pipelines.extract.document import extract_document
    run = ledger.start_run(["a"])
    cap = _capture(ledger, run)
    ledger.archive.store_document(capture_id=cap.id, source_id="a", url=URL,
                                  doc=extract_document(PAGE, URL, {"content-type": "text/html"}))
    assert ledger.report_archived(URL) and ledger.stored(URL, "detail")
    ledger.touch_report(URL, "2030-01-01T00:00:00.000Z")
    assert q(ledger.path, "SELECT last_seen FROM reports") == [("2030-01-01T00:00:00.000Z",)]
    assert ledger.mark_gone("a", {"http://elsewhere.test/"}) == [URL]


def test_resume_closes_interrupted_runs_and_returns_what_they_fetched(ledger):
    done = ledger.start_run(["a"])
    ledger.finish_run(done, "finished", "finished", {})
    killed = ledger.start_run(["a"])
    _capture(ledger, killed)
    _capture(ledger, killed, url=URL + "?x", outcome="error", body=None)
    now = ledger.start_run(["a"])
    assert ledger.interrupted_runs(now) == [killed]
    runs, urls = ledger.resume(now)
    assert runs == [killed] and urls == {URL}
    assert q(ledger.path, "SELECT status, finish_reason FROM crawl_runs WHERE id = ?", [killed]) == [
        ("interrupted", f"resumed by run {now}")]
    assert ledger.interrupted_runs(now) == []


def test_skip_is_one_row_per_source_url_reason(ledger):
    run = ledger.start_run(["a"])
    ledger.skip(run, "a", URL, "首页", "noise")
    ledger.skip(run, "a", URL, "首页 2", "noise")
    assert q(ledger.path, "SELECT title, reason FROM skipped") == [("首页 2", "noise")]


def test_close_run_marks_gone_only_for_complete_lists_of_a_finished_run(ledger, monkeypatch):
    from archive import figures
    from pipelines.extract.document import extract_document
    refreshed = []
    monkeypatch.setattr(figures, "refresh", lambda path: refreshed.append(path))
    run = ledger.start_run(["a", "b"])
    cap = _capture(ledger, run)
    ledger.archive.store_document(capture_id=cap.id, source_id="a", url=URL,
                                  doc=extract_document(PAGE, URL, {"content-type": "text/html"}))
    aborted = ledger.start_run(["a", "b"])
    assert ledger.close_run(aborted, "aborted", "shutdown", {"x": 1}, {"a": set()}) == []
    gone = ledger.close_run(run, "finished", "finished", {"x": 1}, {"a": set()})
    assert gone == [URL] and refreshed == [ledger.path, ledger.path]
    status, stats = q(ledger.path, "SELECT status, stats FROM crawl_runs WHERE id = ?", [run])[0]
    stats = json.loads(stats)
    assert status == "finished" and stats["x"] == 1 and stats["nianbao/gone"] == 1
    assert stats["nianbao/complete_lists"] == ["a"] and stats["nianbao/incomplete_lists"] == ["b"]


def test_workers_of_a_distributed_run(ledger):
    run = ledger.start_run(["a"])
    ledger.add_worker(run, "w1")
    ledger.add_worker(run, "w2")
    _capture(ledger, run)
    ledger.finish_worker(run, "w1", "finished", "finished", {"nianbao/outcome/ok": 1})
    w1, w2 = ledger.workers(run)
    assert (w1["worker"], w1["status"], w1["stats"]) == ("w1", "finished", {"nianbao/outcome/ok": 1})
    assert w1["warc_file"] == ledger.warc_file
    assert (w2["status"], w2["stats"]) == ("running", {})
