"""Crawl throughput: `nianbao crawl --impolite` over the whole farm (politeness off on both
sides) against a bare Scrapy spider fetching the same URLs in the same run; prints pages/s and
the ratio (nianbao / bare). The bare spider does no parsing, capturing or archiving.

    .venv/bin/python bench/bench_crawl.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE = r'''
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
urls = json.load(open(sys.argv[1]))
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for u, method, body, ref in urls:
            yield scrapy.Request(u, method=method, body=body or None, dont_filter=True,
                                 headers={"Referer": ref} if ref else {}, callback=self.ok)
    def ok(self, response):
        pass
p = CrawlerProcess({"LOG_LEVEL": "ERROR", "TWISTED_DNS_RESOLVER": "crawler.resolver.FarmAwareResolver",
                    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
                    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
                    "ROBOTSTXT_OBEY": False, "HTTPERROR_ALLOW_ALL": True, "REDIRECT_ENABLED": True,
                    "USER_AGENT": "Mozilla/5.0 (compatible; nianbao-bench)"})
p.crawl(Bare); p.start()
'''


def _children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    import sqlite3

    from crawler import registry as reg
    from farm import Farm
    with Farm(port=0) as farm, tempfile.TemporaryDirectory() as tmp:
        farm.set_politeness(False)
        # Generate every report body and file first: both crawlers then meet a warm farm (else the
        # first one pays the farm's generation time and the second does not).
        farm.manifest()
        tmp = Path(tmp)
        reg.dump(farm.sources(), tmp / "farm.yml")
        t0, cpu0 = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-m", "cli.main", "crawl", "--db", str(tmp / "a.db"), "--registry",
                        str(tmp / "farm.yml"), "--impolite", "--log-level", "ERROR",
                        "-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"], cwd=ROOT)   # farm = 127.0.0.1
        t_ours, cpu_ours = time.perf_counter() - t0, _children_cpu() - cpu0
        conn = sqlite3.connect(tmp / "a.db")
        n_reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        stats = json.loads(conn.execute("SELECT stats FROM crawl_runs").fetchone()[0] or "{}")
        started, finished = conn.execute("SELECT started_at, finished_at FROM crawl_runs").fetchone()
        rows = conn.execute("SELECT url, method, referer FROM captures WHERE rendered = 0 AND role IS NOT 'robots'"
                            " ORDER BY id").fetchall()
        conn.close()
        # POST bodies are not archived: replay POSTs as GET (the farm's proxies accept both).
        urls = [(u, "GET", None, ref) for u, m, ref in rows]
        (tmp / "urls.json").write_text(json.dumps(urls))
        (tmp / "bare.py").write_text(BARE)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(tmp / "bare.py"), str(tmp / "urls.json")], cwd=ROOT, check=True)
        t_bare = time.perf_counter() - t0
    n = len(urls)
    ours, bare = n / t_ours, n / t_bare
    print(f"pages: {n}")
    print(f"nianbao crawl --impolite: {t_ours:.1f} s, {ours:.1f} pages/s (incl. extraction and archiving)")
    print(f"bare scrapy spider:       {t_bare:.1f} s, {bare:.1f} pages/s (same URLs, no processing)")
    print(f"ratio nianbao/bare: {ours / bare:.2f}")
    # CPU is what the shared machine cannot distort: the crawl process and its extraction workers.
    print(f"crawl CPU (user+sys, whole process tree): {cpu_ours:.1f} s, "
          f"{1000 * cpu_ours / max(n_reports, 1):.0f} ms per report ({n_reports} reports)")
    store = stats.get("nianbao/store_cpu_seconds")
    if store is not None:
        print(f"store CPU in the crawl process: {store:.1f} s, {1000 * store / max(n_reports, 1):.0f} ms per report")
    from datetime import datetime
    spider = (datetime.fromisoformat(finished.rstrip("Z")) - datetime.fromisoformat(started.rstrip("Z"))).total_seconds()
    print(f"(nianbao spider open→close {spider:.1f} s; the rest of its wall time is process start-up)")


if __name__ == "__main__":
    main()
