"""Real published PDFs (farm/data/real/) read cell by cell against the values printed on them.

The values files were written by reading the page images (farm/data/real/README.md), not from
the extractor's output. Every printed cell is compared: number, blank (null) and location.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.checks import tables as checks
from farm.portals.realdocs import hongze_cells
from nianbao import canon
from pipelines.extract.document import extract_document

REAL = Path(__file__).resolve().parents[1] / "farm" / "data" / "real"


# The printed values → canonical cells: the farm portal that serves this PDF owns the mapping.
expected_cells = hongze_cells


def compare(doc: dict, expected: dict) -> tuple[int, list[str]]:
    """(cells read right, differences) — a missing, extra or wrong cell is a difference."""
    got = {(c["table"], c["row"], c["col"]): c["value"] for c in doc["cells"]}
    diffs = [f"{k}: printed {v!r}, read {got.get(k, 'MISSING')!r}" for k, v in expected.items()
             if got.get(k, "MISSING") != v]
    diffs += [f"{k}: read {v!r}, not printed" for k, v in got.items() if k not in expected]
    return sum(1 for k, v in expected.items() if got.get(k, "MISSING") == v), diffs


@pytest.fixture(scope="module")
def hongze():
    meta = json.loads((REAL / "hongze-2023-wps.values.json").read_text("utf-8"))
    return extract_document((REAL / meta["file"]).read_bytes()), meta


def test_hongze_every_cell(hongze):
    doc, meta = hongze
    expected = expected_cells(meta["values"])
    assert len(expected) == 10 + 23 * 7 + 15
    right, diffs = compare(doc, expected)
    assert diffs == [], "\n".join(diffs)
    assert right == len(expected)
    assert doc["format"] == meta["values"]["format"]
    # every cell says where it was printed: table 三 spans pages 3 and 4
    pages = {c["locator"].split("/")[0] for c in doc["cells"] if c["table"] == "t3"}
    assert pages == {"pdf:p3", "pdf:p4"}


def test_hongze_collapsed_other_row_is_2019_keyed_and_flagged(hongze):
    doc, _ = hongze
    t3 = doc["tables"]["t3"]
    assert "other.total" in t3 and not any(r.startswith("other.") and r != "other.total" for r in t3)
    # the row after it is not shifted: 自然人 and 总计 carry their printed 21
    assert t3["total_processed"]["natural_person"] == 21 and t3["total_processed"]["total"] == 21
    fmt = next(r for r in checks.run(doc) if r["id"] == "S-FORMAT")
    assert fmt["status"] == "warn" and "other.total" in fmt["detail"]


def test_hongze_label_typo_is_matched_and_recorded(hongze):
    doc, _ = hongze
    assert not any(r.startswith(canon.EXTRA_PREFIX) for r in doc["tables"]["t3"])
    assert len(doc["tables"]["t3"]["denied.law_prohibited"]) == 7
    notes = [w["message"] for w in doc["warnings"] if w["code"] == "label_fuzzy"]
    assert len(notes) == 1 and "2.其他法律行政止公开" in notes[0] and "denied.law_prohibited" in notes[0]


def test_hongze_identity(hongze):
    doc, meta = hongze
    assert doc["title"] == meta["title"]          # printed over two lines
    assert doc["agency"] == "洪泽区人民政府"
    assert doc["report_year"] == meta["report_year"]


def test_hongze_source_inconsistency_is_reported(hongze):
    """The office printed table 四 totals that do not add up: the check says so, the extractor
    keeps what is printed."""
    doc, _ = hongze
    t4 = {r["scope"]: r for r in checks.run(doc) if r["id"] == "T4-SUM"}
    assert t4["t4/admin_review"]["status"] == "fail" and t4["t4/admin_review"]["delta"] == -11
    assert doc["tables"]["t4"]["admin_review"]["total"] == 0


def test_table_cells_read_by_bisection_are_pdfplumbers():
    """grid._table_texts finds a row's characters by bisection: on the real WPS PDF and on the
    farm's LibreOffice-made PDFs every table reads exactly as pdfplumber's Table.extract."""
    import io

    import pdfplumber
    from pdfplumber.utils import extract_text as chars_text

    from farm.reports import ReportSpec, generate
    from pipelines.extract.grid import _CharRows, _table_texts
    pdfs = [p.read_bytes() for p in REAL.glob("*.pdf")]
    pdfs += [a.data for i in range(3) for a in generate(ReportSpec(
        agency="清河县人民政府", year=2022, fmt="2021", layout="word", attachment="pdf", seed=i + 1)).attachments
        if a.data[:5] == b"%PDF-"]
    tables = 0
    for data in pdfs:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                rows = _CharRows(page.chars)
                for t in page.find_tables():
                    assert _table_texts(t, rows, chars_text) == t.extract()
                    tables += 1
    assert tables >= 6
