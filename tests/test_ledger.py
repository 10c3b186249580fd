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
    # A list that dropped the source's only report is not believed (docs/archive.md, "Gone").
    assert ledger.mark_gone("a", {"http://elsewhere.test/"}) == []
    assert q(ledger.path, "SELECT gone_at, missing_since FROM reports") == [(None, None)]


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


def _report(ledger, run, url):
    """A stored report of source "a" (PAGE names no agency: every URL is its own report)."""
    from pipelines.extract.document import extract_document
    cap = _capture(ledger, run, url=url)
    ledger.archive.store_document(capture_id=cap.id, source_id="a", url=url,
                                  doc=extract_document(PAGE, url, {"content-type": "text/html"}))


def _urls(n):
    return [f"{URL[:-5]}{i}.html" for i in range(n)]


def _gone_and_missing(ledger):
    return {u: (g is not None, m) for u, g, m in q(ledger.path, "SELECT url, gone_at, missing_since FROM reports")}


def test_close_run_marks_gone_only_for_complete_lists_of_a_finished_run(ledger, monkeypatch):
    from archive import figures
    refreshed = []
    monkeypatch.setattr(figures, "refresh", lambda path: refreshed.append(path))
    kept, dropped = _urls(2)
    first = ledger.start_run(["a", "b"])
    for u in (kept, dropped):
        _report(ledger, first, u)
    run = ledger.start_run(["a", "b"])
    _capture(ledger, run, url=dropped, status=404, outcome="error", body=b"404")   # its own answer
    aborted = ledger.start_run(["a", "b"])
    assert ledger.close_run(aborted, "aborted", "shutdown", {"x": 1}, {"a": {kept}}) == []
    gone = ledger.close_run(run, "finished", "finished", {"x": 1}, {"a": {kept}})
    assert gone == [dropped] and refreshed == [ledger.path, ledger.path]
    status, stats = q(ledger.path, "SELECT status, stats FROM crawl_runs WHERE id = ?", [run])[0]
    stats = json.loads(stats)
    # ran to its end, but source b's list was not complete: the status says partial
    assert status == "partial" and stats["x"] == 1 and stats["nianbao/gone"] == 1
    assert stats["nianbao/complete_lists"] == ["a"] and stats["nianbao/incomplete_lists"] == ["b"]
    assert not any(k.startswith("nianbao/gone_suspicious") for k in stats)


def test_gone_needs_its_own_404_or_two_finished_runs(ledger, monkeypatch):
    from archive import figures
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    *shown, quiet, deleted, elsewhere = urls = _urls(7)
    run1 = ledger.start_run(["a"])
    for u in urls:
        _report(ledger, run1, u)
    run2 = ledger.start_run(["a"])
    listed = set(shown)
    _capture(ledger, run2, url=shown[0], status=304, outcome="not_modified", body=None)
    # what the spider asks again: unlisted and not fetched in this run
    assert ledger.unlisted_reports(run2, "a", listed) == sorted([quiet, deleted, elsewhere])
    _capture(ledger, run2, url=deleted, status=410, outcome="error", body=b"gone")
    _capture(ledger, run2, url=elsewhere, status=404, outcome="error", body=b"404")
    _capture(ledger, run2, url=elsewhere, status=200)   # answered after all: not gone
    assert ledger.unlisted_reports(run2, "a", listed) == [quiet]
    assert ledger.close_run(run2, "finished", "finished", {}, {"a": listed}) == [deleted]
    state = _gone_and_missing(ledger)
    assert state[deleted] == (True, None)
    assert state[quiet] == (False, run2) and state[elsewhere] == (False, run2)
    assert {state[u] for u in shown} == {(False, None)}
    # an aborted run proves nothing; the next finished run without them marks them gone
    aborted = ledger.start_run(["a"])
    assert ledger.close_run(aborted, "aborted", "shutdown", {}, {"a": listed}) == []
    run3 = ledger.start_run(["a"])
    assert ledger.close_run(run3, "finished", "finished", {}, {"a": listed}) == sorted([quiet, elsewhere])
    assert _gone_and_missing(ledger)[quiet] == (True, run2)


def test_a_report_listed_again_is_no_longer_missing(ledger, monkeypatch):
    from archive import figures
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    urls = _urls(4)
    run = ledger.start_run(["a"])
    for u in urls:
        _report(ledger, run, u)
    back = urls[3]
    for listed, missing_since in ((urls[:3], "first"), (urls, None), (urls[:3], "third")):
        rid = ledger.start_run(["a"])
        assert ledger.close_run(rid, "finished", "finished", {}, {"a": set(listed)}) == []
        assert _gone_and_missing(ledger)[back] == (False, rid if missing_since else None)


def test_a_list_that_drops_most_reports_marks_nothing(ledger, monkeypatch, caplog):
    from archive import figures
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    urls = _urls(4)
    run = ledger.start_run(["a"])
    for u in urls:
        _report(ledger, run, u)
    for listed in (set(), {urls[0]}, {"http://www.example.gov.cn.test/new.html"}):
        rid = ledger.start_run(["a"])
        for u in urls:   # even their own 404s: the list is not believed
            _capture(ledger, rid, url=u, status=404, outcome="error", body=b"404")
        assert ledger.unlisted_reports(rid, "a", listed) == []
        with caplog.at_level("WARNING", logger="archive.ledger"):
            assert ledger.close_run(rid, "finished", "finished", {}, {"a": listed}) == []
        stats = json.loads(q(ledger.path, "SELECT stats FROM crawl_runs WHERE id = ?", [rid])[0][0])
        assert stats["nianbao/gone"] == 0
        assert stats["nianbao/gone_suspicious/a"].startswith(f"the list shows {len(listed & set(urls))} of 4")
        assert "source a: the list shows" in caplog.text
        assert set(_gone_and_missing(ledger).values()) == {(False, None)}
    # two of four is not "more than half": missing, not yet gone
    rid = ledger.start_run(["a"])
    assert ledger.close_run(rid, "finished", "finished", {}, {"a": set(urls[:2])}) == []
    assert "nianbao/gone_suspicious/a" not in json.loads(
        q(ledger.path, "SELECT stats FROM crawl_runs WHERE id = ?", [rid])[0][0])
    assert _gone_and_missing(ledger)[urls[3]] == (False, rid)


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


def test_lists_answered_in_a_run(ledger):
    run, other = ledger.start_run(["a", "b"]), ledger.start_run(["a", "b"])
    _capture(ledger, run, url="http://a.test/", role="list")
    _capture(ledger, run, url="http://a.test/api", role="api", status=304, outcome="not_modified", body=None)
    _capture(ledger, run, url="http://b.test/", source_id="b", role="list")
    _capture(ledger, run, url="http://b.test/2", source_id="b", role="list", status=500, outcome="error")
    _capture(ledger, other, url="http://b.test/3", source_id="b", role="list")
    assert ledger.lists_answered(run) == {"a"} and ledger.lists_answered(other) == {"b"}


def test_a_run_is_finished_only_when_it_got_everything(ledger, monkeypatch):
    from archive import figures
    from archive.overview import last_run, run_verdict
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    cases = [({}, {"a"}, "finished", 0),
             ({}, set(), "partial", 1),                                   # a source incomplete
             ({"log_count/ERROR": 2}, {"a"}, "partial", 1),              # items failed
             ({"nianbao/extract_errors/extract_worker_died": 1}, {"a"}, "partial", 1)]
    listed = {"nianbao/lists/a": {"expected": 1, "found": 1, "lists": 1, "unprinted": 0, "short": [], "capped": False}}
    for stats, complete, status, code in cases:
        run = ledger.start_run(["a"])
        _capture(ledger, run, url="http://a.test/list", role="list")   # a healthy source read its list
        ledger.close_run(run, "finished", "finished", {**listed, **stats}, {sid: set() for sid in complete})
        got = last_run(ledger.path)
        assert got["status"] == status, stats
        assert run_verdict(got)[0] == code, stats
    run = ledger.start_run(["a"])
    ledger.close_run(run, "aborted", "shutdown", {}, {"a": set()})
    assert run_verdict(last_run(ledger.path))[0] == 3
