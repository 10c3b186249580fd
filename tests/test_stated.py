"""Figures stated in a report's text (pipelines/extract/stated.py): phrasings, numerals, qualifiers."""
from __future__ import annotations

import pytest

from nianbao.model import Document, StatedFigure
from pipelines.extract.stated import CLAIMS, parse_number, stated_figures


def one(text: str) -> list[tuple]:
    return [(f.claim, f.number, f.approx) for f in stated_figures(text)]


@pytest.mark.parametrize("text, want", [
    ("2024年，本机关共受理政府信息公开申请17件。", [("t3.received", 17, False)]),
    ("全年收到依申请公开523件，办理完毕523件。", [("t3.received", 523, False), ("t3.processed", 523, False)]),
    ("本年新收政府信息公开申请95件，上年结转申请3件。", [("t3.new_received", 95, False), ("t3.carried_over", 3, False)]),
    ("共受理申请12件（其中本年新收9件、上年结转3件），办结10件，结转下年度继续办理2件。",
     [("t3.received", 12, False), ("t3.new_received", 9, False), ("t3.carried_over", 3, False),
      ("t3.processed", 10, False), ("t3.carried_forward", 2, False)]),
    ("本年度共收到政府信息公开申请十七件，办结十五件。", [("t3.received", 17, False), ("t3.processed", 15, False)]),
    ("全年受理依申请公开１,２００余件，均已按时答复。", [("t3.received", 1200, True)]),
    ("共受理政府信息公开申请约30件，按时答复28件。", [("t3.received", 30, True), ("t3.on_time", 28, False)]),
    ("产生行政复议9件，其中2件尚未审结，未经复议直接起诉5件，复议后起诉1件。",
     [("t4.review", 9, False), ("t4.litigation_direct", 5, False), ("t4.litigation_after_review", 1, False)]),
    ("全年被申请行政复议3件，提起行政诉讼2件。", [("t4.review", 3, False), ("t4.litigation", 2, False)]),
    ("全年主动公开政府信息9350条。", [("t2.published", 9350, False)]),
    ("本年度制发行政规范性文件5件，废止规范性文件1件，现行有效规范性文件6件。",
     [("t2.normative_docs.issued", 5, False), ("t2.normative_docs.repealed", 1, False),
      ("t2.normative_docs.in_force", 6, False)]),
    ("今年以来区政府共发布10份规范性文件。", [("t2.normative_docs.published", 10, False)]),
    ("本年度制定规章2件。", [("t2.regulations.issued", 2, False)]),
    ("本年度未收到政府信息公开申请。", [("t3.received", 0, False)]),
    ("没有发生因政府信息公开向区政府举报、投诉、申请行政复议、提起行政诉讼事件。",
     [("t4.review", 0, False), ("t4.litigation", 0, False)]),
])
def test_phrasings(text, want):
    assert one(text) == want


@pytest.mark.parametrize("text, want", [
    ("全年收到人大代表建议12件、政协提案8件。", []),                    # 收到…件, but not applications
    ("受理行政复议申请3件。", [("t4.review", 3, False)]),               # a review, not an information request
    ("未发生因政府信息公开引起的行政复议纠错、行政诉讼败诉情况。", []),   # not "no review at all"
    ("办结率100%，群众满意度98%。", []),                                # no count
    ("一、本年新收政府信息公开申请数量 | 505 | 16 | 0 | 523", []),       # a table row, not a statement
    ("全年召开培训会5次，办理完毕建议5件。", []),                        # 办结 of something else
])
def test_what_is_not_an_application_figure(text, want):
    assert one(text) == want


def test_sentence_span_and_year():
    text = "一、总体情况\n2023年，海宁市人民政府收到依申请公开523件，办理完毕523件。2022年共受理申请400件。"
    figs = stated_figures(text)
    assert [f.year for f in figs] == [2023, 2023, 2022]
    assert figs[0].sentence == "2023年,海宁市人民政府收到依申请公开523件,办理完毕523件。"
    s, e = figs[1].span
    assert figs[1].phrase == "办理完毕523件"
    from pipelines.extract.decode import for_matching
    assert for_matching(text)[s:e] == "办理完毕523件"


def test_traditional_text_is_read():
    assert one("本年度共受理政府信息公開申請二十三件。") == [("t3.received", 23, False)]


def test_numbers():
    assert parse_number("1,234") == 1234
    assert parse_number("两千零五") == 2005
    assert parse_number("十七") == 17
    assert parse_number("3", "万") == 30000
    assert parse_number("十十十") is None


def test_claim_cells_are_canonical():
    from nianbao import canon
    for claim in CLAIMS.values():
        for _name, cells in claim.readings:
            for t, row, col in cells:
                assert any(k.key == row for k in canon.ROWS[t]) and any(k.key == col for k in canon.COLS[t])
    # 受理 has both readings
    assert [n for n, _ in CLAIMS["t3.received"].readings] == ["本年新收", "新收+上年结转"]


def test_document_round_trip_keeps_stated():
    f = StatedFigure("t3.received", 17, False, "受理申请17件", "共受理申请17件。", (2, 9), 2024)
    d = Document(body_text="x", stated=(f,))
    back = Document.from_json(d.to_json())
    assert back.stated == (f,)
    assert list(d.to_json())[-1] == "stated"
    # a document stored before `stated` existed reads as none
    old = d.to_json()
    del old["stated"]
    assert Document.from_json(old).stated == ()


def test_bounded_on_a_pathological_text():
    from pipelines.extract.stated import MAX_FIGURES
    text = "".join(f"共受理政府信息公开申请{i}件。" for i in range(5000))
    assert len(stated_figures(text)) == MAX_FIGURES
