"""The one entry point: bytes (+ URL, HTTP headers) → a `nianbao.model.Document`.

`extract` never raises: input that cannot be read gives a document with `error` set; trouble
after which the content was still read is a warning (docs/report-format.md). `extract_document`
is the same as the extract JSON, the form the crawl's process pool and the archive carry.
"""
from __future__ import annotations

import re

import lxml.html

from nianbao import canon
from nianbao.filetypes import (
    DOCUMENT_EXTENSIONS,
    DOWNLOAD_HINT,
    IMAGE_EXTENSIONS,
    UNREADABLE_DOCUMENT_EXTENSIONS,
    names_attachment,
    suffix,
)
from nianbao.model import Cell, Document, LegacyTable, Link, Problem, Section, tables_of
from nianbao.titles import GRAPHIC

from . import ocr
from .body import (
    agency_year,
    clean_title,
    expand_agency,
    find_container,
    find_links,
    header_fields,
    html_meta,
    is_title,
    meta_get,
    parse_date,
    report_year_from_text,
    signature_agency,
    signature_date,
    split_sections,
    title_from_lines,
    trim_noise,
    url_date,
)
from .cells import clean_raw
from .decode import decode_bytes, for_matching, strip_pinyin_noise, to_simplified
from .formats import detect_format
from .grid import (
    Grid,
    LimitExceeded,
    doc_text,
    docx_stream,
    html_stream,
    pdf_info,
    pdf_stream,
    text_stream,
    xls_stream,
    xlsx_stream,
)
from .match import heading_section, match_tokens
from .ocr import OcrResult
from .sniff import sniff, zip_problem
from .stated import stated_figures

EXTRACTOR_VERSION = "nianbao-extract/1.1"
MAX_BYTES = 40 * 1024 * 1024   # a real 年报 file is < 10 MB; the other limits are in grid.py and sniff.py
# Kinds sniff() recognises but nothing here reads: WPS/OFD files (archived unread) and pictures.
NOT_EXTRACTABLE = {**{e: f"{e.upper()} document" for e in UNREADABLE_DOCUMENT_EXTENSIONS},
                   "image": "image (图解/scan)"}
_ATTACH_WORDS = re.compile(r"详见附件|见附件|附件[:：]|点击下载|下载附件|附件下载")


def failed(doc_type: str, url: str | None, code: str, message: str, **fields) -> Document:
    """A document that could not be read: its sniffed type and why (the same shape as any other)."""
    return Document(doc_type=doc_type, url=url, extractor_version=EXTRACTOR_VERSION,
                    error=Problem.error(code, message), **fields)


# Office files whose tables come out as grids (merged cells expanded) in document order.
_OFFICE_STREAMS = {"docx": docx_stream, "xlsx": xlsx_stream, "xls": xls_stream}
_ZIP_TYPES = {"docx", "xlsx"}


def extract(data: bytes, url: str | None = None, headers: dict | None = None) -> Document:
    try:
        return _extract(data, url, headers)
    except Exception as e:  # noqa: BLE001 - the contract: never throw, say what went wrong
        try:
            doc_type = sniff(data) if isinstance(data, (bytes, bytearray)) else "unknown"
        except Exception:  # noqa: BLE001
            doc_type = "unknown"
        return failed(doc_type, url, "internal", f"{type(e).__name__}: {e}"[:500])


def extract_document(data: bytes, url: str | None = None, headers: dict | None = None) -> dict:
    """`extract(...)` as the extract JSON (Document.to_json)."""
    return extract(data, url, headers).to_json()


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


def _extract(data, url, headers) -> Document:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data is None or not isinstance(data, (bytes, bytearray)):
        return failed("unknown", url, "bad_input", f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.strip():
        return failed("unknown", url, "empty", "no bytes")
    doc_type = sniff(data)
    if len(data) > MAX_BYTES:
        return failed(doc_type, url, "too_large", f"{len(data)} bytes > {MAX_BYTES}")
    if doc_type in NOT_EXTRACTABLE and not (doc_type == "image" and ocr.enabled()):
        why = f" (OCR off: {ocr.off_reason()})" if doc_type == "image" else ""
        return failed(doc_type, url, "not_extractable",
                       f"{NOT_EXTRACTABLE[doc_type]}: recognised, no text extractor{why}",
                       kind="graphic" if doc_type == "image" else "attachment_only")
    if doc_type == "unknown":
        return failed(doc_type, url, "unknown_type", "bytes are not HTML, text, PDF, Word or Excel")

    md: dict = {}
    meta: dict[str, str] = {}
    lines: list[str] = []
    grids: list[Grid] = []
    links: list[dict] = []
    has_img_only = False
    title = None
    warnings: list[Problem] = []
    ocr_res: OcrResult | None = None   # set when the text came from OCR (docs/report-format.md#ocr)
    try:
        if doc_type == "image":   # a scan or a 图解: OCR (NIANBAO_OCR=0 stops above, not_extractable)
            try:
                ocr_res = ocr.ocr_image(data)
            except LimitExceeded:
                raise
            except Exception as e:  # noqa: BLE001 - undecodable bytes, or OCR out of memory: as without OCR
                return failed(doc_type, url, "not_extractable",
                               f"{NOT_EXTRACTABLE[doc_type]}: not read by OCR ({type(e).__name__})", kind="graphic")
            toks, grids, lines = ocr_res.toks, ocr_res.grids, ocr_res.lines
            res = match_tokens(toks)
            top_lines = lines
            has_img_only = True
        elif doc_type == "html":
            text, enc = decode_bytes(data, headers)
            md["encoding"] = enc
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
            page_lines = None
            if cont is not None and not res.cells:
                toks2, grids2, page_lines = html_stream(body_el)
                res2 = match_tokens(toks2)
                if res2.cells:
                    res, grids = res2, grids2
            if cont is None:
                walk_lines = lines
                tl = _trafilatura_lines(text, url) if len(text) < 3_000_000 else []
                lines = tl if len("".join(tl)) >= 0.3 * len("".join(walk_lines)) and tl else walk_lines
                page_lines = walk_lines
            elif page_lines is None:
                page_lines = _page_lines(body_el, cont, lines)
            md["container"] = sel
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
            if url and suffix(url) in DOCUMENT_EXTENSIONS:
                warnings.append(Problem.warning(
                    "type_mismatch", "the URL names a document file but the bytes are an HTML page"))
            if b"</html" not in data[-4096:].lower() and b"<html" in data[:4096].lower():
                warnings.append(Problem.warning(
                    "truncated", "HTML ends before </html>: extracted what is there"))
        elif doc_type == "text":
            text, enc = decode_bytes(data, headers)
            md["encoding"] = enc
            toks, lines = text_stream(text)
            res = match_tokens(toks)
            top_lines = lines
        elif doc_type == "pdf":
            toks, grids, lines, npages, pdf_warnings = pdf_stream(data)
            md["pages"] = npages
            # the document information (Title, Author…), a fallback for title and agency
            meta = {f"pdf:{k}": v for k, v in pdf_info(data).items()}
            warnings.extend(pdf_warnings)
            res = match_tokens(toks)
            top_lines = lines
            if not res.cells and ocr.enabled():
                try:   # a scan, or tables pasted as pictures
                    ocr_res = ocr.read_pdf(data, toks, grids, lines, npages)
                except Exception as e:  # noqa: BLE001 - the text layer's reading stands
                    warnings.append(Problem.warning("ocr_failed", f"{type(e).__name__}: {e}"[:300]))
                if ocr_res is not None:
                    toks, grids, lines = ocr_res.toks, ocr_res.grids, ocr_res.lines
                    res = match_tokens(toks)
                    top_lines = lines
        elif doc_type in _OFFICE_STREAMS:
            if doc_type in _ZIP_TYPES:
                bomb = zip_problem(data)   # before python-docx/openpyxl inflate anything
                if bomb:
                    return failed(doc_type, url, bomb[0], bomb[1])
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
    except LimitExceeded as e:   # a hostile file: refused with its own code, nothing kept
        return failed(doc_type, url, e.code, e.message[:500], metadata=md)
    except Exception as e:  # noqa: BLE001 - a broken file of a known type
        return failed(doc_type, url, "parse_error", f"{doc_type}: {type(e).__name__}: {e}"[:500],
                       metadata=md)

    # ---------------------------------------------------------- metadata
    fields = header_fields(top_lines)
    md["meta"] = meta
    md["header"] = fields
    if not title:
        named = fields.get("标题") or fields.get("名称") or ""
        title = clean_title(named) if is_title(named) else None
    if not title:
        title = title_from_lines(top_lines) or (title_from_lines(lines) if lines is not top_lines else None)
    pdf_title = clean_title(meta.get("pdf:Title"))
    if pdf_title and not is_title(pdf_title):
        pdf_title = None
    if not title:
        title = pdf_title
    agency, year = agency_year(title)
    # agency: the title, else the signature block (落款), else the PDF's own title
    agency = agency or signature_agency(lines) or (agency_year(pdf_title)[0] if pdf_title else None)
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
    body_text = "\n".join(body_lines)
    sections = split_sections(body_lines)

    # ---------------------------------------------------------- cells, tables, format
    cells = res.cells
    if ocr_res is not None:   # OCR'd cells are marked and the doubtful ones named
        warnings.extend(ocr_res.warnings + ocr.mark_cells(cells, ocr_res.confidence))
        md["ocr"] = ocr_res.metadata()
    warnings.extend(Problem.warning(code, msg) for code, msg in getattr(res, "notes", ()))
    legacy = []
    if not cells:
        for g in grids:
            texts = g.texts()
            nums = sum(1 for r in texts for t in r if re.fullmatch(r"[\d,，.]+", t or ""))
            if len(texts) >= 2 and nums >= 2:
                legacy.append({"locator": g.prefix, "rows": texts})
    fmt = detect_format(cells, res.t2_cols, bool(legacy), for_matching(body_text), year)
    if fmt != canon.FORMAT_LEGACY:
        legacy = []

    # ---------------------------------------------------------- kind
    tl = for_matching(title or "")
    if cells or legacy:
        kind = "report"
    elif GRAPHIC.search(tl) or (has_img_only and canon.report_sections(s["key"] for s in sections)
                                          < canon.SECTIONS_OF_A_REPORT):
        kind = "graphic"
    elif len(sections) < 3 and len(body_text) < 800 and (
            _ATTACH_WORDS.search(for_matching(body_text)) or any(_points_at_file(lk["url"]) for lk in links)):
        kind = "attachment_only"  # a short body that points at the file holding the report
    else:
        kind = "prose_only"

    if any(g.truncated for g in grids):
        warnings.append(Problem.warning(
            "table_too_large", "a table exceeds the cell limit; it was read up to the limit"))
    error = None
    if not cells and not body_text.strip() and not links:
        error = Problem.error("no_content", "no text and no tables found")
    cell_objs = tuple(Cell.from_json(c) for c in cells)
    return Document(
        doc_type=doc_type, url=url, title=title, agency=agency, report_year=year, published=published,
        format=fmt, kind=kind, tables=tables_of(cell_objs), cells=cell_objs, body_text=body_text,
        sections=tuple(Section.from_json(s) for s in sections), metadata=md,
        links=tuple(Link.from_json(lk) for lk in links),
        legacy_tables=tuple(LegacyTable.from_json(t) for t in legacy),
        extractor_version=EXTRACTOR_VERSION, error=error, warnings=tuple(warnings),
        stated=tuple(stated_figures(body_text)))   # what the text says the tables hold (S-TEXT-TABLE)


_CONTAINER_MARK = "\ue000nianbao-container\ue000"   # private-use characters: never in a page


def _page_lines(body_el, cont, cont_lines: list[str]) -> list[str]:
    """The text lines of the whole page (header lines: title, 发布日期, 索引号…), the same as
    `html_stream(body_el)[2]`, without walking the container's tables a second time: the
    container is swapped for a marker block, the rest of the page is walked, and the container's
    own lines (already read) go where the marker is. A block container outside any table is
    walked on its own exactly as inside the page (a block flushes the line before and after it);
    any other container is walked again with the page."""
    tag = cont.tag.lower() if isinstance(cont.tag, str) else ""
    parent = cont.getparent()
    if (parent is None or tag not in _SWAPPABLE or next(cont.iterancestors("table"), None) is not None
            or (tag in ("p", "div") and "|" in (cont.text or ""))):
        return html_stream(body_el)[2]
    inner = list(cont_lines)
    # html_stream(cont) ends with the container's tail text, which the page walk reads after it.
    if inner and cont.tail and clean_raw(cont.tail) and inner[-1] == clean_raw(cont.tail):
        inner.pop()
    elif cont.tail and clean_raw(cont.tail):
        return html_stream(body_el)[2]
    mark = lxml.html.Element("div")
    mark.text, mark.tail = _CONTAINER_MARK, cont.tail
    parent.replace(cont, mark)
    try:
        outside = html_stream(body_el)[2]
    finally:
        parent.replace(mark, cont)
        cont.tail = mark.tail
    at = [i for i, ln in enumerate(outside) if _CONTAINER_MARK in ln]
    if len(at) != 1 or outside[at[0]] != _CONTAINER_MARK:
        return html_stream(body_el)[2]
    return outside[:at[0]] + inner + outside[at[0] + 1:]


# Block elements a container may be for _page_lines (tables and <pre> are read differently).
_SWAPPABLE = {"div", "section", "article", "center", "blockquote", "p", "dd", "dl", "form", "header",
              "footer", "li", "ul", "ol"}


def _points_at_file(url: str) -> bool:
    """A link to the file that may hold the report: a document or archive by its name, or a
    download handler. Pictures are 图解, not attachments."""
    return names_attachment(url) or (suffix(url) not in IMAGE_EXTENSIONS and bool(DOWNLOAD_HINT.search(url)))


def urljoin_safe(base: str | None, href: str) -> str | None:
    from urllib.parse import urljoin
    try:
        return urljoin(base, href) if base else href
    except ValueError:
        return base
