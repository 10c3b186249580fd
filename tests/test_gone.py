""""Gone" needs evidence (docs/archive.md, "Gone"), on real crawls of the farm's GBK TRS county.

1. A normal crawl archives the column.
2. Twice, its list pages come as GBK bytes declared UTF-8 (`TrsPortal.list_charset_lie`): the list
   reads as complete but shows no report. Nothing is marked gone, nothing counts as missing, and
   the run says why (`nianbao/gone_suspicious/<source>`).
3. The list is readable again and one report is deleted (its URL answers 404): the spider asks for
   it again, and that 404 marks it gone in this one run; every other report stays.
"""
from __future__ import annotations

import pytest

from farm import Farm
from tests.crawl_helpers import crawl, last_run_stats, q, write_registry

pytestmark = pytest.mark.slow

HOST = "www.trs-gbk.gov.cn.test"
SOURCE = "farm-trs-gbk"


def _state(db) -> dict[str, tuple]:
    return {u: (g, m) for u, g, m in q(db, "SELECT url, gone_at, missing_since FROM reports")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gone")
    out = {}
    with Farm(port=0) as farm:
        portal = farm.by_host[HOST]
        registry = write_registry(tmp / "gbk.yml", portal.sources())
        db = out["db"] = tmp / "archive.db"
        crawl(db, registry)
        out["first"] = _state(db)
        portal.list_charset_lie = True
        try:
            for step in ("lie1", "lie2"):
                out[step + "_proc"] = crawl(db, registry, check=False)
                out[step] = (_state(db), last_run_stats(db))
        finally:
            portal.list_charset_lie = False
        victim = next(e for e in portal.live() if e.kind == "report" and e.report_year == 2021)
        out["deleted"] = portal.base() + portal.detail_path(victim)
        victim.deleted = True
        farm.set_edition(1)
        try:
            crawl(db, registry)
        finally:
            farm.set_edition(0)
            victim.deleted = False
        out["after_delete"] = (_state(db), last_run_stats(db))
        (out["run_delete"],), = q(db, "SELECT MAX(id) FROM crawl_runs")
    return out


def test_the_first_crawl_archives_the_column(runs):
    assert len(runs["first"]) >= 20
    assert set(runs["first"].values()) == {(None, None)}


@pytest.mark.parametrize("step", ["lie1", "lie2"])
def test_a_list_read_with_the_wrong_charset_marks_nothing_gone(runs, step):
    state, stats = runs[step]
    assert state == runs["first"]                      # no gone_at, no missing_since
    assert stats["nianbao/gone"] == 0
    assert SOURCE in stats["nianbao/complete_lists"]   # the list did read as complete
    why = stats[f"nianbao/gone_suspicious/{SOURCE}"]
    assert why.startswith(f"the list shows 0 of {len(runs['first'])} known reports")
    assert f"source {SOURCE}: the list shows 0 of" in runs[step + "_proc"].stderr
    # nothing worth asking again: such a list is not believed anyway
    assert "nianbao/gone_rechecks" not in stats


def test_a_deleted_report_is_gone_by_its_own_404(runs):
    state, stats = runs["after_delete"]
    deleted, db = runs["deleted"], runs["db"]
    assert stats["nianbao/gone"] == 1 and stats["nianbao/gone_rechecks"] == 1
    assert not any(k.startswith("nianbao/gone_suspicious") for k in stats)
    assert state[deleted][0] is not None
    assert {u: s for u, s in state.items() if u != deleted} == {
        u: s for u, s in runs["first"].items() if u != deleted}
    assert q(db, "SELECT status FROM captures WHERE run_id = ? AND url = ? AND role = 'detail'",
             [runs["run_delete"], deleted]) == [(404,)]
