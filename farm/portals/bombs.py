"""A portal of bombs (opt-in, for the limits in docs/report-format.md "Limits" and the capture
middleware): a gkmlpt-style 年报 column whose JSON list mixes ordinary reports (page + a real
PDF/DOCX/XLSX attachment) with reports whose files are hostile —

  * a ruled-grid PDF and a 5,000-page PDF, listed as the report itself (their codes are warnings,
    kept in the report version's document);
  * a DOCX and an XLSX zip bomb and a deeply nested PDF, linked as attachments of a report page
    (their codes are errors, kept in `attachments.error`);
  * a report page served with `Content-Encoding: gzip` that inflates past DOWNLOAD_MAXSIZE;
  * a report link that redirects A → B → A.

The builders are shared with tests/test_extract_bombs.py. Bombs are built lazily (a zip bomb
deflates 1 GB of zeros: a few seconds) and cached; `warm()` builds them ahead of a crawl.
Not listed by `Farm.sources()` / `Farm.manifest()`: a test takes `sources(farm)` and
`manifest(farm)` from this module, as for farm/portals/hostile.py.
"""
from __future__ import annotations

import gzip
import io
import threading
import zipfile

from farm.portals.base import (
    Req,
    Resp,
    esc,
    html_resp,
)
from farm.portals.catalog import Plan
from farm.portals.optin import OptInColumn


# ------------------------------------------------------------------ builders
def ruled_pdf(pages: int = 2, n: int = 1000) -> bytes:
    """`n` horizontal and `n` vertical rulings 5 pt apart on each page (28 KB for 2×1000).
    Before the limits: no page finished in 120 s (RSS 560 MB at the kill)."""
    from reportlab.pdfgen import canvas
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
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(72, 72))
    for i in range(n):
        c.drawString(5, 30, str(i + 1))
        c.showPage()
    c.save()
    return buf.getvalue()


def dense_pdf(chars: int = 40_000) -> bytes:
    """One page holding `chars` characters in 2 pt type."""
    from reportlab.pdfgen import canvas
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
    pg = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
          + (b" /Foo " + deep if where == "page" else b"") + b" >>")
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 pg, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"])


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


def gzip_bomb(size: int = 128 << 20) -> bytes:
    """A gzip stream of an HTML page padded with `size` spaces (~130 KB for 128 MB): served with
    `Content-Encoding: gzip`, it inflates past the crawler's DOWNLOAD_MAXSIZE (64 MB)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(b"<!DOCTYPE html><html><head><title>2023</title></head><body>")
        chunk = b" " * (1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
        f.write(b"</body></html>")
    return buf.getvalue()


# ------------------------------------------------------------------ the portal
HOST = "www.bomb-county.gov.cn.test"
SID, CLASSIFY = "990002", 2612
PLACE = "雷池县"

# Ordinary reports: a page and one real attachment each.
PLAN = Plan(
    portal="farm-bombs", place=PLACE, years=(2023,), units=("gov", "d0", "d1"),
    specials=({"unit": "gov", "year": 2023, "layout": "word", "attachment": "pdf"},
              {"unit": "d0", "year": 2023, "layout": "editor", "attachment": "docx"},
              {"unit": "d1", "year": 2023, "layout": "word", "attachment": "xlsx"}),
    noise=0, seed=98, id_base=9800000)

# key → (department, builder, file name, how it is listed, expected code, "error" | "warning").
# "file": the list links the file itself (the report is the file); "page": a report page links it.
BOMBS = {
    "ruled_grid_pdf": ("统计局", ruled_pdf, "ruled.pdf", "file", "table_finding_skipped", "warning"),
    "5000_page_pdf": ("档案局", many_pages_pdf, "long.pdf", "file", "pages_capped", "warning"),
    "docx_zip_bomb": ("教育局", lambda: zip_bomb("docx"), "bomb.docx", "page", "zip_bomb", "error"),
    "xlsx_zip_bomb": ("财政局", lambda: zip_bomb("xlsx"), "bomb.xlsx", "page", "zip_bomb", "error"),
    "nested_pdf": ("审计局", nested_pdf, "nested.pdf", "page", "too_deep", "error"),
}
MIMES = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _title(dept: str) -> str:
    return f"{PLACE}{dept}2023年政府信息公开工作年度报告"


class BombsPortal(OptInColumn):
    id = "farm-bombs"
    name = "雷池县人民政府 政府信息公开年报（炸弹门户）"
    platform = "gkmlpt"
    hosts = (HOST,)
    region = PLACE
    site = "雷池县人民政府"
    idcode = "9999990002"
    sid, classify, expect, domain, prefix = SID, CLASSIFY, "bombs", "www.bomb-county.gov.cn", "/bombs/"
    article_ids = 9100

    def __init__(self, farm):
        super().__init__(farm, PLAN)
        self._built: dict[str, bytes] = {}
        self._build_lock = threading.Lock()

    def data(self, key: str) -> bytes:
        """The bomb's bytes (built once; "gzip" is the gzip bomb)."""
        with self._build_lock:
            if key not in self._built:
                self._built[key] = gzip_bomb() if key == "gzip" else BOMBS[key][1]()
            return self._built[key]

    def warm(self) -> None:
        for key in [*BOMBS, "gzip"]:
            self.data(key)

    # -- the hostile entries
    def bombs(self) -> list[dict]:
        base, out = self.base(), []
        for key, (dept, _b, fname, how, code, severity) in BOMBS.items():
            file_url = f"{base}/bombs/files/{fname}"
            out.append({"key": key, "title": _title(dept), "code": code, "severity": severity,
                        "url": file_url if how == "file" else f"{base}/bombs/{key}.html",
                        "file_url": file_url, "listed_as": how})
        out.append({"key": "gzip_bomb", "title": _title("商务局"), "url": f"{base}/bombs/gzip.html",
                    "outcome": "too_large"})
        out.append({"key": "redirect_loop", "title": _title("信访局"), "url": f"{base}/bombs/loop-a.html",
                    "loop": [f"{base}/bombs/loop-a.html", f"{base}/bombs/loop-b.html"], "outcome": "error"})
        return out

    def listed(self) -> list[dict]:
        return self.bombs()

    def findings(self) -> dict:
        return {"bombs": self.bombs()}

    def bomb_page(self, req: Req, key: str) -> str:
        dept, _b, fname, *_ = BOMBS[key]
        title = _title(dept)
        body = (f"<p>{esc(title)}全文见附件。</p>"
                f'<p>附件：<a href="/bombs/files/{fname}">{esc(title)}.{fname.rsplit(".", 1)[1]}</a></p>')
        return self.article(req, title, self.published(), body)

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/bombs/gzip.html":
            # sent whatever Accept-Encoding says: a hostile server does not ask
            return Resp(body=self.data("gzip"), headers=[("Content-Encoding", "gzip")])
        if p.startswith("/bombs/files/"):
            fname = p.rsplit("/", 1)[1]
            key = next((k for k, b in BOMBS.items() if b[2] == fname), None)
            if key is not None:
                return Resp(body=self.data(key), ctype=MIMES[fname.rsplit(".", 1)[1]])
        if p.startswith("/bombs/") and p.endswith(".html") and p[7:-5] in BOMBS:
            return html_resp(self.bomb_page(req, p[7:-5]))
        return super().handle(req)


def portal_of(farm) -> BombsPortal:
    return farm.by_host[HOST]


def sources(farm) -> list[dict]:
    return portal_of(farm).own_sources()


def manifest(farm) -> dict:
    return portal_of(farm).own_manifest()
