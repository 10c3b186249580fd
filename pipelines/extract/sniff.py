"""Document type from magic bytes (never from the file name or the declared MIME type).

Portals serve error pages as `200 text/html` under `.pdf` URLs and Word files as
`application/octet-stream`, so only the bytes are trusted.
"""
from __future__ import annotations

import io
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Zip containers (DOCX/XLSX) are checked from their central directory before python-docx or
# openpyxl inflate anything (zipfile never inflates a member past its declared size):
MAX_ZIP_MEMBERS = 10_000                  # a real DOCX/XLSX has < 200 parts; more is a bomb
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024  # all parts inflated: real 年报 files with pictures < 50 MB
MAX_ZIP_XML_PART = 20 * 1024 * 1024       # one XML part parsed whole (openpyxl: ~0.5 KB a cell); real ones < 5 MB
MAX_ZIP_RATIO = 100                       # inflated/compressed; Office XML deflates 5-30x, zero runs 1000x
ZIP_RATIO_MIN_SIZE = 1024 * 1024          # the ratio only matters for a part that inflates to this much


def zip_problem(data: bytes) -> tuple[str, str] | None:
    """Why a zip container must not be opened: (`zip_bomb` | `too_large`, message), or None.
    Reads only the central directory (no member is inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return None   # not readable as a zip: the Office reader reports its own parse_error
    if len(infos) > MAX_ZIP_MEMBERS:
        return "zip_bomb", f"zip container has {len(infos)} members > {MAX_ZIP_MEMBERS}; not opened"
    for i in infos:
        if i.file_size >= ZIP_RATIO_MIN_SIZE and i.file_size > MAX_ZIP_RATIO * max(1, i.compress_size):
            return "zip_bomb", (f"zip member {i.filename[:80]!r} inflates {i.compress_size} bytes to "
                                f"{i.file_size} (ratio {i.file_size // max(1, i.compress_size)} > "
                                f"{MAX_ZIP_RATIO}); not opened")
    # Members whose data overlap (one deflate stream shared by many names) are a bomb too.
    spans = sorted((i.header_offset, i.header_offset + i.compress_size) for i in infos)
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        return "zip_bomb", "zip members overlap each other; not opened"
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_UNCOMPRESSED:
        return "too_large", (f"zip container inflates to {total} bytes > {MAX_ZIP_UNCOMPRESSED}; "
                             f"not opened")
    for i in infos:
        if i.filename.lower().endswith((".xml", ".rels")) and i.file_size > MAX_ZIP_XML_PART:
            return "too_large", (f"zip member {i.filename[:80]!r} inflates to {i.file_size} bytes > "
                                 f"{MAX_ZIP_XML_PART}; not parsed")
    return None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return "unknown"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "OFD.xml" in names or any(n.lower().endswith("ofd.xml") for n in names):
        return "ofd"
    if "mimetype" in names:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("mimetype") as f:
                mt = f.read(100)   # never inflate a whole member here: it may be a bomb
        except Exception:  # noqa: BLE001 - a broken zip is simply not a known kind
            mt = b""
        if b"wordprocessing" in mt or b"opendocument.text" in mt:
            return "docx"
    return "unknown"  # a plain zip: not a document we read


def _ole_kind(data: bytes) -> str:
    """Word .doc, Excel .xls and WPS files are all OLE2 compound files; tell them apart by the
    stream names in the directory (UTF-16LE) without a full parser."""
    head = data[: 1 << 20]
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") + b"\x00\x00" in head:
        return "xls"
    if "WordDocument".encode("utf-16-le") in head:
        # Kingsoft WPS writes a WordDocument stream too; its own marker tells it apart.
        if b"WPS" in head[:4096] and b"Kingsoft" in head:
            return "wps"
        return "doc"
    if b"K\x00i\x00n\x00g\x00s\x00o\x00f\x00t" in head or b"WPS" in head[:512]:
        return "wps"
    return "doc"


# A BMP's info header is one of these sizes: "BM" alone also starts text ("BM 某某局…").
_BMP_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)


def image_format(data: bytes) -> str | None:
    """png|jpg|gif|bmp|webp|tiff for picture bytes (scans, 图解), None for anything else."""
    head = data[:12]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM") and len(data) > 26 and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    return None


# Control bytes that never occur in text (tab, newlines, form feed and CR excepted).
_CONTROL = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def sniff(data: bytes) -> str:
    """Return one of html|text|pdf|docx|xlsx|xls|doc|wps|ofd|image|unknown."""
    if not data:
        return "unknown"
    head = data[:8]
    if data[:1024].lstrip().startswith(b"%PDF-") or data[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head == OLE_MAGIC:
        return _ole_kind(data)
    if image_format(data):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "doc"  # RTF saved as .doc: antiword cannot read it; treated as text-bearing doc
    # Text: decodable, few control bytes.
    sample = data[:65536]
    low = sample.lower()
    ctrl = len(sample) - len(sample.translate(None, _CONTROL))   # counted in C
    if ctrl > max(8, len(sample) // 200):
        return "unknown"
    stripped = low.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
            t in low for t in (b"<html", b"<body", b"<table", b"<div", b"<p>", b"<p ", b"<meta", b"<td", b"<br")):
        return "html"
    return "text"
