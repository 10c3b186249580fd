"""Alerts after a crawl (cli/notify.py): the registry's `notify:` setting, --notify/--notify-cmd,
the run summary's findings, and a failed delivery that leaves the crawl's exit code alone.

Three crawls of one small farm column: (1) the registry names a webhook and a command: both get
the same summary, its new reports among them; (2) one report is edited and another withdrawn:
the summary says which changed and which vanished (its URL answers 404); (3) the webhook is down and the command fails:
the crawl still exits 0 (it was healthy) and says on stderr that the alert did not go out.
"""
from __future__ import annotations

import json
import socket
import sys

import pytest

from crawler import registry as reg
from farm import Farm
from tests.crawl_helpers import crawl, write_registry
from tests.test_health import Hook

SOURCE = "farm-trs-htm"


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nobody listens there now: connection refused
    return port


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notify")
    hook = Hook()
    got = tmp / "stdin.json"
    cmd = f"{sys.executable} -c \"import sys, pathlib; pathlib.Path(sys.argv[1]).write_bytes(sys.stdin.buffer.read())\" {got}"
    out = {}
    try:
        with Farm(port=0) as farm:
            portal = farm.by_host["www.trs-htm.gov.cn.test"]
            srcs = [s for s in farm.sources(variants=True) if s["id"] == SOURCE]
            registry = write_registry(tmp / "reg.yml", srcs)
            with registry.open("a", encoding="utf-8") as fh:   # the registry-level setting
                fh.write(f"notify:\n  url: {hook.url}\n  cmd: '{cmd}'\n")
            db = tmp / "archive.db"
            out["first"] = (crawl(db, registry), list(hook.bodies), json.loads(got.read_text("utf-8")))
            reports = [e for e in portal.live() if e.kind == "report" and e.report_year == 2021]
            edited, withdrawn = reports[0], reports[1]
            out["edited_agency"], out["withdrawn_agency"] = edited.agency, withdrawn.agency
            edited.edited = True
            farm.set_edition(1)
            farm.set_withheld(SOURCE, [withdrawn.agency], 2021)
            before = len(hook.bodies)
            out["second"] = (crawl(db, registry, "--notify", hook.url), hook.bodies[before:])
            before = len(hook.bodies)
            out["third"] = (crawl(db, registry, "--notify", f"http://127.0.0.1:{_dead_port()}/hook",
                                  "--notify-cmd", f"{sys.executable} -c 'import sys; sys.exit(3)'", check=False),
                            hook.bodies[before:])
    finally:
        hook.close()
    return out


def test_the_registry_setting_sends_to_the_webhook_and_the_command(runs):
    proc, posts, piped = runs["first"]
    assert proc.returncode == 0
    (post,) = posts
    assert post == piped                                   # the same JSON on the command's stdin
    assert post["exit_code"] == 0 and post["verdict"].startswith("run 1 finished")
    assert post["unhealthy"] == [] and post["counts"]["sources"] == 1
    assert post["counts"]["new_reports"] == len(post["findings"]["new_reports"]) >= 20
    assert post["findings"]["changed_reports"] == [] and post["findings"]["vanished_reports"] == []


def test_the_summary_names_changed_and_vanished_reports(runs):
    proc, (post,) = runs["second"]
    assert proc.returncode == 0
    changed = post["findings"]["changed_reports"]
    vanished = post["findings"]["vanished_reports"]
    assert [(r["agency"], r["report_year"]) for r in changed] == [(runs["edited_agency"], 2021)]
    assert [(r["agency"], r["report_year"]) for r in vanished] == [(runs["withdrawn_agency"], 2021)]
    # its own URL answered 404 when asked again: gone in this one run (docs/archive.md, "Gone")
    assert vanished[0]["gone_at"] is not None and vanished[0]["gone_at"] >= post["run"]["started_at"]
    assert post["counts"]["new_reports"] == 0


def test_a_failed_alert_leaves_the_exit_code_alone(runs):
    proc, posts = runs["third"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert posts == []                                      # nothing reached the live hook either
    lines = [ln for ln in proc.stderr.splitlines() if "notify failed" in ln]
    assert len(lines) == 2, proc.stderr[-2000:]
    assert any("webhook" in ln and "Connection refused" in ln for ln in lines)
    assert any("exit code 3" in ln for ln in lines)


def test_the_registry_notify_key_is_checked(tmp_path):
    src = "sources:\n- {id: a, name: A, url: 'http://a.example/'}\n"
    cases = {"notify: 12\n": "must be a webhook URL",
             "notify: ftp://x/\n": "http:// or https://",
             "notify: {urll: 'http://x/'}\n": "did you mean url?",
             "notify: {cmd: ''}\n": "non-empty command",
             "notifi: 'http://x/'\n": "did you mean notify?"}
    for text, msg in cases.items():
        p = tmp_path / "r.yml"
        p.write_text(src + text, encoding="utf-8")
        with pytest.raises(reg.RegistryError, match=msg.replace("?", r"\?")):
            reg.load(p)
    p.write_text(src + "notify: https://hooks.example.org/x\n", encoding="utf-8")
    assert [s.id for s in reg.load(p)] == ["a"]
    assert reg.load_notify(p) == {"url": "https://hooks.example.org/x"}
    p.write_text(src, encoding="utf-8")
    assert reg.load_notify(p) == {}
