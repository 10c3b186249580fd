"""X-COPY-OTHER cost: deriving the checks of the farm's default reports with and without it.

    nice .venv/bin/python -m bench.bench_copies
    nice .venv/bin/python -m bench.bench_copies --quick     # 20 reports a portal (120)

Every report of the six default farm portals (all years) is extracted once, then stored in two
fresh archives; `drain_derived` (every check, search segments) is timed in CPU seconds on each:
the baseline with the copy index switched off, then with it. Then one more version of one report
is stored and derived (the incremental cost), and the index size is printed. Ratios, not absolute
times, are what compare across machines.

Ends with one JSON line; `ratio` is derive CPU with X-COPY-OTHER over derive CPU without it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # `python bench/…py` as `make bench` runs it

from archive.checks import copies
from archive.writer import Archive
from farm.portals import build_portals
from farm.server import Farm
from pipelines.extract.document import extract_document

DEFAULT = {"HanwebCountyPortal", "HanwebProvPortal", "TrsPortal", "GkmlptPortal", "YlcmsPortal", "HunanPortal"}


def farm_docs(per_portal: int | None = None):
    farm = Farm.__new__(Farm)   # the portals only: nothing is served
    farm.edition, farm.port = 0, 0
    portals = [p for p in build_portals(farm) if type(p).__name__ in DEFAULT]
    docs = []
    for p in portals:
        sid = p.sources()[0]["id"]
        for e in [e for e in p.entries if e.kind == "report"][:per_portal]:
            g = e.gen(0)
            data = (f'<html><head><meta charset="utf-8"><title>{g.title}</title></head><body><h1>{g.title}</h1>'
                    f"<p>发布日期：{g.report_year + 1}-01-20</p>{g.body_html}</body></html>").encode()
            url = f"http://{sid}.test/{e.key}.html"
            docs.append((sid, url, data, extract_document(data, url, {"content-type": "text/html; charset=utf-8"})))
    return [s for p in portals for s in p.sources()], docs


def build(sources, docs, with_copies: bool):
    saved = copies._has_tables
    if not with_copies:
        copies._has_tables = lambda conn: False
    try:
        arc = Archive(os.path.join(tempfile.mkdtemp(), "a.db"))
        arc.sync_sources(sources)
        for sid, url, data, doc in docs:
            cap = arc.add_capture(run_id=None, source_id=sid, url=url, status=200,
                                  headers=[("Content-Type", "text/html")], body=data, role="detail")
            arc.store_document(capture_id=cap.id, source_id=sid, url=url, doc=doc)
        t = time.process_time()
        arc.drain_derived()
        return arc, time.process_time() - t
    finally:
        copies._has_tables = saved


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-portal", type=int, default=None, metavar="N",
                    help="only the first N reports of each portal (default: all of them)")
    ap.add_argument("--quick", action="store_true", help="--per-portal 20 (120 reports)")
    a = ap.parse_args(argv)
    if a.quick and a.per_portal is None:
        a.per_portal = 20
    cpu0 = time.process_time()
    sources, docs = farm_docs(a.per_portal)
    _, base = build(sources, docs, False)
    arc, cost = build(sources, docs, True)
    conn = arc.db.conn
    print(f"reports {len(docs)}: derive CPU {base:.2f}s without X-COPY-OTHER, {cost:.2f}s with "
          f"(ratio {cost / base:.2f})")
    verdicts = dict(conn.execute("SELECT status, COUNT(*) FROM checks WHERE check_id = 'X-COPY-OTHER' "
                                 "AND is_current = 1 GROUP BY status").fetchall())
    print("X-COPY-OTHER:", verdicts)
    n, size = conn.execute("SELECT COUNT(*), SUM(LENGTH(minhash)) FROM paragraph_sigs").fetchone()
    bands = conn.execute("SELECT COUNT(*) FROM paragraph_bands").fetchone()[0]
    print(f"index: {n} paragraphs, {size} bytes of signatures, {bands} band rows")
    sid, url, data, doc = docs[len(docs) // 2]
    doc = dict(doc, body_text=doc["body_text"] + "\n本年度新增一段说明文字，用来测量增量派生的成本，这段文字足够长，"
               "可以成为一个参与比较的段落，而且不会与任何其他报告的段落相同。")
    cap = arc.add_capture(run_id=None, source_id=sid, url=url, status=200,
                          headers=[("Content-Type", "text/html")], body=data + b" ", role="detail")
    arc.store_document(capture_id=cap.id, source_id=sid, url=url, doc=doc)
    t = time.process_time()
    arc.drain_derived()
    incremental = time.process_time() - t
    print(f"one more version derived: CPU {incremental:.3f}s")
    print(json.dumps({"bench": "copies", "ratio": round(cost / base, 3),
                      "ratio_is": "derive CPU with X-COPY-OTHER / without", "reports": len(docs),
                      "derive_cpu_s_without": round(base, 2), "derive_cpu_s_with": round(cost, 2),
                      "verdicts": verdicts, "paragraphs": n, "signature_bytes": size, "band_rows": bands,
                      "incremental_cpu_s": round(incremental, 3), "cpu_s": round(time.process_time() - cpu0, 1)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
