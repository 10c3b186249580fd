"""Search on a synthetic archive: the bigram word index (archive/search.py) against the jieba word
index it replaced, in the same file and the same run: index bytes per report, and the latency of
archive.search.search for two-character words (复议, 公开), longer terms and two terms.

    python bench/bench_search.py            # 100,000 reports (build ~5 min), kept in bench/out/
    python bench/bench_search.py --quick    # 5,000 reports
    python bench/bench_search.py --db bench/out/search-100000.db   # an existing archive

Baseline: `jieba_seg`, the index as it was (jieba search-mode tokens plus the
two-character pieces of longer tokens, a regular FTS5 table storing its tokens) built here over
the same reports, queried as before (segment the term, MATCH, confirm with instr on the text).
The synthetic bodies come from a pool of 400, so jieba runs 400 times, not once per report.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TERMS = ["复议", "公开", "诉讼", "行政复议", "不予公开", "复议 不予公开"]
_CJK = re.compile(r"[\u3400-\u9fff]")


def _jieba_segment():
    import logging
    from functools import lru_cache

    import jieba
    jieba.setLogLevel(logging.WARNING)
    for w in ("政府信息公开", "依申请公开", "行政复议", "主动公开", "不予公开", "部分公开", "行政诉讼",
              "政务公开", "年度报告", "结转下年度"):
        jieba.add_word(w)

    @lru_cache(maxsize=None)
    def segment(text):
        if not text:
            return ""
        out = []
        for tok in jieba.cut_for_search(text):
            tok = tok.strip()
            if tok:
                out.append(tok)
                if len(tok) > 2 and _CJK.search(tok):
                    out.extend(tok[i:i + 2] for i in range(len(tok) - 1))
        return " ".join(out)
    return segment


def build_baseline(conn: sqlite3.Connection) -> float:
    """The jieba index of the same reports (what migration 2 built and derive kept)."""
    segment = _jieba_segment()
    conn.execute("DROP TABLE IF EXISTS jieba_seg")
    conn.execute("CREATE VIRTUAL TABLE jieba_seg USING fts5(title, body_text, tokenize='unicode61')")
    t = time.perf_counter()
    conn.execute("BEGIN")
    rows = conn.execute("SELECT id, title, body_text FROM reports ORDER BY id")
    conn.executemany("INSERT INTO jieba_seg (rowid, title, body_text) VALUES (?, ?, ?)",
                     ((rid, segment(ti), segment(b)) for rid, ti, b in rows))
    conn.execute("COMMIT")
    return time.perf_counter() - t


def jieba_ids_for_term(conn: sqlite3.Connection, segment, term: str) -> set[int]:
    """archive.search._ids_for_term of the jieba era (terms >= 3 characters: the same trigram index)."""
    if len(term) >= 3:
        return {r[0] for r in conn.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                                           ['"' + term + '"'])}
    arg = " ".join('"' + t + '"' for t in segment(term).split())
    cand = [r[0] for r in conn.execute("SELECT rowid FROM jieba_seg WHERE jieba_seg MATCH ?", [arg])]
    found: set[int] = set()
    for i in range(0, len(cand), 30000):   # under SQLite's host-parameter limit
        part = cand[i:i + 30000]
        found |= {r[0] for r in conn.execute(
            f"SELECT id FROM reports WHERE id IN ({','.join('?' * len(part))}) AND "
            "(instr(title, ?) > 0 OR instr(body_text, ?) > 0)", [*part, term, term])}
    return found


def jieba_search(conn: sqlite3.Connection, segment, query: str) -> list[dict]:
    """archive.search.search with the jieba-era term lookup: the same result rows."""
    from archive import search
    ours = search._ids_for_term
    search._ids_for_term = lambda c, term: jieba_ids_for_term(c, segment, term)
    try:
        return search.search(conn, query)
    finally:
        search._ids_for_term = ours


def index_bytes(conn: sqlite3.Connection, name: str) -> int:
    """Pages of an FTS5 table and its shadow tables (dbstat)."""
    return conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ? OR substr(name, 1, ?) = ?",
                        [name, len(name) + 1, name + "_"]).fetchone()[0]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="reports in the synthetic archive")
    ap.add_argument("--quick", action="store_true", help="5,000 reports")
    ap.add_argument("--db", type=Path, help="an archive to use instead of building one (gets the baseline table)")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    n = 5000 if a.quick else a.n
    path = a.db
    if path is None:
        path = ROOT / "bench" / "out" / f"search-{n}.db"
        if not path.exists():
            from bench.synthetic import amplify, build
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.stem + ".building.db")
            t = time.time()
            build(tmp, min(2500, n), 0)
            if n > 2500:
                amplify(tmp, n)
            tmp.rename(path)
            print(f"built {path} in {time.time() - t:.0f}s", flush=True)
    from archive import search
    from archive.schema import open_db
    conn = open_db(path).conn   # migrates an older archive: its word index becomes the bigram one
    reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jieba_seg'").fetchone():
        print(f"baseline jieba index built in {build_baseline(conn):.0f}s", flush=True)
    segment = _jieba_segment()
    result: dict = {"bench": "search", "reports": reports, "terms": {}}
    worst_ratio = 0.0
    for q in TERMS:
        ours = search.search(conn, q)
        base = jieba_search(conn, segment, q)
        assert {r["id"] for r in ours} >= {r["id"] for r in base}, q   # the bigram index finds at least what jieba found
        ms = median_ms(lambda: search.search(conn, q), a.repeat)
        ms_base = median_ms(lambda: jieba_search(conn, segment, q), a.repeat)
        result["terms"][q] = {"hits": len(ours), "hits_jieba": len(base), "ms": round(ms, 1),
                              "ms_jieba": round(ms_base, 1)}
        worst_ratio = max(worst_ratio, ms / ms_base)
        print(f"{q:12} {len(ours):7d} hits {ms:8.1f} ms   jieba index: {len(base):7d} hits {ms_base:8.1f} ms",
              flush=True)
    # The index lookup alone, as the canned query and the search page use it (a page of ids, and
    # the count), for the two-character words: bigram token vs jieba phrase + instr confirmation.
    result["lookup"] = {}
    for q in ("复议", "公开", "诉讼"):
        arg = '"' + q + '"'
        jarg = " ".join('"' + t + '"' for t in segment(q).split())
        page = "SELECT rowid FROM {t} WHERE {t} MATCH ? ORDER BY rowid DESC LIMIT 500"
        count = "SELECT COUNT(*) FROM {t} WHERE {t} MATCH ?"
        confirm = ("SELECT COUNT(*) FROM reports WHERE id IN (SELECT rowid FROM jieba_seg WHERE jieba_seg MATCH ?) "
                   "AND (instr(title, ?) > 0 OR instr(body_text, ?) > 0)")
        row = {"page_ms": median_ms(lambda: conn.execute(page.format(t="reports_seg"), [arg]).fetchall(), a.repeat),
               "page_ms_jieba": median_ms(lambda: conn.execute(page.format(t="jieba_seg"), [jarg]).fetchall(), a.repeat),
               "count_ms": median_ms(lambda: conn.execute(count.format(t="reports_seg"), [arg]).fetchall(), a.repeat),
               "count_ms_jieba_confirmed": median_ms(lambda: conn.execute(confirm, [jarg, q, q]).fetchall(), a.repeat)}
        result["lookup"][q] = {k: round(v, 1) for k, v in row.items()}
        print(f"{q}: a page of 500 ids {row['page_ms']:.1f} ms (jieba {row['page_ms_jieba']:.1f} ms); count "
              f"{row['count_ms']:.1f} ms (jieba, confirmed with instr as before: {row['count_ms_jieba_confirmed']:.1f} ms)",
              flush=True)
    seg, base_seg, tri = (index_bytes(conn, x) for x in ("reports_seg", "jieba_seg", "reports_fts"))
    result.update({"bigram_bytes_per_report": round(seg / reports), "jieba_bytes_per_report": round(base_seg / reports),
                   "trigram_bytes_per_report": round(tri / reports), "ratio": round(seg / base_seg, 3),
                   "ratio_is": "bigram index bytes / jieba index bytes",
                   "worst_latency_ratio": round(worst_ratio, 2)})
    print(f"word index: bigram {seg / reports:.0f} B/report, jieba {base_seg / reports:.0f} B/report "
          f"(trigram index {tri / reports:.0f} B/report)")
    conn.close()
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
