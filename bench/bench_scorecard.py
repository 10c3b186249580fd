"""The scorecard on a 100,000-report synthetic archive: its rebuild cost, and the queries of
/-/scorecard and the agency page (target: < 200 ms each).

    python bench/bench_scorecard.py /tmp/synth100k.db      # an archive from bench/synthetic.py
    python bench/bench_scorecard.py /tmp/s.db --build 2000 --n 100000   # build it first
    python bench/bench_scorecard.py --quick     # 5,000 reports (500 built) in a temporary directory

Figures: the scorecard's share of the report_figures rebuild (wall and CPU), then each page query
as SQL alone (median of --repeat runs) and as a full HTTP answer of a real `datasette`, beside the
baseline `SELECT COUNT(*) FROM reports` through the same path.

Ends with one JSON line; `ratio` is the slowest page over the baseline, both as HTTP answers.
"""
from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import figures, scorecard  # noqa: E402
from archive.serve import background  # noqa: E402
from archive.tx import transaction  # noqa: E402


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (the datasette server)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", help="the archive (with --quick: optional, built in a temporary directory)")
    ap.add_argument("--build", type=int, default=0, help="build a base archive of this many reports first")
    ap.add_argument("--n", type=int, default=100_000, help="amplify the built base to this many reports")
    ap.add_argument("--repeat", type=int, default=7, help="runs per query; the median is printed")
    ap.add_argument("--quick", action="store_true",
                    help="--repeat 3; without a path, --build 500 --n 5000 in a temporary directory")
    args = ap.parse_args(argv)
    if args.path is None and not args.quick:
        ap.error("an archive path is needed (or --quick)")
    if args.quick:
        args.repeat = 3
        if args.path is None:
            args.build, args.n = 500, 5000
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(args.path or Path(tmp) / "scorecard-quick.db"), args)


def run(path: Path, args) -> None:
    cpu0 = _cpu()
    if args.build:
        from bench.synthetic import amplify, build
        print(build(path, args.build), flush=True)
        if args.n > args.build:
            print(amplify(path, args.n), flush=True)
    t, c = time.time(), time.process_time()
    rebuilt = figures.refresh(path)
    refresh_wall, refresh_cpu = time.time() - t, time.process_time() - c
    print(f"figures.refresh ({'rebuilt' if rebuilt else 'up to date'}): {refresh_wall:.1f}s wall, "
          f"{refresh_cpu:.1f}s CPU", flush=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    t, c = time.time(), time.process_time()
    with transaction(conn):
        n = scorecard.rebuild(conn)
    rebuild_wall, rebuild_cpu = time.time() - t, time.process_time() - c
    print(f"scorecard.rebuild alone: {n} rows, {rebuild_wall:.1f}s wall, {rebuild_cpu:.1f}s CPU")
    region, year = conn.execute("SELECT region, report_year FROM scorecard WHERE region IS NOT NULL "
                                "GROUP BY region, report_year ORDER BY COUNT(*) DESC LIMIT 1").fetchone() or (None, None)
    if region is None:
        # Synthetic reports come from one source without a region: give each agency the region its
        # name starts with (海宁市…, 66 of them), ~300 agencies per region-year as in a real county.
        conn.execute("UPDATE scorecard SET region = substr(agency_display, 1, 3)")
        region, year = conn.execute("SELECT region, report_year FROM scorecard GROUP BY region, report_year "
                                    "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    key = conn.execute("SELECT agency_key FROM scorecard LIMIT 1 OFFSET ?", [min(5000, n // 2)]).fetchone()[0]
    in_region = conn.execute("SELECT COUNT(*) FROM scorecard WHERE region = ? AND report_year = ?",
                             [region, year]).fetchone()[0]
    print(f"region {region} {year}: {in_region} agencies")
    queries = {
        "baseline count(*) reports": ("SELECT COUNT(*) FROM reports", []),
        "regions of a year": ("SELECT region, COUNT(*), ROUND(AVG(score), 1) FROM scorecard WHERE report_year = ? "
                              "AND region IS NOT NULL GROUP BY region ORDER BY region", [year]),
        "region ranking by score": ("SELECT * FROM scorecard WHERE region = ? AND report_year = ? ORDER BY "
                                    "score IS NULL, score DESC, agency_display LIMIT 2000", [region, year]),
        "region ranking by repetition": ("SELECT * FROM scorecard WHERE region = ? AND report_year = ? ORDER BY "
                                         "repetition_text IS NULL, repetition_text DESC, agency_display LIMIT 2000",
                                         [region, year]),
        "agency indicators": ("SELECT * FROM scorecard WHERE agency_key = ? ORDER BY report_year DESC", [key]),
    }
    sql_ms, http_ms = {}, {}
    for name, (sql, params) in queries.items():
        ms = sql_ms[name] = _median_ms(lambda: conn.execute(sql, params).fetchall(), args.repeat)
        print(f"  SQL  {name:32s} {ms:8.1f} ms")
    conn.close()
    with background(path, ROOT / "metadata.yml") as url:
        db = path.stem
        pages = {
            "baseline count(*) .json": f"/{db}.json?sql=" + urllib.parse.quote("select count(*) from reports"),
            "/-/scorecard region page": "/-/scorecard?" + urllib.parse.urlencode({"region": region, "year": year}),
            "/-/scorecard sorted by 文字重复率": "/-/scorecard?" + urllib.parse.urlencode(
                {"region": region, "year": year, "sort": "repetition_text", "desc": 1}),
            "/-/scorecard.csv": "/-/scorecard.csv?" + urllib.parse.urlencode({"region": region, "year": year}),
            "/-/agency page": "/-/agency/" + urllib.parse.quote(key, safe="/"),
        }
        for name, p in pages.items():
            urllib.request.urlopen(url + p, timeout=60).read()   # warm
            ms = http_ms[name] = _median_ms(lambda: urllib.request.urlopen(url + p, timeout=60).read(), args.repeat)
            print(f"  HTTP {name:32s} {ms:8.1f} ms")
    base_ms = http_ms.pop("baseline count(*) .json")
    worst = max(http_ms, key=http_ms.get)
    print(json.dumps({"bench": "scorecard", "ratio": round(http_ms[worst] / max(base_ms, 0.1), 2),
                      "ratio_is": "slowest HTTP page / HTTP select count(*) from reports",
                      "reports": reports, "scorecard_rows": n, "region_agencies": in_region,
                      "slowest_page": worst, "slowest_ms": http_ms[worst], "baseline_http_ms": base_ms,
                      "http_ms": http_ms, "sql_ms": sql_ms, "figures_refresh_rebuilt": bool(rebuilt),
                      "figures_refresh_wall_s": round(refresh_wall, 2), "figures_refresh_cpu_s": round(refresh_cpu, 2),
                      "scorecard_rebuild_wall_s": round(rebuild_wall, 2),
                      "scorecard_rebuild_cpu_s": round(rebuild_cpu, 2),
                      "cpu_s": round(_cpu() - cpu0, 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
