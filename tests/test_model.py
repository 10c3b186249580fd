"""nianbao.model: the Document is the extract JSON with types. to_json gives the shape the crawl
and the archive have always carried (plus `warnings`); from_json reads it back without loss."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.model import ERROR, WARNING, Cell, Document, LegacyTable, Link, Problem, Section, tables_of
from pipelines.extract.document import EXTRACTOR_VERSION, extract, extract_document
from tests.extract_fixtures import html_page, html_table, t3_grid, t3_values

SEEDS = Path(__file__).parent / "data" / "seeds"
# The extract JSON's keys, in the order they are printed; `warnings` is the one addition.
JSON_KEYS = ["title", "agency", "report_year", "published", "format", "tables", "cells", "checks", "doc_type",
             "body_text", "sections", "metadata", "kind", "links", "legacy_tables", "extractor_version", "error",
             "url", "warnings", "stated"]   # `stated` (S-TEXT-TABLE) is the newest addition: new keys go last
TITLE = "青山县财政局2023年度政府信息公开工作年度报告"


def _report_page() -> bytes:
    body = "<p>三、收到和处理政府信息公开申请情况</p>" + html_table(t3_grid(t3_values()))
    return html_page(TITLE, "2024-01-20", body).encode()


def _legacy_page() -> bytes:
    body = ("<p>一、概述</p><table><tr><td>项目</td><td>数量</td></tr><tr><td>主动公开信息</td><td>12</td></tr>"
            '<tr><td>依申请公开</td><td>3</td></tr></table><p><a href="/u/a.pdf">附件</a><img src="/u/b.png"></p>')
    return html_page("青山县财政局2016年政府信息公开工作年度报告", "2017-01-20", body).encode()


def _truncated_page() -> bytes:
    return _report_page().rsplit(b"</div>", 2)[0]


CASES = {
    "seed_text": lambda: (next(SEEDS.glob("000_*.txt")).read_bytes(), None),
    "html_report": lambda: (_report_page(), "http://x.gov.cn/art/2024/1/20/art_1_1.html"),
    "legacy_with_links": lambda: (_legacy_page(), "http://x.gov.cn/art/2017/1/20/art_1_2.html"),
    "warnings": lambda: (_truncated_page(), "http://x.gov.cn/P020240120.pdf"),
    "error_empty": lambda: (b"", None),
    "error_not_extractable": lambda: (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "http://x.gov.cn/a.png"),
    "error_bad_input": lambda: (None, None),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    data, url = CASES[request.param]()
    return request.param, extract(data, url)


def test_extract_returns_a_document_and_extract_document_its_json(case):
    name, doc = case
    assert isinstance(doc, Document)
    data, url = CASES[name]()
    assert extract_document(data, url) == doc.to_json()


def test_json_shape_is_the_contract(case):
    _, doc = case
    d = doc.to_json()
    assert list(d) == JSON_KEYS
    assert d["error"] is None or set(d["error"]) == {"code", "message"}
    assert all(set(w) == {"code", "message"} for w in d["warnings"])
    assert all(set(f) == {"claim", "number", "approx", "phrase", "sentence", "span", "year"} for f in d["stated"])
    assert all(list(c) == ["table", "row", "col", "raw", "value", "semantic", "locator"] for c in d["cells"])
    assert all(set(s) == {"key", "title", "text"} for s in d["sections"])
    assert all(set(lk) == {"url", "text"} for lk in d["links"])
    assert all(set(t) == {"locator", "rows"} and isinstance(t["rows"], list) for t in d["legacy_tables"])
    assert d["extractor_version"] == EXTRACTOR_VERSION


def test_round_trip(case):
    _, doc = case
    d = doc.to_json()
    assert Document.from_json(d) == doc
    assert Document.from_json(d).to_json() == d
    # ... also through the JSON text the archive stores and the CLI prints
    text = json.dumps(d, ensure_ascii=False)
    assert Document.from_json(json.loads(text)) == doc
    assert json.dumps(Document.from_json(json.loads(text)).to_json(), ensure_ascii=False) == text


def test_the_cases_cover_the_fields():
    docs = {name: extract(*CASES[name]()) for name in CASES}
    assert docs["seed_text"].cells and docs["seed_text"].sections and docs["seed_text"].error is None
    assert docs["html_report"].cells and docs["html_report"].tables == tables_of(docs["html_report"].cells)
    legacy = docs["legacy_with_links"]
    assert legacy.format == "legacy" and legacy.legacy_tables and len(legacy.links) == 2
    warned = docs["warnings"]
    assert warned.error is None and warned.extractable and warned.cells
    assert [w.code for w in warned.warnings] == ["type_mismatch", "truncated"]
    assert all(w.severity == WARNING for w in warned.warnings)
    for name in ("error_empty", "error_not_extractable", "error_bad_input"):
        assert docs[name].error.severity == ERROR and not docs[name].extractable and not docs[name].warnings
    assert docs["error_not_extractable"].kind == "graphic"


def test_to_json_does_not_share_state():
    doc = extract(_report_page())
    d = doc.to_json()
    d["tables"]["t3"].clear()
    d["metadata"]["meta"].clear()
    assert doc.to_json()["tables"]["t3"] and doc.to_json()["metadata"]["meta"]


def test_from_json_reads_documents_stored_before_warnings_and_ignores_extra_keys():
    d = extract_document(_report_page())
    old = {k: v for k, v in d.items() if k != "warnings"}
    old["seen"] = {"list_title": TITLE}      # the crawl carries its own keys beside the document
    doc = Document.from_json(old)
    assert doc.warnings == () and doc.to_json() == d
    assert Document.from_json({}).to_json()["doc_type"] == "unknown"


def test_cell_capture_id_is_written_only_when_known():
    c = Cell("t3", "new_received", "total", 5, "5", "numeric", "html:table[1]/r2c8")
    assert "capture_id" not in c.to_json()
    c2 = Cell.from_json({**c.to_json(), "capture_id": 7})
    assert c2.capture_id == 7 and c2.to_json()["capture_id"] == 7
    assert Cell.from_json(c2.to_json()) == c2


def test_severity_is_checked():
    with pytest.raises(ValueError):
        Problem("truncated", "info", "x")
    with pytest.raises(ValueError):
        Document(error=Problem.warning("truncated", "x"))
    with pytest.raises(ValueError):
        Document(warnings=(Problem.error("empty", "x"),))
    doc = Document(error=Problem.error("empty", "no bytes"), warnings=(Problem.warning("truncated", "t"),))
    assert doc.to_json()["error"] == {"code": "empty", "message": "no bytes"}
    assert doc.to_json()["warnings"] == [{"code": "truncated", "message": "t"}]


def test_parts_round_trip():
    s, lk = Section("s1", "一、总体情况", "text"), Link("http://x.gov.cn/a.pdf", "附件")
    t = LegacyTable("html:table[1]", (("项目", "数量"), ("主动公开", "12")))
    assert Section.from_json(s.to_json()) == s and Link.from_json(lk.to_json()) == lk
    assert LegacyTable.from_json(json.loads(json.dumps(t.to_json()))) == t
