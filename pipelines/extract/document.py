"""The one entry point: bytes (+ URL, HTTP headers) → the extract JSON (spec §4 + extras).

`extract_document` never raises: bad input gives a document with `error` set.
"""
from __future__ import annotations

import re

import lxml.html

from nianbao import canon
from .body import (agency_year, clean_title, expand_agency, find_container, find_links, header_fields,
                   html_meta, is_title, meta_get, parse_date, report_year_from_text, signature_date,
                   split_sections, title_from_lines, trim_noise, url_date)
from .decode import decode_bytes, for_matching, strip_pinyin_noise, to_simplified
from .formats import detect_format
from .grid import (Grid, doc_text, docx_stream, html_stream, pdf_stream, text_stream, xls_stream,
                   xlsx_stream)
from .match import heading_section, match_tokens
from .sniff import sniff

EXTRACTOR_VERSION = "nianbao-extract/1.0"
MAX_BYTES = 40 * 1024 * 1024
NOT_EXTRACTABLE = {"wps": "WPS document", "ofd": "OFD document", "image": "image (图解/scan)"}
_ATTACH_WORDS = re.compile(r"详见附件|见附件|附件[:：]|点击下载|下载附件|附件下载")
_GRAPHIC_WORDS = re.compile(r"图解|一图读懂|一图看懂|图说|图片版|图文解读")


def _blank(doc_type: str, url: str | None) -> dict:
    return {"title": None, "agency": None, "report_year": None, "published": None, "format": None,
            "tables": {}, "cells": [], "checks": [], "doc_type": doc_type, "body_text": "",
            "sections": [], "metadata": {}, "kind": None, "links": [], "legacy_tables": [],
            "extractor_version": EXTRACTOR_VERSION, "error": None, "url": url}


# Office files whose tables come out as grids (merged cells expanded) in document order.
_OFFICE_STREAMS = {"docx": docx_stream, "xlsx": xlsx_stream, "xls": xls_stream}


def extract_document(data: bytes, url: str | None = None, headers: dict | None = None) -> dict:
    try:
        return _extract(data, url, headers)
    except Exception as e:  # noqa: BLE001 - the contract: never throw, say what went wrong
        doc = _blank("unknown", url)
        try:
            doc["doc_type"] = sniff(data) if isinstance(data, (bytes, bytearray)) else "unknown"
        except Exception:  # noqa: BLE001
            pass
        doc["error"] = {"code": "internal", "message": f"{type(e).__name__}: {e}"[:500]}
        return doc


def _html_root(text: str):
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def _trafilatura_lines(text: str, url: str | None) -> list[str]:
    try:
        import trafilatura
        out = trafilatura.extract(text, url=url, include_tables=True, include_comments=False,
                                  favor_recall=True, deduplicate=False)
    except Exception:  # noqa: BLE001 - trafilatura is a helper, not a requirement
        out = None
    return [ln.strip() for ln in (out or "").splitlines() if ln.strip()]


def _extract(data, url, headers) -> dict:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data is None or not isinstance(data, (bytes, bytearray)):
        doc = _blank("unknown", url)
        doc["error"] = {"code": "bad_input", "message": f"expected bytes, got {type(data).__name__}"}
        return doc
    data = bytes(data)
    if not data.strip():
        doc = _blank("unknown", url)
        doc["error"] = {"code": "empty", "message": "no bytes"}
        return doc
    doc_type = sniff(data)
    doc = _blank(doc_type, url)
    if len(data) > MAX_BYTES:
        doc["error"] = {"code": "too_large", "message": f"{len(data)} bytes > {MAX_BYTES}"}
        return doc
    if doc_type in NOT_EXTRACTABLE:
        doc["kind"] = "graphic" if doc_type == "image" else "attachment_only"
        doc["error"] = {"code": "not_extractable",
                        "message": f"{NOT_EXTRACTABLE[doc_type]}: recognised, no text extractor"}
        return doc
    if doc_type == "unknown":
        doc["error"] = {"code": "unknown_type", "message": "bytes are not HTML, text, PDF, Word or Excel"}
        return doc

    meta: dict[str, str] = {}
    lines: list[str] = []
    grids: list[Grid] = []
    links: list[dict] = []
    has_img_only = False
    title = None
    warn = None
    try:
        if doc_type == "html":
            text, enc = decode_bytes(data, headers)
            doc["metadata"]["encoding"] = enc
            root = _html_root(text)
            for bad in root.xpath("//script|//style|//noscript"):
                bad.drop_tree() if bad.getparent() is not None else None
            meta = html_meta(root)
            base = root.xpath("//base/@href")
            base_url = urljoin_safe(url, base[0]) if base else url
            cont, sel = find_container(root)
            body_el = root.find("body") if root.find("body") is not None else root
            scope = cont if cont is not None else body_el
            toks, grids, lines = html_stream(scope)
            res = match_tokens(toks)
            if cont is not None and not res.cells:
                toks2, grids2, _ = html_stream(body_el)
                res2 = match_tokens(toks2)
                if res2.cells:
                    res, grids = res2, grids2
            if cont is None:
                walk_lines = lines
                tl = _trafilatura_lines(text, url) if len(text) < 3_000_000 else []
                lines = tl if len("".join(tl)) >= 0.3 * len("".join(walk_lines)) and tl else walk_lines
                page_lines = walk_lines
            else:
                _, _, page_lines = html_stream(body_el)
            doc["metadata"]["container"] = sel
            links = find_links(scope, base_url)
            has_img_only = bool(scope.xpath(".//img")) and len("".join(lines)) < 200
            title = clean_title(meta_get(meta, "ArticleTitle", "og:title"))
            if not title:
                for h in root.xpath("//h1|//h2|//*[contains(@class,'title')]|//*[contains(@id,'title')]"):
                    t = clean_title(h.text_content())
                    if t and is_title(t):
                        title = t
                        break
            if not title:
                t = root.findtext(".//title") or ""
                for part in re.split(r"[_|｜]| - | — ", t):
                    if is_title(part.strip()):
                        title = clean_title(part)
                        break
            top_lines = page_lines
            if url and url.split("?")[0].lower().endswith((".pdf", ".doc", ".docx", ".xls", ".xlsx")):
                warn = {"code": "type_mismatch",
                        "message": "the URL names a document file but the bytes are an HTML page"}
            elif b"</html" not in data[-4096:].lower() and b"<html" in data[:4096].lower():
                warn = {"code": "truncated", "message": "HTML ends before </html>: extracted what is there"}
        elif doc_type == "text":
            text, enc = decode_bytes(data, headers)
            doc["metadata"]["encoding"] = enc
            toks, lines = text_stream(text)
            res = match_tokens(toks)
            top_lines = lines
        elif doc_type == "pdf":
            toks, grids, lines, npages = pdf_stream(data)
            doc["metadata"]["pages"] = npages
            res = match_tokens(toks)
            top_lines = lines
        elif doc_type in _OFFICE_STREAMS:
            toks, grids, lines = _OFFICE_STREAMS[doc_type](data)
            res = match_tokens(toks)
            top_lines = lines
        elif doc_type == "doc":
            text = doc_text(data)
            toks, lines = text_stream(text, "doc")
            res = match_tokens(toks)
            top_lines = lines
        else:  # pragma: no cover - sniff returns only the kinds above
            raise ValueError(doc_type)
    except Exception as e:  # noqa: BLE001 - a broken file of a known type
        doc["error"] = {"code": "parse_error", "message": f"{doc_type}: {type(e).__name__}: {e}"[:500]}
        return doc

    # ---------------------------------------------------------- metadata
    fields = header_fields(top_lines)
    md = doc["metadata"]
    md["meta"] = meta
    md["header"] = fields
    if not title:
        title = clean_title(fields.get("标题") or fields.get("名称")) if is_title(fields.get("标题") or fields.get("名称") or "") else None
    if not title:
        title = title_from_lines(top_lines) or (title_from_lines(lines) if lines is not top_lines else None)
    agency, year = agency_year(title)
    agency = expand_agency(agency, top_lines, fields)
    published_sources = [
        ("meta:PubDate", meta_get(meta, "PubDate", "firstpublishedtime", "publishdate", "article:published_time")),
        ("header:发布日期", fields.get("发布日期")), ("header:公布日期", fields.get("公布日期")),
        ("header:发布时间", fields.get("发布时间")), ("header:日期", fields.get("日期")),
        ("header:时间", fields.get("时间")), ("header:发文日期", fields.get("发文日期")),
        ("header:成文日期", fields.get("成文日期")), ("signature", signature_date(lines)),
        ("url", url_date(url)),
    ]
    dates = {}
    published = None
    for src, val in published_sources:
        d = parse_date(val)
        if d:
            dates[src] = d
            if published is None:
                published = d
    md["dates"] = dates
    md["published_from"] = next((s for s, v in published_sources if parse_date(v)), None)
    if year is None:
        year = report_year_from_text("\n".join(lines))
    if year is None and published:
        year = int(published[:4]) - 1
    src_agency = meta_get(meta, "ContentSource") or fields.get("发布机构") or fields.get("发文机关") or fields.get("信息来源")
    if src_agency:
        md["source_agency"] = src_agency
    if not agency and src_agency:
        agency = to_simplified(for_matching(src_agency)).strip() or None

    # ---------------------------------------------------------- body and sections
    start = 0
    first_heading = next((i for i, ln in enumerate(lines) if "|" not in ln and heading_section(ln)), len(lines))
    for i, ln in enumerate(lines[:min(80, first_heading)]):
        if title and for_matching(ln).replace(" ", "").endswith(for_matching(title)[-12:]):
            start = i
            break
    body_lines = [strip_pinyin_noise(ln) for ln in trim_noise(lines, start)]
    doc["body_text"] = "\n".join(body_lines)
    doc["sections"] = split_sections(body_lines)

    # ---------------------------------------------------------- cells, tables, format
    cells = res.cells
    tables: dict = {}
    for c in cells:
        tables.setdefault(c["table"], {}).setdefault(c["row"], {})[c["col"]] = c["value"]
    legacy = []
    if not cells:
        for g in grids:
            texts = g.texts()
            nums = sum(1 for r in texts for t in r if re.fullmatch(r"[\d,，.]+", t or ""))
            if len(texts) >= 2 and nums >= 2:
                legacy.append({"locator": g.prefix, "rows": texts})
    fmt = detect_format(cells, res.t2_cols, bool(legacy), for_matching(doc["body_text"]), year)
    if fmt != canon.FORMAT_LEGACY:
        legacy = []

    # ---------------------------------------------------------- kind
    tl = for_matching(title or "")
    if cells or legacy:
        kind = "report"
    elif _GRAPHIC_WORDS.search(tl) or has_img_only:
        kind = "graphic"
    elif len(doc["sections"]) < 3 and len(doc["body_text"]) < 800 and (
            _ATTACH_WORDS.search(for_matching(doc["body_text"])) or any(
                l["url"].split("?")[0].lower().endswith((".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd",
                                                         ".zip", ".rar", ".et"))
                or "downfile" in l["url"] or "ATTACH" in l["url"] for l in links)):
        kind = "attachment_only"  # a short body that points at the file holding the report
    else:
        kind = "prose_only"

    doc.update({"title": title, "agency": agency, "report_year": year, "published": published,
                "format": fmt, "tables": tables, "cells": cells, "kind": kind, "links": links,
                "legacy_tables": legacy})
    if warn:
        doc["error"] = warn
    elif any(g.truncated for g in grids):
        doc["error"] = {"code": "table_too_large",
                        "message": "a table exceeds the cell limit; it was read up to the limit"}
    elif not cells and not doc["body_text"].strip() and not links:
        doc["error"] = {"code": "no_content", "message": "no text and no tables found"}
    return doc


def urljoin_safe(base: str | None, href: str) -> str | None:
    from urllib.parse import urljoin
    try:
        return urljoin(base, href) if base else href
    except ValueError:
        return base
