"""The download handler starts Playwright (its node driver, then Chromium) only when a request
asks for the browser, and once for both schemes; every other request is plain Scrapy HTTP."""
from __future__ import annotations

import psutil
import pytest

from farm import Farm
from tests.crawl_helpers import crawl, last_run_stats, q, write_registry

pytestmark = pytest.mark.slow


def _crawl(tmp_path, ids, *args):
    with Farm(port=0) as farm:
        sources = [dict(s, render="auto") for s in farm.sources() if s["id"] in ids]
        assert {s["id"] for s in sources} == set(ids)
        db = tmp_path / "archive.db"
        crawl(db, write_registry(tmp_path / "r.yml", sources), *args)
        return db, last_run_stats(db)


def test_no_browser_for_static_portals(tmp_path):
    """No Playwright node driver and no Chromium in the crawl's process tree, sampled while it runs;
    and no process of the tree listens on a port (Scrapy's remote control runs Python sent to it)."""
    import subprocess
    import time

    from tests.crawl_helpers import FAST, NIANBAO, ROOT
    with Farm(port=0) as farm:
        sources = [dict(s, render="auto") for s in farm.sources() if s["id"] == "farm-trs"]
        db = tmp_path / "archive.db"
        proc = subprocess.Popen(NIANBAO + ["crawl", "--db", str(db), "--registry",
                                           str(write_registry(tmp_path / "r.yml", sources)),
                                           "--log-level", "WARNING", *FAST], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen: set[str] = set()
        listening: set = set()
        tree = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                for p in [tree, *tree.children(recursive=True)]:
                    listening |= {c.laddr for c in p.net_connections("inet") if c.status == psutil.CONN_LISTEN}
                for ch in tree.children(recursive=True):
                    seen.add(" ".join(ch.cmdline()[:2]))
            except psutil.Error:
                pass
            time.sleep(0.1)
        assert proc.returncode == 0
    assert seen, "no extraction worker was ever seen: the sampling did not work"
    assert not [c for c in seen if "node" in c or "playwright" in c or "chrom" in c], seen
    assert not listening, listening
    stats = last_run_stats(db)
    assert q(db, "SELECT COUNT(*) FROM reports")[0][0] > 0
    assert q(db, "SELECT COUNT(*) FROM captures WHERE rendered = 1") == [(0,)]
    assert "nianbao/browser_handler_started" not in stats
    assert not any(k.startswith("playwright/") for k in stats), sorted(k for k in stats if "playwright" in k)


def test_browser_started_once_when_a_page_needs_it(tmp_path):
    # Without its adapter, farm-gd lists only through JavaScript: render=auto turns the browser
    # on for its list page (tests/test_crawl_render.py).
    db, stats = _crawl(tmp_path, ("farm-gd", "farm-trs"), "-s", "NIANBAO_DISABLE_ADAPTERS=gkmlpt,trs")
    assert q(db, "SELECT COUNT(*) FROM captures WHERE rendered = 1")[0][0] >= 1
    assert stats["nianbao/browser_handler_started"] == 1
    assert stats["playwright/browser_count"] == 1
