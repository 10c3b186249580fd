"""Word-like PDFs (farm/data/wordlike/, built by its make.py through LibreOffice the way offices
export reports) read cell by cell against the values put into their DOCX; and tables printed
blank, as grids or as text renderings where only the labels remain.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.checks import tables as checks
from nianbao import canon
from pipelines.extract.document import extract_document
from pipelines.extract.match import edit_distance, fuzzy_candidates

WL = Path(__file__).resolve().parents[1] / "farm" / "data" / "wordlike"
EXPECTED = json.loads((WL / "expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def docs():
    return {name: extract_document((WL / name).read_bytes()) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_cell(docs, name):
    doc, exp = docs[name], EXPECTED[name]
    want = {(t, r, c): v for t, r, c, v in exp["cells"]}
    got = {(c["table"], c["row"], c["col"]): c for c in doc["cells"]}
    diffs = [f"{k}: put {v!r}, read {got[k]['value'] if k in got else 'MISSING'!r}"
             for k, v in want.items() if k not in got or got[k]["value"] != v]
    diffs += [f"{k}: read, not put" for k in got if k not in want]
    assert diffs == [], "\n".join(diffs)
    for k, v in want.items():   # a blank stays blank (EMPTY, never 0), and says where it was
        assert (got[k]["semantic"] == canon.EMPTY) == (v is None), k
        assert got[k]["locator"].startswith("pdf:p"), k
    assert doc["format"] == exp["format"] and doc["report_year"] == exp["report_year"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_identity(docs, name):
    doc, exp = docs[name], EXPECTED[name]
    assert (doc["title"], doc["agency"], doc["published"]) == (exp["title"], exp["agency"], exp["published"])
    assert doc["metadata"]["published_from"] == "signature"


def test_table_three_crosses_the_page_break(docs):
    for name in ("wordlike-2021-split.pdf", "wordlike-2021-collapsed.pdf"):
        pages = {c["locator"].split("/")[0] for c in docs[name]["cells"] if c["table"] == "t3"}
        assert len(pages) == 2, name
    # the page-number footers between the halves are printed, and not read as cells
    assert "\n-2-\n" in docs["wordlike-2021-split.pdf"]["body_text"]
    assert "\n- 2 -\n" in docs["wordlike-2021-collapsed.pdf"]["body_text"]


def test_collapsed_other_row_after_page_break(docs):
    doc = docs["wordlike-2021-collapsed.pdf"]
    cells = {(c["row"], c["col"]): c for c in doc["cells"] if c["table"] == "t3"}
    head = cells[("new_received", "total")]["locator"].split("/")[0]
    assert cells[("other.total", "total")]["locator"].split("/")[0] != head   # on the next page
    results = {r["scope"]: r for r in checks.run(doc) if r["id"] in ("T3-SUM-RESULTS", "T3-SUM-COLS")}
    # unshifted, the printed sums hold for every column and the two rows around the break
    assert all(r["status"] in ("pass", "not_assessable") for r in results.values())
    assert results["t3/total"]["status"] == "pass"
    fmt = next(r for r in checks.run(doc) if r["id"] == "S-FORMAT")
    assert fmt["status"] == "warn" and "other.total" in fmt["detail"]
    assert [w["code"] for w in doc["warnings"]] == ["label_fuzzy"]


def test_split_report_has_no_drift(docs):
    fmt = next(r for r in checks.run(docs["wordlike-2021-split.pdf"]) if r["id"] == "S-FORMAT")
    assert fmt["status"] == "pass"


def test_blank_tables_are_tables(docs):
    doc = docs["wordlike-2021-blank.pdf"]
    assert set(doc["tables"]) == {"t2", "t3", "t4"}
    t4 = [r for r in checks.run(doc) if r["id"] == "T4-SUM"]
    assert len(t4) == 3 and all(r["status"] == "not_assessable" and "not found" not in r["detail"] for r in t4)


# ------------------------------------------------------------------ text renderings left blank
def blank_text(t3_rows=None, t4=True) -> str:
    """A text rendering of a report whose tables kept only their labels."""
    lines = ["某县人民政府2024年政府信息公开工作年度报告", canon.SECTIONS[2].label, canon.T3_HEADER_LABELS[0],
             "自然人  " + "  ".join(k.label for k in canon.T3_COLS[1:])]
    rows = [k for k in canon.T3_ROWS if k.key in canon.T3_ROWS_2021][:t3_rows]
    lines += [k.label for k in rows]
    lines.append(canon.SECTIONS[3].label)
    if t4:
        lines += ["行政复议    行政诉讼", "未经复议直接起诉    复议后起诉",
                  "   ".join(k.label for k in canon.T4_COLS) * 1]
    lines.append(canon.SECTIONS[4].label)
    return "\n".join(lines) + "\n"


def test_text_rendering_with_only_labels_gives_empty_cells():
    doc = extract_document(blank_text().encode("utf-8"))
    t3 = doc["tables"]["t3"]
    assert set(t3) == set(canon.T3_ROWS_2021)
    assert all(v is None for row in t3.values() for v in row.values())
    assert all(len(row) == 7 for row in t3.values())
    assert len([c for c in doc["cells"] if c["table"] == "t4"]) == 15
    assert all(c["semantic"] == canon.EMPTY and "/gap:" in c["locator"] for c in doc["cells"])


def test_a_few_labels_or_a_heading_are_not_a_table():
    doc = extract_document(blank_text(t3_rows=3, t4=False).encode("utf-8"))
    assert doc["cells"] == []


# ------------------------------------------------------------------ fuzzy labels
def test_edit_distance_is_bounded():
    assert edit_distance("其他法律行政止公开", "其他法律行政法规禁止公开", 3) == 3
    assert edit_distance("其他法律行政止公开", "其他法律行政法规禁止公开", 2) == 3   # bound + 1


def test_fuzzy_candidates_respect_numbering_and_bound():
    assert [rk for _, rk, _ in fuzzy_candidates("t3", "2.其他法律行政止公开")] == ["denied.law_prohibited"]
    assert fuzzy_candidates("t3", "5.其他法律行政止公开") == []      # numbering disagrees
    assert fuzzy_candidates("t3", "2.其他法律止公开") == []           # too far from any label


def _t3_text(typo: str, at: str) -> str:
    """A text table 三 with one label misprinted as `typo` in place of row `at`."""
    lines = [canon.SECTIONS[2].label, canon.T3_HEADER_LABELS[0],
             "自然人  " + "  ".join(k.label for k in canon.T3_COLS[1:])]
    for n, k in enumerate(canon.T3_ROWS):
        if k.key in canon.T3_ROWS_2021:
            lines.append((typo if k.key == at else k.label) + "  " + "  ".join([str(n % 3)] * 7))
    return "\n".join(lines) + "\n"


def test_typo_in_text_rendering_is_read_by_position():
    doc = extract_document(_t3_text("2.其他法律行政止公开", "denied.law_prohibited").encode("utf-8"))
    assert "denied.law_prohibited" in doc["tables"]["t3"]
    assert not any(r.startswith(canon.EXTRA_PREFIX) for r in doc["tables"]["t3"])


def test_typo_out_of_place_is_never_guessed():
    # the same misprint where 8.属于行政查询事项 belongs: close to a label, wrong place → an extra row
    doc = extract_document(_t3_text("2.其他法律行政止公开", "denied.admin_inquiry").encode("utf-8"))
    t3 = doc["tables"]["t3"]
    assert "denied.admin_inquiry" not in t3
    assert any(r.startswith(canon.EXTRA_PREFIX) for r in t3)
    assert not any(w["code"] == "label_fuzzy" for w in doc["warnings"])
