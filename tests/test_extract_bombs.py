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
import io
import threading
import time
import zipfile

import pytest

from pipelines.bounded import FAILURE_CODES, BoundedExtractor
from pipelines.extract.document import extract_document
from pipelines.extract.sniff import sniff

reportlab = pytest.importorskip("reportlab")
psutil = pytest.importorskip("psutil")
from reportlab.pdfgen import canvas  # noqa: E402


# ------------------------------------------------------------------ builders
def ruled_pdf(pages: int = 2, n: int = 1000) -> bytes:
    """`n` horizontal and `n` vertical rulings 5 pt apart on each page (28 KB for 2×1000).
    Before the limits: no page finished in 120 s (RSS 560 MB at the kill)."""
    buf = io.BytesIO()
    side = 40 + 5 * n
    c = canvas.Canvas(buf, pagesize=(side, side), pageCompression=1)
    for p in range(pages):
        c.setLineWidth(0.2)
        for i in range(n):
            c.line(20, 20 + 5 * i, side - 20, 20 + 5 * i)
            c.line(20 + 5 * i, 20, 20 + 5 * i, side - 20)
        c.drawString(30, side - 15, f"annual report page {p + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def many_pages_pdf(n: int = 5000) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(72, 72))
    for i in range(n):
        c.drawString(5, 30, str(i + 1))
        c.showPage()
    c.save()
    return buf.getvalue()


def dense_pdf(chars: int = 40_000) -> bytes:
    """One page holding `chars` characters in 2 pt type."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(1000, 1000))
    c.setFont("Helvetica", 2)
    per_line = 400
    for k in range(chars // per_line):
        c.drawString(10, 990 - 2.4 * k, "x" * per_line)
    c.showPage()
    c.save()
    return buf.getvalue()


def _pdf(objs: list[bytes]) -> bytes:
    """A PDF written by hand: numbered objects, an xref table, a trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def nested_pdf(depth: int = 2_000_000, where: str = "page") -> bytes:
    """An array nested `depth` levels deep in the page dictionary (or its content stream).
    Before the limits: 5M levels (10 MB) took 18 s and 880 MB; 20M levels (40 MB) > 3 GB."""
    deep = b"[" * depth + b"]" * depth
    content = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET"
    if where == "content":
        content = deep + b"\n" + content
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            + (b" /Foo " + deep if where == "page" else b"") + b" >>")
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 page, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"])


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _office_base(kind: str) -> bytes:
    """A real, tiny DOCX (python-docx) or XLSX (openpyxl) to plant the bomb in."""
    buf = io.BytesIO()
    if kind == "docx":
        import docx
        d = docx.Document()
        d.add_paragraph("2023年政府信息公开工作年度报告")
        d.save(buf)
    else:
        import openpyxl
        wb = openpyxl.Workbook()
        wb.active["A1"] = "2023年政府信息公开工作年度报告"
        wb.save(buf)
    return buf.getvalue()


def zip_bomb(kind: str, size: int = 1 << 30) -> bytes:
    """A valid DOCX/XLSX whose main part (word/document.xml, xl/worksheets/sheet1.xml) holds a
    text run of `size` "0"s (4.5 MB on disk). kind "odt": a zip whose `mimetype` is the run.
    Before the limits, python-docx/openpyxl read the whole part into memory and parse it."""
    if kind == "odt":
        members, main = {"content.xml": b"<x/>"}, "mimetype"
        head, tail = b"", b""
    else:
        with zipfile.ZipFile(io.BytesIO(_office_base(kind))) as z:
            members = {n: z.read(n) for n in z.namelist()}
        if kind == "docx":
            main = "word/document.xml"
            head = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
                    f"<w:p><w:r><w:t>").encode()
            tail = b"</w:t></w:r></w:p></w:body></w:document>"
        else:
            main = "xl/worksheets/sheet1.xml"
            head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_S}"><sheetData>'
                    f'<row r="1"><c r="A1" t="inlineStr"><is><t>').encode()
            tail = b"</t></is></c></row></sheetData></worksheet>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, body in members.items():
            if name == main:
                continue
            z.writestr(name, body)
        with z.open(main, "w", force_zip64=True) as f:
            f.write(head)
            chunk = b"0" * (1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
            f.write(tail)
    return buf.getvalue()


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
