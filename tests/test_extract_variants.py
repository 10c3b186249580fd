"""Real-world renderings of the same report extract to the same, hand-written values.

Renderings (tests/extract_variants.py) imitate copied web pages, `|` rows, tab/space rows,
`pdftotext -layout` and raw `pdftotext`, with wrapped labels, page furniture and the header
rows flattened in different orders.
"""
from __future__ import annotations

import pytest

from pipelines.extract.document import extract_document
from tests import extract_variants as V


def assert_report(d, t2=V.EXPECTED_T2, t3=V.EXPECTED_T3, t4=V.EXPECTED_T4, fmt="2021"):
    assert d["error"] is None, d["error"]
    assert d["format"] == fmt
    if t2 is not None:
        assert d["tables"]["t2"] == t2
    got3 = d["tables"]["t3"]
    for row, vals in t3.items():
        assert [got3.get(row, {}).get(c, "MISSING") for c in V.T3C] == vals, row
    assert set(got3) == set(t3), set(got3) ^ set(t3)
    if t4 is not None:
        assert [d["tables"]["t4"][r][c] for r in V.T4R for c in V.T4C] == t4


def assert_meta(d, published="2024-01-19"):
    assert d["title"] == V.TITLE
    assert d["agency"] == "清河县自然资源局"
    assert d["report_year"] == 2023
    assert d["published"] == published


TEXTS = {
    "one_per_line_split_labels": lambda: V.one_per_line(split_labels=True, note=True, header_order="html"),
    "one_per_line_no_note_column_order": lambda: V.one_per_line(split_labels=False, note=False, header_order="cols"),
    "one_per_line_split_column_order": lambda: V.one_per_line(split_labels=True, note=True, header_order="cols"),
    "label_tab_numbers": lambda: V.label_then_numbers("\t"),
    "label_spaces_numbers": lambda: V.label_then_numbers("   "),
    "pipes": lambda: V.label_then_numbers(" | "),
    "pdftotext_layout": V.pdftotext_layout,
    "pdftotext_raw": V.pdftotext_raw,
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_text_renderings(name):
    d = extract_document(TEXTS[name]().encode("utf-8"))
    assert d["doc_type"] == "text"
    assert_report(d)
    assert_meta(d, published="2024-01-18" if name == "pdftotext_raw" else "2024-01-19")
    # every printed number of the official layout, nothing more (no page numbers, no extras)
    assert len(d["cells"]) == 10 + 175 + 15
