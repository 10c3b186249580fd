"""Extraction throughput: documents per second for HTML and PDF reports, each against a baseline
run on the same bytes in the same process (HTML: plain trafilatura.extract; PDF: pdfplumber's
page text), so the ratio survives a busy machine better than the absolute figure. Rates are per
CPU-second of this process (time.process_time), best of `--rounds` rounds with ours and the
baseline interleaved, so other processes on a shared machine do not move them.

    python bench/bench_extract.py [--n 40] [--rounds 3]
    python bench/bench_extract.py --quick        # 10 documents, 2 rounds

Last line: {"bench": "extract", "ratio": HTML ratio, "html_docs_per_cpu_s": …, "pdf_ratio": …}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.extract.document import extract_document  # noqa: E402


def corpus(n: int):
    from farm.reports import ReportSpec, generate
    layouts = ["word", "editor", "text_lines", "text_pipes", "traditional"]
    html, pdf = [], []
    for i in range(n):
        g = generate(ReportSpec(agency="清河县人民政府", year=2021 + i % 3, fmt="2021", layout=layouts[i % len(layouts)],
                                attachment="pdf" if i < max(4, n // 4) else None, seed=i + 1))
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='ArticleTitle' content='{g.title}'>"
                f"<meta name='PubDate' content='2024-02-08 10:00'><title>{g.title}</title></head><body>"
                f"<div class='nav'>首页 &gt; 政府信息公开年报</div><h1>{g.title}</h1>"
                f"<div id='zoom'>{g.body_html}</div><div class='footer'>网站地图 主办单位</div></body></html>")
        html.append(page.encode("utf-8"))
        pdf += [a.data for a in g.attachments if a.data[:5] == b"%PDF-"]
    return html, pdf


def rate(fn, docs, repeat: int = 1) -> float:
    """Documents per CPU-second of this process."""
    t0 = time.process_time()
    for _ in range(repeat):
        for d in docs:
            fn(d)
    dt = time.process_time() - t0
    return len(docs) * repeat / max(dt, 1e-9)


def best_rates(ours, base, docs, rounds: int) -> tuple[float, float]:
    """Best of `rounds`, ours and the baseline alternating."""
    a = b = 0.0
    for _ in range(rounds):
        a = max(a, rate(ours, docs))
        b = max(b, rate(base, docs))
    return a, b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40, help="HTML documents in the corpus")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds, best kept")
    ap.add_argument("--quick", action="store_true", help="10 documents, 2 rounds")
    a = ap.parse_args(argv)
    if a.quick:
        a.n, a.rounds = 10, 2
    html, pdf = corpus(a.n)

    import io

    import pdfplumber
    import trafilatura

    def base_html(b):
        return trafilatura.extract(b, include_tables=True)

    def base_pdf(b):
        with pdfplumber.open(io.BytesIO(b)) as p:
            return [pg.extract_text() for pg in p.pages]

    def ours(b):
        d = extract_document(b)
        assert d["error"] is None and d["cells"], d["error"]
        return d

    ours(html[0]), base_html(html[0])  # warm imports and caches
    r_html, r_base = best_rates(ours, base_html, html, a.rounds)
    out = {"bench": "extract", "ratio": round(r_html / r_base, 2), "ratio_is": "HTML docs/CPU-s vs trafilatura.extract",
           "html_docs": len(html), "html_docs_per_cpu_s": round(r_html, 1), "trafilatura_docs_per_cpu_s": round(r_base, 1)}
    print(f"HTML  {len(html):4d} docs  extract_document {r_html:8.1f} docs/CPU-s   "
          f"trafilatura.extract {r_base:8.1f} docs/CPU-s   ratio {r_html / r_base:5.2f}")
    if pdf:
        ours(pdf[0])
        r_pdf, r_pbase = best_rates(ours, base_pdf, pdf, a.rounds)
        print(f"PDF   {len(pdf):4d} docs  extract_document {r_pdf:8.1f} docs/CPU-s   "
              f"pdfplumber text     {r_pbase:8.1f} docs/CPU-s   ratio {r_pdf / r_pbase:5.2f}")
        out.update(pdf_docs=len(pdf), pdf_docs_per_cpu_s=round(r_pdf, 1), pdfplumber_docs_per_cpu_s=round(r_pbase, 1),
                   pdf_ratio=round(r_pdf / r_pbase, 2))
    cells = sum(len(extract_document(b)["cells"]) for b in html[:10])
    print(f"cells per HTML report (first 10): {cells / min(10, len(html)):.0f}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
