"""Crawl throughput: `nianbao crawl --impolite` over the whole farm (politeness off on both
sides) against a bare Scrapy spider fetching the same URLs in the same run; prints pages/s and
the ratio (nianbao / bare). The bare spider does no parsing, capturing or archiving. Both are
measured for CPU time (user+sys of the process tree) and the crawl for its peak RSS (the whole
process tree: extraction workers, a browser driver if one starts; sampled every 100 ms, RSS and PSS).

    .venv/bin/python bench/bench_crawl.py            # the whole farm (~400 URLs)
    .venv/bin/python bench/bench_crawl.py --quick    # two portals
    .venv/bin/python bench/bench_crawl.py --code /path/to/older/checkout   # that code's crawl too, same run
    .venv/bin/python bench/bench_crawl.py --pages 10000   # the farm amplified: as many farms as needed
                                                          # (each on its own port: other URLs, same pages)

Last line: {"bench": "crawl", "ratio": pages/s vs bare, "cpu_ms_per_page": …, "bare_cpu_ms_per_page": …,
"peak_rss_mb": …}.
"""
from __future__ import annotations

import argparse
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


def _tree_cpu_and_peak(cmd, cwd) -> tuple[float, float, dict]:
    """Run `cmd`; (wall s, sampled CPU s, memory) where memory has the peak sum of RSS and of PSS
    (shared pages counted once) over the whole process tree, and each process kind's peak RSS."""
    import psutil
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd)
    root = psutil.Process(proc.pid)
    mem = {"peak_rss_mb": 0.0, "peak_pss_mb": 0.0, "by_process_mb": {}}
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        rss = pss = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for p in procs:
            try:
                m = p.memory_full_info()
                rss += m.rss
                pss += getattr(m, "pss", m.rss)
                t = p.cpu_times()
                name = "crawl" if p.pid == root.pid else (
                    "extraction worker" if "python" in p.name() else p.name())
                cpu[p.pid] = (name, t.user + t.system)
                mem["by_process_mb"][name] = max(mem["by_process_mb"].get(name, 0), round(m.rss / 2**20))
            except psutil.Error:
                pass
        mem["peak_rss_mb"] = max(mem["peak_rss_mb"], rss / 2**20)
        mem["peak_pss_mb"] = max(mem["peak_pss_mb"], pss / 2**20)
        time.sleep(0.1)
    by_kind: dict[str, float] = {}
    for name, c in cpu.values():
        by_kind[name] = round(by_kind.get(name, 0.0) + c, 1)
    mem["cpu_s_by_process"] = by_kind   # sampled: the last 0.1 s of each process is missing
    return time.perf_counter() - t0, sum(c for _, c in cpu.values()), mem


def _children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def crawl_once(code: Path, tmp: Path, name: str) -> dict:
    cpu0 = _children_cpu()
    wall, _, mem = _tree_cpu_and_peak(
        [sys.executable, "-m", "cli.main", "crawl", "--db", str(tmp / f"{name}.db"), "--registry",
         str(tmp / "farm.yml"), "--impolite", "--log-level", "ERROR", "-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"],
        code)   # farm = 127.0.0.1
    cpu = _children_cpu() - cpu0   # exact: every process of the tree was reaped
    import sqlite3
    conn = sqlite3.connect(tmp / f"{name}.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_bytes = sum(p.stat().st_size for p in tmp.glob(f"{name}.db*"))
    out = {"wall_s": wall, "cpu_s": cpu, "db_bytes": db_bytes,
           "peak_rss_mb": mem["peak_rss_mb"], "peak_pss_mb": mem["peak_pss_mb"],
           "by_process_mb": mem["by_process_mb"], "cpu_s_by_process": mem["cpu_s_by_process"],
           "reports": conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0],
           "stats": json.loads(conn.execute("SELECT stats FROM crawl_runs").fetchone()[0] or "{}"),
           "rows": conn.execute("SELECT url, method, referer FROM captures WHERE rendered = 0 AND role IS NOT "
                                "'robots' ORDER BY id").fetchall()}
    conn.close()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two portals of the farm, not all of it")
    ap.add_argument("--code", type=Path, help="another checkout whose crawl is measured too (before/after)")
    ap.add_argument("--pages", type=int, default=0,
                    help="amplify the farm to about this many pages: N/390 farms, each on its own port, their "
                         "sources under distinct ids (e.g. 10000: the memory goal's 10k-page crawl)")
    ap.add_argument("--keep", type=Path, help="copy this code's archive here (to look at its tables afterwards)")
    a = ap.parse_args(argv)
    from contextlib import ExitStack

    from crawler import registry as reg
    from farm import Farm
    copies = max(1, -(-a.pages // 390)) if a.pages else 1
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = []
        for k in range(copies):
            farm = stack.enter_context(Farm(port=0, warm=copies == 1))
            farm.set_politeness(False)
            # Generate every report body and file first: both crawlers then meet a warm farm (else the
            # first one pays the farm's generation time and the second does not).
            farm.manifest()
            sources += [{**s, "id": f"{s['id']}-x{k}"} if k else s for s in farm.sources()]
        if a.quick:
            sources = [s for s in sources if s["id"] in ("farm-trs", "farm-yl")]
        reg.dump(sources, tmp / "farm.yml")
        ours = crawl_once(ROOT, tmp, "a")
        if a.keep:
            import shutil
            shutil.copyfile(tmp / "a.db", a.keep)
        older = crawl_once(a.code.resolve(), tmp, "b") if a.code else None
        # POST bodies are not archived: replay POSTs as GET (the farm's proxies accept both).
        urls = [(u, "GET", None, ref) for u, m, ref in ours["rows"]]
        (tmp / "urls.json").write_text(json.dumps(urls))
        (tmp / "bare.py").write_text(BARE)
        cpu0 = _children_cpu()
        t_bare, _, bare_mem = _tree_cpu_and_peak([sys.executable, str(tmp / "bare.py"), str(tmp / "urls.json")], ROOT)
        cpu_bare = _children_cpu() - cpu0
    n = len(urls)
    bare = n / t_bare
    result = {"bench": "crawl", "pages": n, "farms": copies, "ratio": round(n / ours["wall_s"] / bare, 3),
              "ratio_is": "nianbao pages/s / bare Scrapy pages/s (wall, same URLs, same run)",
              "cpu_ms_per_page": round(1000 * ours["cpu_s"] / n, 1), "bare_cpu_ms_per_page": round(1000 * cpu_bare / n, 1),
              "cpu_ratio": round(cpu_bare / ours["cpu_s"], 3), "peak_rss_mb": round(ours["peak_rss_mb"]),
              "peak_pss_mb": round(ours["peak_pss_mb"]), "by_process_mb": ours["by_process_mb"],
              "cpu_s_by_process": ours["cpu_s_by_process"],
              "bare_peak_rss_mb": round(bare_mem['peak_rss_mb']), "reports": ours["reports"],
              "archive_kb_per_report": round(ours["db_bytes"] / 1024 / max(ours["reports"], 1), 1),
              "store_cpu_ms_per_report": round(1000 * ours["stats"].get("nianbao/store_cpu_seconds", 0)
                                               / max(ours["reports"], 1), 1)}
    print(f"pages: {n}")
    print(f"bare scrapy spider:       {t_bare:.1f} s, {bare:.1f} pages/s, CPU {1000 * cpu_bare / n:.1f} ms/page, "
          f"peak RSS {bare_mem['peak_rss_mb']:.0f} MB")
    runs = [("nianbao (this code)", ours)] + ([(f"nianbao ({a.code})", older)] if older else [])
    for label, r in runs:
        print(f"{label}: {r['wall_s']:.1f} s, {n / r['wall_s']:.1f} pages/s, ratio {n / r['wall_s'] / bare:.2f}; "
              f"CPU {1000 * r['cpu_s'] / n:.1f} ms/page ({r['reports']} reports); peak RSS of the tree "
              f"{r['peak_rss_mb']:.0f} MB (PSS {r['peak_pss_mb']:.0f} MB; per process {r['by_process_mb']}); "
              f"CPU s by process {r['cpu_s_by_process']}; "
              f"archive (no WARC) {r['db_bytes'] / 1024 / max(r['reports'], 1):.0f} KB/report")
    if older:
        result.update({"older_ratio": round(n / older["wall_s"] / bare, 3),
                       "older_cpu_ms_per_page": round(1000 * older["cpu_s"] / n, 1),
                       "older_peak_rss_mb": round(older["peak_rss_mb"]), "older_peak_pss_mb": round(older["peak_pss_mb"]),
                       "older_by_process_mb": older["by_process_mb"], "older_cpu_s_by_process": older["cpu_s_by_process"],
                       "older_archive_kb_per_report": round(older["db_bytes"] / 1024 / max(older["reports"], 1), 1)})
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
