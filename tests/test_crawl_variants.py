"""The farm's opt-in sources in one polite crawl: every TRS template variant (shtml, htm, one-based
and Chongqing pagers, old table layout, GBK, hex ids, a stale page count ending in a soft 404, a
detail behind 网防), the Hanweb legacy proxy alias, the ylcms leaf directory, and the sources that
sit behind an anti-bot wall. Ground truth is the farm's manifest(variants=True)."""
from __future__ import annotations

import pytest

from farm import Farm
from tests.crawl_helpers import crawl, last_run_stats, q, report_by_url, write_registry

pytestmark = pytest.mark.slow

TRS_VARIANTS = ("shtml", "htm", "onebased", "chongqing", "table", "gbk", "hexids", "soft404", "waf")


@pytest.fixture(scope="module")
def extra_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("variants")
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources(variants=True, blocked=True) if s.get("expect")]
        manifest = farm.manifest(variants=True)
        registry = write_registry(tmp / "extra.yml", sources)
        db = tmp / "archive.db"
        crawl(db, registry, incomplete=True)   # three blocked sources
        ids = {s["id"] for s in sources}
        yield {"db": db, "sources": sources, "ids": ids, "manifest": manifest,
               "variants": {s["id"] for s in sources if s["expect"] == "variant"},
               "walled": {s["id"] for s in sources if s["expect"] == "blocked"}}


def _outcomes(db) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for url, outcome in q(db, "SELECT url, outcome FROM captures"):
        out.setdefault(url, set()).add(outcome)
    return out


def test_every_opt_in_source_is_crawled(extra_run):
    assert {f"farm-trs-{v}" for v in TRS_VARIANTS} | {"farm-hw-alias", "farm-yl-leaf"} <= extra_run["variants"]
    assert {"farm-blocked-jsl", "farm-blocked-ruishu", "farm-blocked-wangfang"} <= extra_run["walled"]
    # ran to its end; the three walled sources make it partial
    assert q(extra_run["db"], "SELECT status FROM crawl_runs") == [("partial",)]


def test_every_variant_report_archived(extra_run):
    got = report_by_url(extra_run["db"])
    reports = [r for r in extra_run["manifest"]["reports"] if r["portal"] in extra_run["variants"]]
    per_portal = {pid: [r for r in reports if r["portal"] == pid] for pid in extra_run["variants"]}
    assert all(per_portal.values()), {k for k, v in per_portal.items() if not v}
    wrong = [(r["url"], got.get(r["url"]), (r["agency"], r["report_year"], r["kind"])) for r in reports
             if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])]
    assert wrong == []
    # nothing else became a report: no noise, no soft 404, no blocked page
    known = {r["url"] for r in reports}
    assert {u for (u,) in q(extra_run["db"], "SELECT url FROM reports")} - known == set()


def test_every_variant_attachment_archived(extra_run):
    atts = dict(q(extra_run["db"], "SELECT url, sha256 FROM attachments"))
    expected = [a for r in extra_run["manifest"]["reports"] if r["portal"] in extra_run["variants"]
                for a in r["attachments"]]
    assert expected
    assert [a["url"] for a in expected if atts.get(a["url"]) != a["sha256"]] == []


def test_noise_skipped(extra_run):
    noise = [n for n in extra_run["manifest"]["noise"] if n["portal"] in extra_run["variants"]]
    assert noise
    skipped = {u for (u,) in q(extra_run["db"], "SELECT url FROM skipped WHERE reason = 'noise'")}
    assert {n["url"] for n in noise} - skipped == set()


def test_blocked_urls_are_blocked(extra_run):
    db, m = extra_run["db"], extra_run["manifest"]
    outcomes = _outcomes(db)
    blocked = [b for b in m["blocked"] if b["portal"] in extra_run["ids"] and b["mode"] != "throttle"]
    assert {b["portal"] for b in blocked} >= extra_run["walled"] | {"farm-trs-waf"}
    assert [(b["url"], outcomes.get(b["url"])) for b in blocked if outcomes.get(b["url"]) != {"blocked"}] == []
    errors = dict(q(db, "SELECT url, error FROM captures WHERE outcome = 'blocked'"))
    assert all(errors[b["url"]] == f"blocked: {b['mode']}" for b in blocked)
    marked = {sid for (sid,) in q(db, "SELECT id FROM sources WHERE blocked_at IS NOT NULL")}
    assert extra_run["walled"] | {"farm-trs-waf"} <= marked
    # a wall in front of one detail page does not stop the rest of that list
    assert "farm-trs-waf" in last_run_stats(db)["nianbao/complete_lists"]


def test_broken_urls_are_errors(extra_run):
    db, m = extra_run["db"], extra_run["manifest"]
    outcomes = _outcomes(db)
    broken = [b for b in m["broken"] if b["portal"] in extra_run["ids"]]
    assert {b["reason"] for b in broken} >= {"soft_404"}
    assert [(b["url"], outcomes.get(b["url"])) for b in broken if outcomes.get(b["url"]) != {"error"}] == []
    errors = dict(q(db, "SELECT url, error FROM captures WHERE outcome = 'error'"))
    for b in broken:
        if b["reason"] == "soft_404":
            assert errors[b["url"]].startswith("soft 404"), errors[b["url"]]


def test_stale_page_count_soft_404(extra_run):
    """The stale pager advertises one page too many; that page is a 200 "页面不存在": an error in
    the list (never an empty last page), so the list cannot prove any report gone."""
    db, m = extra_run["db"], extra_run["manifest"]
    (url,) = [b["url"] for b in m["broken"] if b["portal"] == "farm-trs-soft404"]
    rows = q(db, "SELECT role, status, outcome, error FROM captures WHERE url = ?", [url])
    assert rows == [("list", 200, "error", "soft 404: HTTP 200 page says “您访问的页面不存在或已被删除”")]
    stats = last_run_stats(db)
    assert "farm-trs-soft404" in stats["nianbao/incomplete_lists"]
    # every real list page of the variant was read
    pages = set(m["list_pages"]["farm-trs-soft404"])
    read = {u for (u,) in q(db, "SELECT url FROM captures WHERE role = 'list' AND outcome = 'ok'")}
    assert pages and pages <= read


def test_gbk_variant_read_as_gbk(extra_run):
    rows = q(extra_run["db"], "SELECT title FROM reports WHERE source_id = 'farm-trs-gbk'")
    assert rows
    assert [t for (t,) in rows if "\ufffd" in (t or "") or "年度报告" not in (t or "")] == []
