"""Lists a crawl can trust: every list records the items it prints (expected) against the
distinct entries it showed (found), in the run stats `nianbao/lists/<source>`; a shortfall or a
cap makes the source incomplete (exit code 1) and proves nothing gone. Farm crawls as real
subprocesses over a few default portals (crawl-delayed ones left out to stay quick)."""
from __future__ import annotations

import shutil

import pytest

from farm import Farm
from farm.portals import hostile
from tests.crawl_helpers import crawl, last_run_stats, q, write_registry

pytestmark = pytest.mark.slow

# Four families of pager: TRS `dataCount` + createPageHTML, gkmlpt static pages (a page count only),
# Hanweb `totalRecord` with dataproxy windows, truecms JSONP `<totalrecord>`.
SOURCES = ("farm-trs", "farm-gd-zwgk", "farm-hw-county", "farm-hw-prov-truecms")


@pytest.fixture(scope="module")
def farm():
    with Farm(port=0) as f:
        yield f


@pytest.fixture(scope="module")
def clean_run(farm, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lists")
    registry = write_registry(tmp / "farm.yml", [s for s in farm.sources() if s["id"] in SOURCES])
    db = tmp / "archive.db"
    proc = crawl(db, registry)
    return {"db": db, "registry": registry, "tmp": tmp, "proc": proc}


def _listed(farm, sid):
    m = farm.manifest()
    return {r["url"] for r in m["reports"] + m["noise"] if r["portal"] == sid}


def test_every_list_finds_what_it_prints(farm, clean_run):
    stats = last_run_stats(clean_run["db"])
    assert stats["nianbao/incomplete_lists"] == [] and "nianbao/lists_capped" not in stats
    for sid in SOURCES:
        fig = stats[f"nianbao/lists/{sid}"]
        assert fig["expected"] == fig["found"] >= len(_listed(farm, sid)) > 0, (sid, fig)
        assert fig["short"] == [] and fig["capped"] is False and fig["unprinted"] == 0, (sid, fig)


def test_a_broken_page_makes_its_source_incomplete_and_proves_nothing_gone(farm, clean_run):
    db = clean_run["tmp"] / "broken.db"
    shutil.copy(clean_run["db"], db)
    # TRS page 3 answers 200 with no items (only the printed `dataCount` tells); the gkmlpt
    # column's page 2 answers 500 to every retry.
    farm.set_broken_page("farm-trs", 3, "empty")
    farm.set_broken_page("farm-gd-zwgk", 2, "500")
    try:
        proc = crawl(db, clean_run["registry"], incomplete=True)
    finally:
        farm.set_broken_page("farm-trs", 0)
        farm.set_broken_page("farm-gd-zwgk", 0)
    assert proc.returncode == 1 and "incomplete sources: farm-gd-zwgk, farm-trs" in proc.stdout
    stats = last_run_stats(db)
    assert stats["nianbao/incomplete_lists"] == ["farm-gd-zwgk", "farm-trs"]
    trs, gd = stats["nianbao/lists/farm-trs"], stats["nianbao/lists/farm-gd-zwgk"]
    assert trs["expected"] == len(_listed(farm, "farm-trs")) and trs["found"] == trs["expected"] - 20   # a page
    assert gd["found"] < gd["expected"] and gd["short"]
    for sid in ("farm-hw-county", "farm-hw-prov-truecms"):
        fig = stats[f"nianbao/lists/{sid}"]
        assert fig["expected"] == fig["found"] and not fig["short"]
    # The reports of the broken pages were not listed this time, and are not marked gone.
    assert q(db, "SELECT count(*) FROM reports WHERE gone_at IS NOT NULL") == [(0,)]


def test_a_list_claiming_100000000_pages_ends_at_the_cap_with_its_reports(farm, tmp_path):
    registry = write_registry(tmp_path / "hostile.yml", hostile.trs_sources(farm))
    db = tmp_path / "archive.db"
    host = hostile.HOST
    before = len(farm.request_log)
    proc = crawl(db, registry, "-s", "NIANBAO_MAX_LIST_PAGES=30", incomplete=True, timeout=300)
    assert "incomplete sources: farm-hostile-trs" in proc.stdout
    assert {u for (u,) in q(db, "SELECT url FROM reports")} == set(hostile.trs_reports(farm))
    stats = last_run_stats(db)
    fig = stats["nianbao/lists/farm-hostile-trs"]
    assert fig["capped"] and fig["found"] == 3 and fig["expected"] > 10 ** 8 and fig["short"]
    assert stats["nianbao/lists_capped"] == 1 and stats["nianbao/lists_capped/pages"] >= 1
    pages = [r for r in farm.request_log[before:] if r["host"] == host and "/index" in r["path"]]
    assert len(pages) == 30    # the list's first page and 29 more, not 100000000
