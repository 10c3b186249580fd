"""A crawl killed with SIGKILL and started again finishes the work: no duplicate rows, what was
archived is not fetched again, and the SQLite file is intact."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from farm import Farm
from tests.crawl_helpers import FAST, NIANBAO, ROOT, crawl, last_run_stats, q, report_by_url, write_registry

pytestmark = pytest.mark.slow


def _count(db, sql):
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_sigkill_and_resume(tmp_path):
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources() if s["id"] in ("farm-trs", "farm-yl")]
        registry = write_registry(tmp_path / "r.yml", sources)
        db = tmp_path / "archive.db"
        proc = subprocess.Popen(NIANBAO + ["crawl", "--db", str(db), "--registry", str(registry),
                                           "--log-level", "WARNING", *FAST], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while _count(db, "SELECT COUNT(*) FROM reports") < 25:
            assert proc.poll() is None, "crawl ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        import psutil
        helpers = psutil.Process(proc.pid).children(recursive=True)  # extraction workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # A killed crawl leaves no extraction worker behind (they watch their parent).
        _, alive = psutil.wait_procs(helpers, timeout=30)
        assert not alive, f"orphaned after SIGKILL: {[p.cmdline()[:3] for p in alive]}"
        first_reports = {u for (u,) in q(db, "SELECT url FROM reports")}
        # pages the killed run fetched but never stored (killed between capture and pipeline)
        unstored = {u for (u,) in q(db, "SELECT url FROM captures WHERE role = 'detail' AND outcome = 'ok'")} \
            - {u for (u,) in q(db, "SELECT url FROM report_urls")}
        assert q(db, "SELECT status FROM crawl_runs") == [("running",)]

        crawl(db, registry)

        m = farm.manifest()
        expected = [r for r in m["reports"] if r["portal"] in ("farm-trs", "farm-yl")]
        got = report_by_url(db)
        assert [r["url"] for r in expected if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])] == []
        # no duplicates: one version per report, one attachment row per (report, url)
        assert q(db, "SELECT COUNT(*) FROM (SELECT report_id FROM report_versions WHERE part = 'page' "
                     "GROUP BY report_id HAVING COUNT(*) > 1)") == [(0,)]
        assert q(db, "SELECT COUNT(*) FROM (SELECT 1 FROM attachments GROUP BY report_id, url "
                     "HAVING COUNT(*) > 1)") == [(0,)]
        # what the killed run archived was not fetched again by the resumed one
        (run2,), = q(db, "SELECT MAX(id) FROM crawl_runs")
        refetched = {u for (u,) in q(db, "SELECT url FROM captures WHERE run_id = ? AND role = 'detail'", [run2])}
        assert refetched & first_reports == set()
        assert dict(q(db, "SELECT id, status FROM crawl_runs")) == {1: "interrupted", 2: "finished"}
        # ...are fetched again in full: a conditional request would earn a 304 for bytes never kept
        again = dict(q(db, "SELECT url, outcome FROM captures WHERE run_id = ? AND role = 'detail'", [run2]))
        assert {u: again.get(u) for u in unstored} == {u: "ok" for u in unstored}
        assert last_run_stats(db)["nianbao/resume_skipped_details"] >= len(first_reports)
        assert q(db, "PRAGMA integrity_check") == [("ok",)]
