"""`/-/capture/<id>`: the archived bytes of a capture, straight from its WARC record.

Crawled bytes are untrusted: anything a browser could execute in our origin (HTML, SVG, XML,
JavaScript, unknown types) is served as text/plain, every answer carries `nosniff` and a
sandboxing CSP, and `?download=1` forces a download.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from datasette.utils.asgi import NotFound, Response

from archive.datasette.common import archive_database, rows, warc_dir
from archive.warc import read_record, sha256

# Types a browser renders without running anything of ours; everything else becomes text.
SAFE_INLINE = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp",
               "text/plain", "text/csv"}
DOWNLOAD_ONLY = {"application/msword", "application/vnd.ms-excel", "application/zip",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "application/octet-stream", "application/x-rar-compressed"}
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)
_UNSAFE_NAME = re.compile(r'[^A-Za-z0-9._-]+')


def safe_content_type(declared: str | None) -> tuple[str, bool]:
    """(Content-Type to send, whether it must be downloaded rather than shown)."""
    declared = declared or ""
    mime = declared.split(";")[0].strip().lower()
    charset = _CHARSET.search(declared)
    if mime in SAFE_INLINE:
        if mime.startswith("text/"):
            return f"{mime}; charset={charset.group(1) if charset else 'utf-8'}", False
        return mime, False
    if mime in DOWNLOAD_ONLY:
        return mime, True
    # HTML, XHTML, SVG, XML, JS and unknown types: show the source, never render it.
    return f"text/plain; charset={charset.group(1) if charset else 'utf-8'}", False


def disposition(kind: str, url: str, name: str | None = None) -> str:
    name = name or urlsplit(url).path.rsplit("/", 1)[-1] or "capture"
    ascii_name = _UNSAFE_NAME.sub("_", name).strip("._") or "capture"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def parse_id(text: str) -> int | None:
    """A row id from a URL: a positive SQLite integer, else None (→ 404, never a 500)."""
    ok = text.isascii() and text.isdigit()   # not "１" (full-width), which int() accepts
    return int(text) if ok and 0 < int(text) < 2**63 else None


async def capture_bytes(datasette, request):
    db = await archive_database(datasette, request)
    capture_id = parse_id(request.url_vars["id"])
    if capture_id is None:
        raise NotFound("抓取编号无效")
    found = await rows(db, "SELECT * FROM captures WHERE id = ?", [capture_id])
    if not found or not found[0]["warc_file"]:
        raise NotFound("该抓取没有保存的内容")
    cap = found[0]
    try:
        record = read_record(warc_dir(datasette, db), cap["warc_file"], cap["warc_offset"],
                             cap["warc_length"])
        intact = sha256(record.body) == cap["sha256"] if cap["sha256"] else True
    except Exception as exc:  # noqa: BLE001 - truncated gzip, bad headers…: the record is damaged
        intact, reason = False, f"{type(exc).__name__}"
    else:
        reason = "sha256 differs from the one recorded at capture time"
    if not intact:
        # Never serve partial or altered bytes as if they were the archived ones.
        return Response.text(f"记录已损坏 / record damaged: capture {capture_id} ({reason})",
                             status=500, headers={"X-Content-Type-Options": "nosniff"})
    content_type, must_download = safe_content_type(cap["content_type"])
    download = must_download or request.args.get("download") == "1"
    name = request.args.get("name")
    headers = {
        "Content-Disposition": disposition("attachment" if download else "inline",
                                           cap["final_url"] or cap["url"], name),
        "X-Content-Type-Options": "nosniff",
        # Text is sandboxed (no scripts, opaque origin); Chrome's PDF viewer refuses sandboxing.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
                                   + ("; sandbox" if content_type.startswith("text/") else ""),
        "X-Nianbao-Sha256": cap["sha256"] or "",
        "X-Nianbao-Original-Url": quote(cap["final_url"] or cap["url"], safe=":/?&=%#"),
        "Cache-Control": "public, max-age=86400, immutable",
    }
    return Response(record.body, status=200, headers=headers, content_type=content_type)
