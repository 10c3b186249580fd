"""The scorecard on a 100,000-report synthetic archive: its rebuild cost, and the queries of
/-/scorecard and the agency page (target: < 200 ms each).

    python bench/bench_scorecard.py /tmp/synth100k.db      # an archive from bench/synthetic.py
    python bench/bench_scorecard.py /tmp/s.db --build 2000 --n 100000   # build it first

Figures: the scorecard's share of the report_figures rebuild (wall and CPU), then each page query
as SQL alone (median of --repeat runs) and as a full HTTP answer of a real `datasette`, beside the
baseline `SELECT COUNT(*) FROM reports` through the same path.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--build", type=int, default=0, help="build a base archive of this many reports first")
    ap.add_argument("--n", type=int, default=100_000, help="amplify the built base to this many reports")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    path = Path(args.path)
    if args.build:
        from bench.synthetic import amplify, build
        print(build(path, args.build), flush=True)
        if args.n > args.build:
            print(amplify(path, args.n), flush=True)
    t, c = time.time(), time.process_time()
    rebuilt = figures.refresh(path)
    print(f"figures.refresh ({'rebuilt' if rebuilt else 'up to date'}): {time.time() - t:.1f}s wall, "
          f"{time.process_time() - c:.1f}s CPU", flush=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    t, c = time.time(), time.process_time()
    with transaction(conn):
        n = scorecard.rebuild(conn)
    print(f"scorecard.rebuild alone: {n} rows, {time.time() - t:.1f}s wall, {time.process_time() - c:.1f}s CPU")
    region, year = conn.execute("SELECT region, report_year FROM scorecard WHERE region IS NOT NULL "
                                "GROUP BY region, report_year ORDER BY COUNT(*) DESC LIMIT 1").fetchone() or (None, None)
    if region is None:
        # Synthetic reports come from one source without a region: give each agency the region its
        # name starts with (海宁市…, 66 of them), ~300 agencies per region-year as in a real county.
        conn.execute("UPDATE scorecard SET region = substr(agency_display, 1, 3)")
        region, year = conn.execute("SELECT region, report_year FROM scorecard GROUP BY region, report_year "
                                    "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    key = conn.execute("SELECT agency_key FROM scorecard LIMIT 1 OFFSET 5000").fetchone()[0]
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
    for name, (sql, params) in queries.items():
        ms = _median_ms(lambda: conn.execute(sql, params).fetchall(), args.repeat)
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
            ms = _median_ms(lambda: urllib.request.urlopen(url + p, timeout=60).read(), args.repeat)
            print(f"  HTTP {name:32s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
