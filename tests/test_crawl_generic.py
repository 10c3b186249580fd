"""Every farm portal through the generic path (NIANBAO_DISABLE_ADAPTERS=all, `render: auto`): all of
the manifest's reports, no noise stored as a report, every list complete with what it prints; the
browser only for the pages that need it; the XHR answers of a rendered list kept with their
requests; a list API walked by replay, a pager walked by clicks; a broken page 3 makes its source
incomplete with expected/found counts and the crawl exit non-zero. Real subprocess crawls, real
Chromium (crawler/browser.py)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler import browser
from farm import Farm
from tests.crawl_helpers import crawl, last_run_stats, q, report_by_url, write_registry

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not browser.available(), reason="Debian chromium not installed")]

OFF = ("-s", "NIANBAO_DISABLE_ADAPTERS=all")
JS_SHELLS = ("farm-ep", "farm-gd", "farm-hn", "farm-hw-prov-jpaas", "farm-hw-prov-truecms")


def sources(farm, only=None):
    out = []
    for s in farm.sources(generic=True):
        if only is None or s["id"] in only:
            s = dict(s, render="auto")
            s.pop("platform", None)
            out.append(s)
    return out


@pytest.fixture(scope="module")
def farm():
    with Farm(port=0) as f:
        yield f


@pytest.fixture(scope="module")
def generic_run(farm, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("generic")
    srcs = sources(farm)
    registry = write_registry(tmp / "all.yml", srcs)
    db = tmp / "archive.db"
    proc = crawl(db, registry, *OFF)          # exit 0: every source complete and healthy
    return {"db": db, "sources": {s["id"]: s for s in srcs}, "manifest": farm.manifest(generic=True), "proc": proc}


def test_every_report_and_no_noise(generic_run):
    m, db = generic_run["manifest"], generic_run["db"]
    got = report_by_url(db)
    for pid in generic_run["sources"]:
        expected = [r for r in m["reports"] if r["portal"] == pid]
        assert expected, pid
        wrong = [r["url"] for r in expected if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])]
        assert wrong == [], pid
    assert [n["url"] for n in m["noise"] if n["url"] in got] == []
    stats = last_run_stats(db)
    assert not [k for k in stats if k.startswith("nianbao/adapter/") and k not in (
        "nianbao/adapter/generic", "nianbao/adapter/listapi")]


def test_attachment_only_report_with_a_dead_file_is_kept(generic_run):
    """UCAP's attachment-only report whose PDF answers 404: a detail (not a sub-column), archived,
    with the file's failed capture recorded against it."""
    m, db = generic_run["manifest"], generic_run["db"]
    (dead,) = [b for b in m["broken"] if b["portal"] == "farm-kp"]
    rows = q(db, "SELECT outcome, status, role, referer FROM captures WHERE url = ?", [dead["url"]])
    assert rows and all(r[:3] == ("error", 404, "attachment") for r in rows), rows
    owner = rows[0][3]
    got = report_by_url(db)
    assert got[owner][2] == "attachment_only"
    assert [r for r in m["reports"] if r["url"] == owner][0]["kind"] == "attachment_only"


def test_every_list_complete(generic_run):
    stats = last_run_stats(generic_run["db"])
    assert stats["nianbao/incomplete_lists"] == []
    assert sorted(stats["nianbao/complete_lists"]) == sorted(generic_run["sources"])
    for sid in generic_run["sources"]:
        fig = stats[f"nianbao/lists/{sid}"]
        assert fig["short"] == [] and not fig["capped"] and fig["found"] >= fig["expected"] > 0, (sid, fig)
    # The new families print their totals and the generic path reads them (noise included).
    for sid in ("farm-ep", "farm-jsp"):
        fig = stats[f"nianbao/lists/{sid}"]
        assert fig == {**fig, "expected": 44, "found": 44, "unprinted": 0}, (sid, fig)


def test_browser_share_is_small(generic_run):
    db = generic_run["db"]
    rendered = dict(q(db, "SELECT source_id, COUNT(*) FROM captures WHERE rendered = 1 GROUP BY source_id"))
    pages = dict(q(db, "SELECT source_id, COUNT(*) FROM captures WHERE role IN ('list', 'api') AND rendered = 0"
                       " GROUP BY source_id"))
    for sid in JS_SHELLS:
        assert rendered.get(sid) == 1, (sid, rendered)          # page 1 only, the rest over plain HTTP
    static = set(generic_run["sources"]) - set(JS_SHELLS) - {"farm-hw-county"}
    assert not static & set(rendered), rendered
    # a Hanweb county whose year sub-columns hold a JS pager: one sub-column needs the browser
    assert rendered.get("farm-hw-county", 0) <= 1
    assert sum(rendered.values()) <= len(JS_SHELLS) + 1 < sum(pages.values()) / 5


def test_list_api_replayed_over_http_and_kept_with_its_requests(generic_run):
    db = generic_run["db"]
    api = "/EWB-FRONT/rest/lightfrontaction/getgovinfolist"
    rows = q(db, "SELECT role, method, rendered, outcome, warc_file, warc_offset, warc_record_id FROM captures"
                 " WHERE source_id = 'farm-ep' AND url LIKE ? ORDER BY id", [f"%{api}"])
    roles = [r[0] for r in rows]
    assert roles == ["xhr"] + ["api"] * 4, roles          # page 1 by the browser, pages 2–5 replayed
    assert all(r[1] == "POST" and r[2] == 0 and r[3] == "ok" for r in rows)
    role, _, _, _, wfile, offset, rec_id = rows[0]
    warc = Path(generic_run["db"]).parent / "warc" / wfile
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.rec_headers.get_header("WARC-Concurrent-To"),
                r.http_headers.protocol if r.http_headers else None, r.content_stream().read())
               for r in ArchiveIterator(io.BytesIO(warc.read_bytes()))]
    resp = next(r for r in records if r[1] == rec_id)
    assert resp[0] == "response" and json.loads(resp[4])["custom"]["total"] == 44
    req = next(r for r in records if r[0] == "request" and r[2] == rec_id)
    body = json.loads(req[4])
    assert json.loads(body["params"])["pageIndex"] == 0 and req[3] == "POST"
    stats = last_run_stats(db)
    assert stats["nianbao/list_api_learned"] >= 1 and stats["nianbao/xhr_captures"] >= 1


def test_pager_clicked_when_the_api_is_not_replayed(farm, tmp_path):
    """With replays off the Epoint list is walked by clicking its javascript:; pager; every page's
    DOM is a capture, and the list is complete."""
    registry = write_registry(tmp_path / "ep.yml", sources(farm, {"farm-ep"}))
    db = tmp_path / "ep.db"
    crawl(db, registry, *OFF, "-s", "NIANBAO_REPLAY_LIST_API=False")
    m = farm.manifest(generic=True)
    got = report_by_url(db)
    assert {r["url"] for r in m["reports"] if r["portal"] == "farm-ep"} <= set(got)
    urls = [u for (u,) in q(db, "SELECT url FROM captures WHERE rendered = 1 ORDER BY id")]
    assert len(urls) == 5 and [u.rsplit("#", 1)[-1] for u in urls[1:]] == [f"nianbao-page={k}" for k in range(2, 6)]
    stats = last_run_stats(db)
    assert stats["nianbao/browser_pager_clicks"] == 4 and stats["nianbao/incomplete_lists"] == []
    assert stats["nianbao/lists/farm-ep"]["expected"] == stats["nianbao/lists/farm-ep"]["found"] == 44


@pytest.mark.parametrize("pid,mode,found", [("farm-ep", "500", 10), ("farm-ep", "empty", 10), ("farm-jsp", "500", 34)])
def test_broken_page_three_is_incomplete(farm, tmp_path, pid, mode, found):
    """farm-ep: its third list page (the shell, then API pageIndex 0, 1…) is the API call for the
    list's page 2: it answers 500, so the walk stops at 10 of 44; farm-jsp: page 3
    answers 500 but the pager reaches pages 4 and 5 (34 of 44). An "empty" page (200, no items, the
    total still printed) is the silent case. Every time: incomplete, exit 1."""
    registry = write_registry(tmp_path / "b.yml", sources(farm, {pid}))
    db = tmp_path / "b.db"
    farm.set_broken_page(pid, 3, mode)
    try:
        proc = crawl(db, registry, *OFF, incomplete=True)
    finally:
        farm.set_broken_page(pid, 0)
    assert proc.returncode == 1
    stats = last_run_stats(db)
    assert stats["nianbao/incomplete_lists"] == [pid]
    fig = stats[f"nianbao/lists/{pid}"]
    assert (fig["expected"], fig["found"]) == (44, found), fig
    (status,), = q(db, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert status == "partial"


def test_adapters_on_the_same(farm, tmp_path):
    """The same registry with the family adapters on: every report, no noise, every list complete,
    and the browser only for the one family no adapter reads (Epoint's JS shell)."""
    srcs = sources(farm)
    registry = write_registry(tmp_path / "on.yml", srcs)
    db = tmp_path / "on.db"
    crawl(db, registry)
    m = farm.manifest(generic=True)
    got = report_by_url(db)
    assert [r["url"] for r in m["reports"] if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])] == []
    assert [n["url"] for n in m["noise"] if n["url"] in got] == []
    stats = last_run_stats(db)
    assert stats["nianbao/incomplete_lists"] == [] and sorted(stats["nianbao/complete_lists"]) == sorted(s["id"] for s in srcs)
    assert dict(q(db, "SELECT source_id, COUNT(*) FROM captures WHERE rendered = 1 GROUP BY source_id")) == {"farm-ep": 1}
