"""JS-only lists and CMSs without an adapter: with the family adapters switched off, the generic
fallback must still walk the farm's lists — statically where HTML carries the list (TRS pager
script), through Chromium (`render: auto`) only where nothing is readable without JavaScript."""
from __future__ import annotations

import pytest

from farm import Farm
from tests.crawl_helpers import crawl, last_run_stats, q, report_by_url, write_registry

pytestmark = pytest.mark.slow

JS_ONLY = ("farm-hw-prov-jpaas", "farm-gd", "farm-hn")
STATIC = ("farm-trs",)


@pytest.fixture(scope="module")
def generic_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    with Farm(port=0) as farm:
        wanted = JS_ONLY + STATIC
        sources = [dict(s, render="auto") for s in farm.sources() if s["id"] in wanted]
        assert {s["id"] for s in sources} == set(wanted)
        registry = write_registry(tmp / "generic.yml", sources)
        db = tmp / "archive.db"
        crawl(db, registry, "-s", "NIANBAO_DISABLE_ADAPTERS=hanweb,gkmlpt,hunan,trs,ylcms")
        yield {"manifest": farm.manifest(), "db": db, "sources": {s["id"]: s for s in sources}}


def test_generic_finds_every_report(generic_run):
    m, db = generic_run["manifest"], generic_run["db"]
    got = report_by_url(db)
    for pid in JS_ONLY + STATIC:
        expected = [r for r in m["reports"] if r["portal"] == pid]
        assert expected, pid
        wrong = [r["url"] for r in expected if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])]
        assert wrong == [], pid
    assert [n["url"] for n in m["noise"] if n["url"] in got] == []
    assert last_run_stats(db).get("nianbao/adapter/trs") is None


def test_browser_only_for_js_lists(generic_run):
    db = generic_run["db"]
    rendered = {u for (u,) in q(db, "SELECT url FROM captures WHERE rendered = 1")}
    roots = {generic_run["sources"][sid]["url"].split("#")[0] for sid in JS_ONLY}
    assert rendered == roots
    # rendered DOMs are WARC resource records beside the original response
    for url in roots:
        kinds = q(db, "SELECT rendered FROM captures WHERE url = ? AND outcome = 'ok' ORDER BY id", [url])
        assert kinds == [(0,), (1,)]
    decisions = dict(q(db, "SELECT id, render_decision FROM sources"))
    assert {decisions[s] for s in JS_ONLY} == {"browser"}
    assert decisions["farm-trs"] == "static"
    stats = last_run_stats(db)
    assert stats["nianbao/rendered_pages"] == len(roots)
