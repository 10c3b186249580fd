"""Which URLs are report files and which are pictures: one list for the spider, the capture
middleware, the adapters and the extractor (docs/report-format.md, "Files").

Offices publish reports as PDF, Word (.doc/.docx), Excel (.xls/.xlsx), WPS (.wps/.et) and OFD;
archives (.zip/.rar/.7z) and plain .txt occur as attachments too. Pictures carry 图解 editions
and scanned pages.
"""
from __future__ import annotations

import re

# Formats whose bytes are a document we archive and try to read.
DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd")
# Those the extractor reads to text; WPS (.wps/.et) and OFD it recognises by their bytes and
# archives unread.
READABLE_DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx")
UNREADABLE_DOCUMENT_EXTENSIONS = tuple(e for e in DOCUMENT_EXTENSIONS if e not in READABLE_DOCUMENT_EXTENSIONS)
# Further files a report page may offer for download.
OTHER_FILE_EXTENSIONS = ("zip", "rar", "7z", "txt")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "bmp", "webp")

_ext = "|".join(DOCUMENT_EXTENSIONS)
# A URL that names a document file (also with a query after it, e.g. `a.pdf?x=1` or `&f=a.pdf&`).
DOCUMENT_URL = re.compile(rf"\.({_ext})(?:$|[?#&])", re.I)
# A URL that names a picture a report page shows (gif/bmp/webp are decoration in practice).
IMAGE_URL = re.compile(r"\.(jpe?g|png)(?:$|[?#])", re.I)
# Download handlers that serve a file without naming it in the path.
DOWNLOAD_PATH = re.compile(r"downfile\.jsp|download\.jsp|/attachment/|/uploadfiles/|/attach/", re.I)
# Looser: a link that may serve a file. DOWNLOAD_PATH plus handler-ish words, TRS file ids
# (P020240208…) and the "{{ATTACH:…}}" placeholders of unrendered pages. The extractor keeps such
# links; the crawler follows only DOWNLOAD_PATH (fewer wasted fetches).
DOWNLOAD_HINT = re.compile(DOWNLOAD_PATH.pattern + r"|downfile|download|uploadfiles|P0\d{10,}|ATTACH:", re.I)


def suffix(url_or_path: str) -> str:
    """The lower-case extension of a URL's path ('' when none)."""
    path = url_or_path.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]
    return path.rsplit(".", 1)[-1].lower() if "." in path else ""


def names_document(url: str) -> bool:
    return bool(DOCUMENT_URL.search(url))


def names_file(url: str) -> bool:
    """Any downloadable file or picture by its extension (the extractor's link finder)."""
    return suffix(url) in DOCUMENT_EXTENSIONS + OTHER_FILE_EXTENSIONS + IMAGE_EXTENSIONS


def names_attachment(url: str) -> bool:
    """A file that may hold the report text, by its extension: a document, an archive or a
    .txt — not a picture."""
    return suffix(url) in DOCUMENT_EXTENSIONS + OTHER_FILE_EXTENSIONS
