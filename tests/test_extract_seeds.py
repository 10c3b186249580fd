"""The five real seed reports extract to the values printed in them.

Expected values below were written by hand from reading each seed's text, not from the
extractor's output. B = a blank cell (EMPTY, value None).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.canon import EMPTY, T3_COLS
from pipelines.extract.document import extract_document

SEEDS = Path(__file__).parent / "data" / "seeds"
B = None
T3C = [k.key for k in T3_COLS]
T4C = ["upheld", "corrected", "other", "pending", "total"]
T4R = ["admin_review", "litigation_direct", "litigation_after_review"]
Z7 = [0] * 7


def load(prefix: str) -> dict:
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return extract_document(path.read_bytes())


def assert_t3(doc, rows: dict[str, list]):
    for row, vals in rows.items():
        got = [doc["tables"]["t3"][row].get(c, "MISSING") for c in T3C]
        assert got == vals, row


def assert_t4(doc, fifteen: list):
    got = [doc["tables"]["t4"][r][c] for r in T4R for c in T4C]
    assert got == fifteen


@pytest.fixture(scope="module")
def haining():
    return load("000")


def test_000_metadata(haining):
    d = haining
    assert d["title"] == "海宁市人民政府2023年度政府信息公开工作年度报告"
    assert d["agency"] == "海宁市人民政府"
    assert d["report_year"] == 2023
    assert d["published"] == "2024-02-08"
    assert d["format"] == "2021"
    assert d["kind"] == "report"
    assert d["doc_type"] == "text"
    assert d["error"] is None
    assert [s["key"] for s in d["sections"]] == ["s1", "s2", "s3", "s4", "s5", "s6"]


def test_000_tables(haining):
    t2 = haining["tables"]["t2"]
    assert t2["regulations"] == {"issued_this_year": 0, "repealed_this_year": 0, "in_force": 0}
    assert t2["normative_docs"] == {"issued_this_year": 68, "repealed_this_year": 88, "in_force": 350}
    assert t2["admin_licensing"] == {"decisions": 574669}
    assert t2["admin_penalty"] == {"decisions": 603115}
    assert t2["admin_coercion"] == {"decisions": 23240}
    assert t2["admin_fees"] == {"fee_amount_wan_yuan": 86500}
    assert_t3(haining, {
        "new_received": [505, 16, 0, 0, 1, 1, 523],
        "carried_over": Z7,
        "granted": [369, 13, 0, 0, 1, 0, 383],
        "partially_granted": [10, 1, 0, 0, 0, 1, 12],
        "denied.state_secret": Z7, "denied.law_prohibited": Z7, "denied.security_stability": Z7,
        "denied.third_party": [2, 0, 0, 0, 0, 0, 2],
        "denied.internal_affairs": [3, 0, 0, 0, 0, 0, 3],
        "denied.process_info": [2, 0, 0, 0, 0, 0, 2],
        "denied.enforcement_file": [6, 0, 0, 0, 0, 0, 6],
        "denied.admin_inquiry": [1, 0, 0, 0, 0, 0, 1],
        "unable.not_held": [72, 2, 0, 0, 0, 0, 74],
        "unable.needs_creation": [8, 0, 0, 0, 0, 0, 8],
        "unable.unclear": Z7,
        "not_processed.petition": [5, 0, 0, 0, 0, 0, 5],
        "not_processed.duplicate": [8, 0, 0, 0, 0, 0, 8],
        "not_processed.publication": Z7, "not_processed.excessive": Z7, "not_processed.confirm_reissue": Z7,
        "other.no_correction": [9, 0, 0, 0, 0, 0, 9],
        "other.fee_unpaid": Z7,
        "other.other": [10, 0, 0, 0, 0, 0, 10],
        "total_processed": [505, 16, 0, 0, 1, 1, 523],
        "carried_forward": Z7,
    })
    assert len(haining["tables"]["t3"]) == 25
    assert_t4(haining, [2, 0, 5, 2, 9, 5, 0, 0, 0, 5, 1, 0, 0, 0, 1])
    # every printed number of the official layout, nothing more
    assert len(haining["cells"]) == 10 + 175 + 15


def test_001_traditional_prose_only():
    d = load("001")
    # title as printed (Traditional), reading-aid pinyin removed; agency in Simplified for identity
    assert d["title"] == "杭州市西湖區雙浦鎮人民政府2024年政府信息公開工作年度報告"
    assert d["agency"] == "杭州市西湖区双浦镇人民政府"
    assert d["report_year"] == 2024
    assert d["published"] == "2025-01-10"
    assert d["format"] == "2021"          # the text cites 国办公开办函〔2021〕30号; no tables printed
    assert d["kind"] == "prose_only"
    assert d["cells"] == [] and d["tables"] == {}
    assert [s["key"] for s in d["sections"]] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert "(bào)" not in d["body_text"] and "報告" in d["body_text"]
    assert d["metadata"]["header"]["索引号"] == "00250256-5/2025-00185"


def test_002_pipes_with_blank_cells():
    d = load("002")
    assert d["title"] == "永州市冷水滩区2022年政府信息公开工作年度报告"
    assert d["agency"] == "永州市冷水滩区人民政府"   # the page names the 人民政府 above the title
    assert d["report_year"] == 2022
    assert d["published"] == "2023-01-18"             # only the signature date is printed
    assert d["format"] == "2021"
    t2 = d["tables"]["t2"]
    assert t2["regulations"] == {"issued_this_year": B, "repealed_this_year": B, "in_force": B}
    assert t2["normative_docs"] == {"issued_this_year": 10, "repealed_this_year": 0, "in_force": 10}
    assert t2["admin_licensing"] == {"decisions": 29482}
    assert t2["admin_penalty"] == {"decisions": 1280}
    assert t2["admin_coercion"] == {"decisions": 1808}
    assert t2["admin_fees"] == {"fee_amount_wan_yuan": 0}
    blanks0 = [B] * 6 + [0]
    assert_t3(d, {
        "new_received": [15, 0, 0, 0, 0, 0, 15],
        "carried_over": blanks0,
        "granted": [15, 0, 0, 0, 0, 0, 15],
        "partially_granted": blanks0,
        "denied.state_secret": blanks0, "denied.admin_inquiry": blanks0,
        "unable.not_held": Z7,
        "unable.needs_creation": blanks0,
        "not_processed.confirm_reissue": blanks0,
        "other.total": blanks0,                # printed as one row (2019 style) in a 2021 report
        "total_processed": [15, B, B, B, B, B, 15],
        "carried_forward": blanks0,
    })
    assert "other.no_correction" not in d["tables"]["t3"]
    assert len(d["tables"]["t3"]) == 23
    assert_t4(d, [0] * 15)
    blank = [c for c in d["cells"] if c["table"] == "t2" and c["row"] == "regulations"]
    assert {c["semantic"] for c in blank} == {EMPTY} and all(c["raw"] == "" for c in blank)


def test_003_no_title_line():
    d = load("003")
    assert d["title"] == "漳州古雷港经济开发区2023年政府信息公开工作年度报告"
    assert d["agency"] == "漳州古雷港经济开发区"
    assert d["report_year"] == 2023
    assert d["published"] is None
    assert d["format"] == "2021"
    t2 = d["tables"]["t2"]
    assert t2["regulations"] == {"issued_this_year": 0, "repealed_this_year": 0, "in_force": 0}
    assert t2["normative_docs"] == {"issued_this_year": 13, "repealed_this_year": 0, "in_force": 21}
    assert t2["admin_licensing"] == {"decisions": 1493}
    assert t2["admin_penalty"] == {"decisions": 58}
    assert t2["admin_coercion"] == {"decisions": 9}
    assert t2["admin_fees"] == {"fee_amount_wan_yuan": 1071}
    assert_t3(d, {
        "new_received": [11, 0, 0, 0, 0, 0, 11],
        "carried_over": Z7,
        "granted": Z7,
        "partially_granted": [1, 0, 0, 0, 0, 0, 1],
        "denied.state_secret": Z7, "denied.process_info": Z7,
        "unable.not_held": [10, 0, 0, 0, 0, 0, 10],
        "unable.needs_creation": Z7,
        "not_processed.petition": Z7,
        "other.no_correction": Z7, "other.fee_unpaid": Z7, "other.other": Z7,
        "total_processed": [11, 0, 0, 0, 0, 0, 11],
        "carried_forward": Z7,
    })
    assert len(d["tables"]["t3"]) == 25
    assert_t4(d, [0] * 15)   # the header labels are garbled ("结 果 正"); the 15 numbers are not


def test_004_one_value_per_line():
    d = load("004")
    assert d["title"] == "嘉兴市经济和信息化局2022年度政府信息公开工作年度报告"
    assert d["agency"] == "嘉兴市经济和信息化局"
    assert d["report_year"] == 2022
    assert d["published"] == "2023-01-17"
    assert d["format"] == "2021"
    t2 = d["tables"]["t2"]
    assert t2["normative_docs"] == {"issued_this_year": 5, "repealed_this_year": 1, "in_force": 6}
    assert t2["admin_licensing"] == {"decisions": 0}
    assert t2["admin_fees"] == {"fee_amount_wan_yuan": 0}
    assert_t3(d, {
        "new_received": [8, 0, 0, 0, 0, 0, 8],
        "carried_over": Z7,
        "granted": [3, 0, 0, 0, 0, 0, 3],
        "partially_granted": Z7,
        "unable.not_held": [2, 0, 0, 0, 0, 0, 2],
        "unable.needs_creation": [1, 0, 0, 0, 0, 0, 1],
        "not_processed.petition": [1, 0, 0, 0, 0, 0, 1],
        "not_processed.duplicate": Z7,
        "not_processed.excessive": [1, 0, 0, 0, 0, 0, 1],
        "total_processed": [8, 0, 0, 0, 0, 0, 8],
        "carried_forward": Z7,
    })
    assert_t4(d, [0] * 15)
    loc = next(c["locator"] for c in d["cells"] if c["table"] == "t3" and c["row"] == "new_received"
               and c["col"] == "total")
    assert loc.startswith("text:line ")
