"""Archive benchmark on 100,000 reports: bytes per report, the time of each view, reextract docs/s.

    python -m bench.bench_archive          # 100,000 reports after ~14 min, all figures after ~20
    python -m bench.bench_archive --n 5000 --base 500 --docs 60   # quick (the same as --quick)

1. Base archive through the real writer: `--base` farm-generated HTML reports (three
   consecutive years per agency, Word-export and editor layouts) extracted by the real
   extractor in 2 worker processes and stored by `Archive.add_capture` (WARC record) and
   `Archive.store_document` (versions, cells, the search index), derived every 100 reports
   as a crawl derives them (checks including cross-year, the X-COPY-OTHER index). Bytes per
   report of this archive, grown row by row as a crawl grows it.
2. Amplified with SQL to `--n` reports (bench.synthetic.amplify: distinct agencies, report
   ids, URLs, captures, versions, cells, checks, copy index, search rows): bytes per report, per-table
   bytes (dbstat).
3. Each view (t2_wide, t3_wide, t4_wide, report_overview): full scan, one report, one year,
   first page (101 rows, what Datasette asks for). Baselines: a plain scan of `cells`, a
   primary-key lookup.
4. Reextract inside the `--n` archive over `--docs` of the writer-built reports (their
   captures have real WARC records; reextracting all `--n` would take hours): the sample's
   current versions are marked as made by an older extractor, then `reextract` runs with 1
   and 2 processes, interleaved and best-of-2 (the machine is shared). Baseline: bare
   `extract_document` over the same bytes (read from the WARC beforehand), 1 and 2
   processes, no writing. The report_figures refresh that ends every reextract run is a
   fixed cost per run, timed once on its own and left out of docs/s.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # `python bench/…py` as `make bench` runs it

VIEWS = ("t2_wide", "t3_wide", "t4_wide", "report_overview")
LAYOUTS = ("word", "editor")
YEARS = (2020, 2021, 2022)


def _timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# ---------------------------------------------------------------- 1. base through the writer
def farm_page(i: int) -> tuple[str, bytes]:
    """The i-th report page: agency i // 3, one of three consecutive years, farm layouts."""
    from bench.synthetic import agency_name, format_for
    from farm.reports import ReportSpec, generate
    agency, year = agency_name(i // len(YEARS)), YEARS[i % len(YEARS)]
    g = generate(ReportSpec(agency=agency, year=year, fmt=format_for(year),
                            layout=LAYOUTS[(i // len(YEARS)) % len(LAYOUTS)]))
    html = (f'<html><head><meta charset="utf-8"><title>{g.title}</title></head><body><h1>'
            f"{g.title}</h1><p>发布日期：{year + 1}-01-20</p>{g.body_html}</body></html>")
    return f"http://bench.test/{i // len(YEARS)}/{year}.html", html.encode("utf-8")


CTYPE = "text/html; charset=utf-8"
DERIVE_EVERY = 100   # stored reports per derive batch (the crawl's writer derives after each batch)


def _page_and_doc(i: int) -> tuple[int, str, bytes, dict]:
    from pipelines.extract.document import extract_document
    url, data = farm_page(i)
    return i, url, data, extract_document(data, url, {"content-type": CTYPE})


def build_base(path: Path, base: int, processes: int = 2, progress: bool = False) -> dict:
    """`base` reports stored one by one through the real writer (WARC + archive rows)."""
    from archive.writer import Archive
    started = time.time()
    pool = mp.get_context("fork").Pool(processes)   # forked before any SQLite connection
    arc = Archive(path)
    try:
        for i, url, data, doc in pool.imap(_page_and_doc, range(base), chunksize=4):
            cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                                  headers=[("Content-Type", CTYPE)], body=data, role="detail")
            arc.store_document(capture_id=cap.id, source_id=None, url=url, doc=doc)
            if (i + 1) % DERIVE_EVERY == 0:   # checks, cross-year and copy index, as a crawl derives
                arc.drain_derived()
            if progress and (i + 1) % 250 == 0:
                print(f"  writer: {i + 1}/{base} reports, {time.time() - started:.0f}s", flush=True)
        arc.drain_derived()
    finally:
        pool.close()
        pool.join()
        arc.close()
    seconds = time.time() - started
    return {"reports": base, "seconds": round(seconds, 1), "reports_per_s": round(base / seconds, 1)}


# ---------------------------------------------------------------- 2. bytes
def file_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def table_bytes(path: Path, reports: int, top: int = 16) -> dict[str, int] | None:
    """Bytes per report of each table and index (FTS shadow tables under their index name)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:   # SQLite built without dbstat
        return None
    finally:
        conn.close()
    out: dict[str, int] = {}
    for name, size in rows:
        for fts in ("reports_seg",):
            if name.startswith(fts + "_"):
                name = fts + " (fts5)"
        out[name] = out.get(name, 0) + size
    ranked = sorted(out.items(), key=lambda kv: -kv[1])
    result = {k: round(v / reports) for k, v in ranked[:top]}
    result["(the rest)"] = round(sum(v for _, v in ranked[top:]) / reports)
    return result


# ---------------------------------------------------------------- 3. views
def bench_views(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    n = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    mid = conn.execute("SELECT id FROM reports ORDER BY id LIMIT 1 OFFSET ?", [n // 2]).fetchone()[0]
    year = conn.execute("SELECT report_year FROM reports GROUP BY report_year "
                        "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    base_full = _timed(lambda: conn.execute("SELECT COUNT(*), SUM(value) FROM cells").fetchall(), 1)
    base_one = _timed(lambda: conn.execute("SELECT * FROM reports WHERE id = ?", [mid]).fetchall(), 5)
    out = {"reports": n, "year": year,
           "baseline": {"full_scan_cells_s": round(base_full, 3), "pk_lookup_s": round(base_one, 6)}}
    for view in VIEWS:
        key = "id" if view == "report_overview" else "report_id"
        rows: list = []   # counted while iterating: millions of rows are not kept in memory
        full = _timed(lambda: rows.append(sum(1 for _ in conn.execute(f"SELECT * FROM {view}"))), 1)
        one = _timed(lambda: conn.execute(f"SELECT * FROM {view} WHERE {key} = ?", [mid]).fetchall(), 5)
        yr = _timed(lambda: conn.execute(f"SELECT * FROM {view} WHERE report_year = ?",
                                         [year]).fetchall(), 1)
        page = _timed(lambda: conn.execute(f"SELECT * FROM {view} LIMIT 101").fetchall(), 3)
        out[view] = {"rows": rows[0], "full_s": round(full, 2), "one_report_s": round(one, 5),
                     "one_year_s": round(yr, 2), "first_page_s": round(page, 4),
                     "full_vs_cells_scan": round(full / base_full, 2),
                     "one_vs_pk_lookup": round(one / base_one, 1)}
    conn.close()
    return out


# ---------------------------------------------------------------- 4. reextract
def _bare(job: tuple) -> int:
    from pipelines.extract.document import extract_document
    data, url, headers = job
    return len(extract_document(data, url, headers)["cells"])


def _bare_run(jobs: list, processes: int) -> float:
    t = time.perf_counter()
    if processes <= 1:
        list(map(_bare, jobs))
    else:
        with mp.get_context("fork").Pool(processes) as pool:
            list(pool.imap_unordered(_bare, jobs, chunksize=4))
    return time.perf_counter() - t


def bench_reextract(path: Path, docs: int, base: int, rounds: int = 2) -> dict:
    from archive import figures
    from archive import reextract as rx
    from archive.warc import read_record
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    sample = sorted(random.Random(0).sample(range(1, base + 1), min(docs, base)))  # any year
    marks = ",".join("?" * len(sample))
    jobs = []
    for file, off, length, url in conn.execute(
            "SELECT c.warc_file, c.warc_offset, c.warc_length, c.url FROM reports r "
            "JOIN report_versions v ON v.id = r.current_version_id JOIN captures c "
            f"ON c.id = v.capture_id WHERE r.id IN ({marks})", sample):
        rec = read_record(path.parent / "warc", file, off, length)
        jobs.append((rec.body, url, {k.lower(): v for k, v in rec.headers}))
    out: dict = {"docs": len(sample), "archive_reports": conn.execute(
        "SELECT COUNT(*) FROM reports").fetchone()[0]}
    times: dict[str, list[float]] = {"bare_p1": [], "bare_p2": [], "reextract_p1": [], "reextract_p2": []}
    real_refresh = figures.refresh
    figures.refresh = lambda db_path: False   # timed once below, not per run
    try:
        run = 0
        for _ in range(rounds):
            for procs in (1, 2):
                times[f"bare_p{procs}"].append(_bare_run(jobs, procs))
                # The sample's current versions were "made by an older extractor".
                conn.execute(f"UPDATE report_versions SET extractor_version = ? WHERE "
                             f"is_current = 1 AND part = 'page' AND report_id IN ({marks})",
                             [f"bench-older-{run}", *sample])
                run += 1
                t = time.perf_counter()
                stats = rx.reextract(path, processes=procs)
                times[f"reextract_p{procs}"].append(time.perf_counter() - t)
                assert stats["reextracted"] == len(sample) and stats["errors"] == 0, stats
        out["rerun_reextracted"] = rx.reextract(path, processes=2)["reextracted"]  # nothing stale
    finally:
        figures.refresh = real_refresh
    conn.close()
    for key, ts in times.items():
        out[key] = {"seconds": [round(t, 1) for t in ts], "docs_per_s": round(len(sample) / min(ts), 1)}
    for kind in ("bare", "reextract"):
        out[f"{kind}_ratio_2_vs_1"] = round(out[f"{kind}_p2"]["docs_per_s"] / out[f"{kind}_p1"]["docs_per_s"], 2)
    # Per document, one process: what reading the WARC record, writing the version and re-running
    # the checks add to the extraction itself.
    per = {k: 1000 / out[k]["docs_per_s"] for k in ("bare_p1", "reextract_p1")}
    out["ms_per_doc_p1"] = {"extract": round(per["bare_p1"], 1),
                            "warc_read_write_checks": round(per["reextract_p1"] - per["bare_p1"], 1)}
    t = time.perf_counter()
    real_refresh(path)
    out["figures_refresh_per_run_s"] = round(time.perf_counter() - t, 1)
    return out


# ---------------------------------------------------------------- main
def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="reports in the amplified archive")
    ap.add_argument("--base", type=int, default=1000, help="reports stored through the writer")
    ap.add_argument("--docs", type=int, default=300, help="documents for the reextract timing")
    ap.add_argument("--dir", default=None, help="work directory, kept (default: a temp dir, removed)")
    ap.add_argument("--skip-reextract", action="store_true")
    ap.add_argument("--quick", action="store_true", help="--n 5000 --base 500 --docs 60")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.base, args.docs = 5000, 500, 60
    from bench.synthetic import amplify
    if args.n % args.base:
        ap.error("--n must be a multiple of --base")
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench_archive_"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "archive.db"
    started = time.time()
    result: dict = {"n": args.n, "base": args.base, "cpus": os.cpu_count()}

    def show(key: str, value) -> None:
        result[key] = value
        print(f"{key} ({time.time() - started:.0f}s): {json.dumps(value, ensure_ascii=False, indent=1)}",
              flush=True)
    try:
        for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(work / "warc", ignore_errors=True)
        base = build_base(db, args.base, progress=True)
        size = file_bytes(db)
        warc = sum(p.stat().st_size for p in (work / "warc").iterdir())
        show("writer_base", {**base, "bytes": size, "bytes_per_report": round(size / args.base),
                             "warc_bytes_per_report": round(warc / args.base)})
        amp = amplify(db, args.n, progress=True)
        size = file_bytes(db)
        show("amplified", {**amp, "bytes": size, "bytes_per_report": round(size / args.n)})
        show("bytes_per_report_by_table", table_bytes(db, args.n))
        show("views", bench_views(db))
        if not args.skip_reextract:
            show("reextract", bench_reextract(db, args.docs, args.base))
        result["total_s"] = round(time.time() - started)
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    per = result.get("amplified", {}).get("bytes_per_report")
    print(json.dumps({"bench": "archive", "ratio": round(per / 30_000, 3) if per else None,
                      "ratio_is": "bytes per report / 30 KB goal", **result}, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
