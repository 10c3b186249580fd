"""OCR cost: pages per second of the OCR itself, and extraction documents per second with and
without OCR (NIANBAO_OCR=0) on the same pictures, next to text PDFs of the farm as a baseline.
The pictures are the test fixtures (farm/scans.py): table 三 as a PNG, and a 3-page
scanned PDF (pages as JPEG, no text layer).

    python bench/bench_ocr.py [--repeat 2] [--quick]

Ends with one JSON line; `ratio` is extraction docs/s with OCR over text-PDF docs/s.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from farm import scans as make  # noqa: E402
from pipelines.extract import ocr  # noqa: E402
from pipelines.extract.document import extract  # noqa: E402


def text_pdfs(n: int = 4) -> list[bytes]:
    from farm.reports import ReportSpec, generate
    out = []
    for i in range(n):
        g = generate(ReportSpec(agency="清河县人民政府", year=2022, fmt="2021", layout="word", attachment="pdf", seed=i + 1))
        out += [a.data for a in g.attachments if a.data[:5] == b"%PDF-"]
    return out


def timed(docs: list[bytes], repeat: int) -> tuple[float, list]:
    t0 = time.perf_counter()
    last = []
    for _ in range(repeat):
        last = [extract(d) for d in docs]
    return time.perf_counter() - t0, last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="times each document is extracted")
    ap.add_argument("--quick", action="store_true", help="one repeat")
    a = ap.parse_args()
    if a.quick:
        a.repeat = 1
    cpu0 = time.process_time()
    png, truth_png = make.table_png()
    pdf, truth_pdf, npages = make.scanned_pdf()
    ocr._engine()   # model loading (~0.2 s) is paid once per worker, not per page
    pictures = [png, pdf]
    pages = (1 + npages) * a.repeat

    os.environ["NIANBAO_OCR"] = "1"
    dt, docs = timed(pictures, a.repeat)
    ocr_s = sum(d.metadata["ocr"]["seconds"] for d in docs) * a.repeat
    print(f"OCR: {pages} pages in {ocr_s:.1f} s = {pages / ocr_s:.2f} pages/s ({ocr_s / pages:.2f} s/page; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    for d, truth, name in zip(docs, (truth_png, truth_pdf), ("table PNG", "scanned PDF")):
        got = {(c.table, c.row, c.col): c for c in d.cells}
        ok = sum(1 for k, v in truth.items() if k in got and got[k].raw == v["raw"] and got[k].value == v["value"])
        low = sum(1 for c in d.cells if c.confidence is not None and c.confidence < ocr.OCR_MIN_CONFIDENCE)
        print(f"  {name}: {ok}/{len(truth)} cells read as drawn, {low} below {ocr.OCR_MIN_CONFIDENCE}")
    with_ocr = len(pictures) * a.repeat / dt
    print(f"extraction with OCR:    {with_ocr:.3f} docs/s")
    os.environ["NIANBAO_OCR"] = "0"
    dt0, _ = timed(pictures, a.repeat)
    without = len(pictures) * a.repeat / dt0
    print(f"extraction without OCR: {without:.1f} docs/s (pictures left unread)")
    base = text_pdfs()
    dtb, _ = timed(base, a.repeat)
    baseline = len(base) * a.repeat / dtb
    print(f"text PDFs (baseline):   {baseline:.1f} docs/s")
    print(json.dumps({"bench": "ocr", "ratio": round(with_ocr / baseline, 4),
                      "ocr_pages_per_s": round(pages / ocr_s, 3), "ocr_s_per_page": round(ocr_s / pages, 2),
                      "docs_per_s_with_ocr": round(with_ocr, 3), "docs_per_s_without_ocr": round(without, 1),
                      "text_pdf_docs_per_s": round(baseline, 1), "cpu_s": round(time.process_time() - cpu0, 1)}))


if __name__ == "__main__":
    main()
