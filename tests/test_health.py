"""Source health (archive/health.py) and alerts, on real crawls of two small farm columns.

The same archive is crawled again and again; between runs one farm switch is flipped on column A
(B is left alone): its column empties, a WAF blocks its host, its host resets every connection,
then everything is mended. Each run must give A the right status, B `ok`, a non-zero exit code
(0 for the healthy runs) and a webhook POST that names A (and not B) among the unhealthy sources.
The rules themselves are also checked one by one on hand-made captures (no crawl).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive import health
from archive.ledger import Ledger
from farm import Farm
from tests.crawl_helpers import NIANBAO, ROOT, crawl, q, write_registry

A, B = "farm-trs-shtml", "farm-trs-htm"
HOST_A = "www.trs-shtml.gov.cn.test"


class Hook:
    """A webhook on 127.0.0.1 that keeps every JSON body POSTed to it."""

    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.bodies.append(json.loads(data))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- crawls with the switches
STEPS = ("baseline", "empty", "blocked", "unreachable", "mended")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health")
    hook = Hook()
    out = {"hook": hook}
    with Farm(port=0) as farm:
        srcs = [s for s in farm.sources(variants=True) if s["id"] in (A, B)]
        registry = write_registry(tmp / "reg.yml", srcs)
        db = out["db"] = tmp / "archive.db"
        switches = {"empty": lambda on: farm.set_empty_column(A, on),
                    "blocked": lambda on: farm.set_blocked(A, on),
                    "unreachable": lambda on: farm.set_unreachable(HOST_A, on)}
        try:
            for step in STEPS:
                if step in switches:
                    switches[step](True)
                try:
                    before = len(hook.bodies)
                    proc = crawl(db, registry, "--notify", hook.url, check=False)
                    run_id = q(db, "SELECT MAX(id) FROM crawl_runs")[0][0]
                    out[step] = {"proc": proc, "run": run_id, "posts": hook.bodies[before:],
                                 "health": {s: (st, json.loads(d)) for s, st, d in q(
                                     db, "SELECT source_id, status, detail FROM source_health WHERE run_id = ?",
                                     [run_id])}}
                finally:
                    if step in switches:
                        switches[step](False)
        finally:
            hook.close()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("step,status", [("baseline", "ok"), ("empty", "empty"), ("blocked", "blocked"),
                                         ("unreachable", "unreachable"), ("mended", "ok")])
def test_each_switch_gives_its_status_exit_code_and_alert(runs, step, status):
    r = runs[step]
    assert r["health"][A][0] == status, r["health"][A]
    assert r["health"][B][0] == "ok", r["health"][B]
    assert r["proc"].returncode == (0 if status == "ok" else 1), r["proc"].stdout + r["proc"].stderr[-3000:]
    if status != "ok":
        assert f"{A} {status}" in r["proc"].stdout          # the verdict line names it
    (post,) = r["posts"]                                     # one POST per run, healthy or not
    assert post["schema"] == "nianbao.run-summary/1" and post["run"]["id"] == r["run"]
    assert post["exit_code"] == r["proc"].returncode
    named = {u["source_id"]: u["status"] for u in post["unhealthy"]}
    assert named == ({} if status == "ok" else {A: status})
    assert post["counts"]["unhealthy"] == len(named)


@pytest.mark.slow
def test_alert_carries_findings_and_recovery(runs):
    base = runs["baseline"]["posts"][0]
    assert base["counts"]["new_reports"] >= 20 and base["findings"]["new_reports"][0]["url"].startswith("http://")
    # the baseline has reports whose checks fail by design (farm specs with breaks)
    assert base["counts"]["new_failing_checks"] == len(base["findings"]["new_failing_checks"]) > 0
    empty = runs["empty"]["posts"][0]
    assert empty["counts"]["new_reports"] == 0 and empty["counts"]["new_failing_checks"] == 0
    assert "lists no item" in empty["unhealthy"][0]["why"]
    blocked = runs["blocked"]["posts"][0]["unhealthy"][0]
    assert blocked["detail"]["failures"].get("blocked", 0) >= 1
    assert runs["mended"]["posts"][0]["recovered"] == [A]


@pytest.mark.slow
def test_sources_health_command(runs):
    import subprocess
    proc = subprocess.run(NIANBAO + ["sources", "health", "--db", str(runs["db"]), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {r["source_id"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {A, B}
    assert rows[A]["status"] == "ok" and rows[A]["previous_status"] == "unreachable"
    assert rows[A]["run_id"] == runs["mended"]["run"]
    text = subprocess.run(NIANBAO + ["sources", "health", "--db", str(runs["db"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=120).stdout
    assert f"{A}" in text and "(was unreachable)" in text


# ---------------------------------------------------------------- the rules, on hand-made captures
@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "archive.db", tmp_path / "warc")
    led.sync_sources([{"id": "a", "name": "A", "url": "http://a.test/"}])
    yield led
    led.close()


def _cap(led, run, url, role="detail", status=200, outcome="ok", error=None):
    led.add_capture(run_id=run, source_id="a", url=url, status=status, role=role, outcome=outcome, error=error,
                    headers=[("Content-Type", "text/html")], body=b"<html></html>" if outcome == "ok" else None)


def _figures(found, expected=None, unprinted=0, short=(), capped=False):
    return {"nianbao/lists/a": {"expected": found if expected is None else expected, "found": found, "lists": 1,
                                "unprinted": unprinted, "short": list(short), "capped": capped}}


def _judge(led, captures, stats, complete=True):
    run = led.start_run(["a"])
    for c in captures:
        _cap(led, run, c[0], **(c[1] if len(c) > 1 else {}))
    led.close_run(run, "finished", "finished", stats, {"a": set()} if complete else {})
    (status, detail), = q(led.path, "SELECT status, detail FROM source_health WHERE run_id = ?", [run])
    return status, json.loads(detail)


LIST = ("http://a.test/", {"role": "list"})


def test_rules_one_by_one(ledger, monkeypatch):
    from archive import figures
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    details = [(f"http://a.test/{i}.html",) for i in range(20)]
    assert _judge(ledger, [LIST, *details], _figures(20))[0] == "ok"
    # a list that prints 20 but showed 12
    assert _judge(ledger, [LIST], _figures(12, expected=20), complete=False)[0] == "incomplete"
    # nothing read where 12 were read before, and nothing printed: the adapter no longer fits
    status, detail = _judge(ledger, [LIST], _figures(0, unprinted=1))
    assert status == "changed_structure" and "last run read 12" in detail["why"]
    # the list prints its size, but nothing could be read from it
    assert _judge(ledger, [LIST], _figures(0, expected=20))[0] == "changed_structure"
    # the column itself says it is empty (a printed 0)
    assert _judge(ledger, [LIST], _figures(0, expected=0))[0] == "empty"
    # 17 after 20 (items compare with the newest run that read a list: 0 here, then 20)
    assert _judge(ledger, [LIST, *details], _figures(20))[0] == "ok"
    assert _judge(ledger, [LIST, *details[:17]], _figures(17))[0] == "shrunk"
    # a retried request that answered in the end is no failure; six dead files out of 20 are
    flaky = [("http://a.test/x.pdf", {"role": "attachment", "status": None, "outcome": "error", "error": "reset"}),
             ("http://a.test/x.pdf", {"role": "attachment"})]
    assert _judge(ledger, [LIST, *details, *flaky], _figures(20))[0] == "ok"
    dead = [(f"http://a.test/{i}.pdf", {"role": "attachment", "status": 404, "outcome": "error"}) for i in range(6)]
    status, detail = _judge(ledger, [LIST, *details[:14], *dead], _figures(20))
    assert status == "errors" and detail["failures"] == {"http_error": 6}
    # the list page: robots, a WAF, a dead host, an HTTP error
    robots = [("http://a.test/", {"role": "list", "status": None, "outcome": "robots_denied"})]
    assert _judge(ledger, robots, {}, complete=False)[0] == "robots_denied"
    waf = [("http://a.test/", {"role": "list", "status": 403, "outcome": "blocked", "error": "blocked: wangfang_403"})]
    assert _judge(ledger, waf, {}, complete=False)[0] == "blocked"
    dead_host = [("http://a.test/", {"role": "list", "status": None, "outcome": "error",
                                     "error": "ConnectionRefusedError"})]
    status, detail = _judge(ledger, dead_host, {}, complete=False)
    assert status == "unreachable" and "network error" in detail["why"]
    assert _judge(ledger, [], {}, complete=False)[0] == "unreachable"
    # a detail page behind a WAF, the list fine
    blocked_detail = [("http://a.test/1.html", {"status": 412, "outcome": "blocked"})]
    assert _judge(ledger, [LIST, *blocked_detail], _figures(20))[0] == "blocked"


def test_an_aborted_run_is_not_judged(ledger, monkeypatch):
    from archive import figures
    monkeypatch.setattr(figures, "refresh", lambda path: None)
    run = ledger.start_run(["a"])
    ledger.close_run(run, "aborted", "shutdown", {}, {})
    assert q(ledger.path, "SELECT COUNT(*) FROM source_health")[0][0] == 0
    assert health.assess(ledger._db.conn, run)[0].status == "unreachable"   # judged on demand all the same
