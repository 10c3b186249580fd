"""No input crashes the extractor: broken files give a clear error; random tables go through
the grid and the label matcher without exceptions and without inventing cells."""
from __future__ import annotations

import io
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao import canon
from pipelines.extract.cells import parse_cell
from pipelines.extract.document import extract_document
from pipelines.extract.grid import expand, grid_tokens
from pipelines.extract.match import match_tokens
from pipelines.extract.sniff import sniff

KEYS = {"title", "agency", "report_year", "published", "format", "tables", "cells", "checks", "doc_type",
        "body_text", "sections", "metadata", "kind", "links", "legacy_tables", "extractor_version", "error",
        "url", "warnings", "stated"}


def ok_shape(d):
    assert set(d) == KEYS
    assert d["checks"] == []
    assert all(set(w) == {"code", "message"} for w in d["warnings"])
    return d


def warning_codes(d) -> list[str]:
    return [w["code"] for w in d["warnings"]]


def test_empty_and_random_bytes():
    assert ok_shape(extract_document(b""))["error"]["code"] == "empty"
    d = ok_shape(extract_document(os.urandom(4096) + b"\x00\x01\x02"))
    assert d["error"]["code"] == "unknown_type"
    assert ok_shape(extract_document(None))["error"]["code"] == "bad_input"


def test_pdf_that_is_html():
    page = b"<html><head><title>404</title></head><body><h1>\xe9\xa1\xb5\xe9\x9d\xa2\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</h1></body></html>"
    d = ok_shape(extract_document(page, url="http://x.gov.cn/P020240208.pdf"))
    assert d["doc_type"] == "html"
    # The page was read (a 404 text): a warning, not an error.
    assert d["error"] is None and warning_codes(d) == ["type_mismatch"]
    assert d["cells"] == []


def test_truncated_html_keeps_what_is_there():
    page = ("<html><body><div id='zoom'><p>三、收到和处理政府信息公开申请情况</p><table><tr><td>一、本年新收政府信息公开申请数量</td>"
            "<td>5</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>5</td></tr><tr><td>二、上年结转").encode()
    d = ok_shape(extract_document(page))
    assert d["error"] is None and warning_codes(d) == ["truncated"]
    assert d["tables"]["t3"]["new_received"]["total"] == 5
    # A document URL serving a truncated page: both warnings, the cells still read.
    d = ok_shape(extract_document(page, url="http://x.gov.cn/a.docx?id=1"))
    assert d["error"] is None and warning_codes(d) == ["type_mismatch", "truncated"]
    assert d["tables"]["t3"]["new_received"]["total"] == 5


def test_truncated_pdf_and_broken_zip():
    d = ok_shape(extract_document(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"))
    assert d["doc_type"] == "pdf" and d["error"]["code"] in ("parse_error", "no_content")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<not-xml")
    d = ok_shape(extract_document(buf.getvalue()))
    assert d["doc_type"] == "docx" and d["error"]["code"] == "parse_error"


def test_empty_docx():
    import docx
    buf = io.BytesIO()
    docx.Document().save(buf)
    d = ok_shape(extract_document(buf.getvalue()))
    assert d["doc_type"] == "docx" and d["error"]["code"] == "no_content" and d["cells"] == []


def test_not_extractable_kinds():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    d = ok_shape(extract_document(png))
    assert (d["doc_type"], d["kind"], d["error"]["code"]) == ("image", "graphic", "not_extractable")
    ofd = io.BytesIO()
    with zipfile.ZipFile(ofd, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD/>")
    d = ok_shape(extract_document(ofd.getvalue()))
    assert (d["doc_type"], d["error"]["code"]) == ("ofd", "not_extractable")


def test_big_table_is_bounded():
    row = "<tr>" + "<td>1</td>" * 50 + "</tr>"
    page = ("<html><body><table>" + row * 40000 + "</table></body></html>").encode()
    assert len(page) > 20_000_000
    d = ok_shape(extract_document(page))
    assert d["doc_type"] == "html" and d["cells"] == []
    assert d["error"] is None and warning_codes(d) == ["table_too_large"]


def test_sniff_ignores_names():
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff("<p>你好</p>".encode("gb18030")) == "html"
    assert sniff("一、总体情况\n二、主动公开".encode()) == "text"


# ------------------------------------------------------------------ property-based
labels = st.sampled_from([k.label for t in canon.TABLES for k in canon.ROWS[t]] +
                         [k.label for t in canon.TABLES for k in canon.COLS[t]] +
                         ["信息内容", "第二十条第（一）项", "申请人情况", "行政复议", "合计", "", "／", "—"])
numbers = st.one_of(st.integers(-5, 10**7).map(str), st.sampled_from(["", "/", "-", "无", "1,234", "0.5", "１２"]))
cell_text = st.one_of(labels, numbers, st.text(max_size=8))
spans = st.tuples(cell_text, st.integers(1, 4), st.integers(1, 4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(spans, min_size=0, max_size=8), min_size=0, max_size=12))
def test_random_grids_never_crash(rows):
    g = expand(rows, "html:table[1]")
    width = {len(r) for r in g.rows}
    assert len(width) <= 1 or all(len(r) >= 0 for r in g.rows)
    toks = grid_tokens(g, 0)
    res = match_tokens(toks)
    printed = {t.locator: t.text for t in toks}
    for c in res.cells:
        assert c["table"] in canon.TABLES
        assert printed[c["locator"]] == c["raw"]           # every cell comes from a printed cell
        assert (c["value"], c["semantic"]) == parse_cell(c["raw"], c["col"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell_text, max_size=8), max_size=15), st.sampled_from([" | ", "\n\n", " "]))
def test_random_text_layouts_never_crash(rows, sep):
    text = "\n".join(sep.join(r) + (" |" if sep == " | " else "") for r in rows)
    d = extract_document(text.encode("utf-8"))
    assert KEYS <= set(d)
    for c in d["cells"]:
        assert c["semantic"] in canon.SEMANTICS


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data):
    d = extract_document(data)
    assert KEYS <= set(d)


@given(st.integers(0, 10**9), st.sampled_from(["", ",", "，"]))
def test_thousands_and_fullwidth(n, sep):
    s = f"{n:,}".replace(",", sep) if sep else str(n)
    fw = s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    for raw in (s, fw):
        v, sem = parse_cell(raw)
        assert v == n and sem == (canon.ZERO if n == 0 else canon.NUMERIC)


def test_cell_semantics_examples():
    assert parse_cell("") == (None, canon.EMPTY)
    assert parse_cell("\u3000") == (None, canon.EMPTY)
    for na in ("/", "／", "-", "—", "——", "无", "不适用"):
        assert parse_cell(na) == (None, canon.NA)
    assert parse_cell("-8", "items_change") == (-8, canon.NUMERIC)
    assert parse_cell("减少3", "items_change") == (-3, canon.NUMERIC)
    assert parse_cell("86500元", "fee_amount_wan_yuan") == (8.65, canon.NUMERIC)
    assert parse_cell("0.00") == (0.0, canon.ZERO)
    assert parse_cell("约5件")[1] == canon.TEXT
