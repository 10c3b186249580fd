"""Hostile and broken files end within their limits, with a recorded error or warning code.

Each bomb is built at test time (small on disk, hostile when read): a ruled-grid PDF (thousands
of rulings a page: pdfplumber's table finding takes minutes a page), DOCX and XLSX zip bombs
(a valid zip whose main part inflates to 1 GB), a deeply nested PDF (an array nested 2M levels
deep: pdfminer keeps every level), a 5,000-page PDF and a page with 40,000 characters. The inner
limits (pipelines/extract/grid.py, sniff.py) make each one cheap for `extract_document`; the outer
bound (pipelines/bounded.py) is checked on all of them too, with the crawl's limits.
"""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from farm.portals.bombs import dense_pdf, many_pages_pdf, nested_pdf, ruled_pdf, zip_bomb
from pipelines.bounded import FAILURE_CODES, BoundedExtractor
from pipelines.extract.document import extract_document
from pipelines.extract.sniff import sniff

reportlab = pytest.importorskip("reportlab")
psutil = pytest.importorskip("psutil")


# The builders live with the farm's bombs portal, which serves the same files to a crawl.
# name → (builder, URL, expected code, "error" | "warning")
BOMBS = {
    "ruled_grid_pdf": (ruled_pdf, "http://s.test/ruled.pdf", "table_finding_skipped", "warning"),
    "docx_zip_bomb": (lambda: zip_bomb("docx"), "http://s.test/bomb.docx", "zip_bomb", "error"),
    "xlsx_zip_bomb": (lambda: zip_bomb("xlsx"), "http://s.test/bomb.xlsx", "zip_bomb", "error"),
    "nested_pdf": (nested_pdf, "http://s.test/nested.pdf", "too_deep", "error"),
    "nested_content_pdf": (lambda: nested_pdf(where="content"), "http://s.test/nested2.pdf",
                           "too_deep", "error"),
    "5000_page_pdf": (many_pages_pdf, "http://s.test/long.pdf", "pages_capped", "warning"),
    "dense_page_pdf": (dense_pdf, "http://s.test/dense.pdf", "chars_capped", "warning"),
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, tuple[bytes, str, str, str]]:
    """The bombs, written to disk once (as a crawl would keep them) and read back."""
    d = tmp_path_factory.mktemp("bombs")
    out = {}
    for name, (build, url, code, severity) in BOMBS.items():
        path = d / url.rsplit("/", 1)[1]
        path.write_bytes(build())
        out[name] = (path.read_bytes(), url, code, severity)
        print(f"{name}: {path.stat().st_size} bytes on disk")
    return out


def codes(doc: dict) -> tuple[str | None, list[str]]:
    return (doc["error"] or {}).get("code"), [w["code"] for w in doc["warnings"]]


def assert_outcome(doc: dict, code: str, severity: str) -> None:
    err, warns = codes(doc)
    if severity == "error":
        assert err == code, (err, warns, doc["error"])
        assert doc["cells"] == [] and doc["error"]["message"]
    else:
        assert err is None and code in warns, (err, warns)


@pytest.mark.parametrize("name", list(BOMBS))
def test_extract_document_ends_quickly_with_a_code(bombs, name):
    data, url, code, severity = bombs[name]
    t0 = time.monotonic()
    doc = extract_document(data, url)
    elapsed = time.monotonic() - t0
    print(f"{name}: extract_document {elapsed:.2f} s → error={codes(doc)[0]} warnings={codes(doc)[1]}")
    assert_outcome(doc, code, severity)
    assert elapsed < 10


def test_pdf_caps_keep_what_was_read(bombs):
    doc = extract_document(*bombs["5000_page_pdf"][:2])
    assert doc["metadata"]["pages"] == 5000
    # the first 200 pages (their page numbers) are the text; page 201 is not
    assert "200" in doc["body_text"].split() and "201" not in doc["body_text"].split()
    doc = extract_document(*bombs["ruled_grid_pdf"][:2])
    assert "page 1" in doc["body_text"] and "page 2" in doc["body_text"]   # text read, tables skipped
    assert "p1:" in doc["warnings"][0]["message"] and "p2:" in doc["warnings"][0]["message"]
    doc = extract_document(*bombs["dense_page_pdf"][:2])
    assert 0 < doc["body_text"].count("x") <= 20_000


def test_sniff_never_inflates_a_bomb():
    data = zip_bomb("odt", 256 << 20)
    t0 = time.monotonic()
    assert sniff(data) == "unknown"        # a zip without Office parts; its mimetype not inflated
    assert time.monotonic() - t0 < 1


def test_limits_pass_real_report_files():
    """The farm's generated PDF, DOCX and XLSX reports are read whole: no limit applies."""
    reports = pytest.importorskip("farm.reports")
    for att in ("pdf", "docx", "xlsx"):
        g = reports.generate(reports.ReportSpec(agency="清河县民政局", year=2023,
                                                layout="attachment_only", attachment=att))
        a = g.attachments[0]
        doc = extract_document(a.data, "http://t/" + a.filename)
        assert doc["error"] is None and doc["warnings"] == [] and len(doc["cells"]) == len(a.cells)


def test_bounded_extractor_returns_each_bomb_in_time(bombs):
    """The crawl's bound (1 worker, 60 s, 1024 MB) on every bomb in a row: each comes back in
    time with its own code (not a timeout or a dead worker), and the same worker reads on."""
    ex = BoundedExtractor(processes=1, timeout=60, memory_mb=1024)
    me = psutil.Process()
    peak = {"rss": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for p in me.children(recursive=True):
                try:
                    peak["rss"] = max(peak["rss"], p.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    total = time.monotonic()
    try:
        asyncio.run(ex.extract(b"warm up", "http://s.test/a.txt", {}))   # spawn and imports
        for name, (data, url, code, severity) in bombs.items():
            peak["rss"] = 0
            t0 = time.monotonic()
            doc = asyncio.run(ex.extract(data, url, {}))
            elapsed = time.monotonic() - t0
            print(f"{name}: bounded {elapsed:.2f} s, worker peak RSS {peak['rss'] >> 20} MB "
                  f"(sampled every 20 ms; 0: done before the first sample) → "
                  f"error={codes(doc)[0]} warnings={codes(doc)[1]}")
            assert codes(doc)[0] not in FAILURE_CODES
            assert_outcome(doc, code, severity)
            assert elapsed < 30
    finally:
        stop.set()
        ex.close()
    print(f"all bombs bounded: {time.monotonic() - total:.1f} s")
