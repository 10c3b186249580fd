"""archive/versiondoc.py: the stored document holds the body once; loading gives it back whole."""
from __future__ import annotations

import json
from pathlib import Path

from archive import versiondoc
from pipelines.extract.document import extract_document

SEEDS = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))


def test_seed_documents_round_trip_with_sections_as_offsets():
    for seed in SEEDS:
        doc = {k: v for k, v in extract_document(seed.read_bytes()).items() if k != "cells"}
        stored = versiondoc.pack(doc)
        assert versiondoc.load(stored) == json.loads(json.dumps(doc, ensure_ascii=False, default=str))
        secs = json.loads(stored)["sections"]
        assert secs and all("at" in s for s in secs if s.get("text") != ""), seed.name   # "" stays ""
        assert sum("at" in s for s in secs) >= 3
        body_bytes = len(doc["body_text"].encode())
        assert len(stored.encode()) < len(json.dumps(doc, ensure_ascii=False).encode()) - body_bytes // 2


def test_stated_figures_as_columns_with_phrases_from_the_body():
    """Every seed's stated figures come back as extracted; most phrases are not stored twice."""
    kept = stored_phrases = stored_sentences = 0
    for seed in SEEDS:
        doc = {k: v for k, v in extract_document(seed.read_bytes()).items() if k != "cells"}
        doc = json.loads(json.dumps(doc, ensure_ascii=False, default=str))
        stored = json.loads(versiondoc.pack(doc))
        assert versiondoc.load(json.dumps(stored, ensure_ascii=False)) == doc
        if doc.get("stated"):
            kept += len(doc["stated"])
            stored_phrases += sum(r[stored["stated"]["columns"].index("phrase")] is not None
                                  for r in stored["stated"]["rows"])
            stored_sentences += sum(isinstance(r[stored["stated"]["columns"].index("sentence")], str)
                                    for r in stored["stated"]["rows"])
    assert kept > 10 and stored_phrases < kept / 4
    assert stored_sentences < kept / 4


def test_sentences_stored_as_offsets_into_the_body():
    body = "一、总体情况\n本年共收到申请3件。未发生行政复议。"
    doc = {"body_text": body, "stated": [
        {"claim": "t3.received", "phrase": "申请3件", "span": [10, 14], "sentence": "本年共收到申请3件。"},
        {"claim": "t4.review", "phrase": "行政复议", "span": [18, 22], "sentence": "未发生行政复议。"},
        {"claim": "t4.litigation", "phrase": "x", "span": [0, 1], "sentence": "不在正文的句子。"},
        {"claim": "t2.x", "phrase": None, "span": None, "sentence": None}]}
    stored = json.loads(versiondoc.pack(doc))["stated"]
    col = stored["columns"].index("sentence")
    assert [r[col] for r in stored["rows"]] == [[7, 17], [17, 25], "不在正文的句子。", None]
    assert stored["sentence_in_body"] == [0, 1]
    assert versiondoc.load(versiondoc.pack(doc)) == doc


def test_stated_left_alone_when_not_uniform_and_phrases_checked_against_the_body():
    body = "共收到申请3件。"
    odd = {"body_text": body, "stated": [{"claim": "a", "phrase": "申请3件", "span": [3, 7]}, {"claim": "b"}]}
    assert json.loads(versiondoc.pack(odd))["stated"] == odd["stated"]
    doc = {"body_text": body, "stated": [{"claim": "a", "phrase": "申请3件", "span": [3, 7]},
                                         {"claim": "b", "phrase": "受理3件", "span": [3, 7]},
                                         {"claim": "c", "phrase": "x", "span": [7, 99]}]}
    stored = json.loads(versiondoc.pack(doc))
    assert stored["stated"]["phrase_at_span"] == [0]
    assert [r[1] for r in stored["stated"]["rows"]] == [None, "受理3件", "x"]
    assert versiondoc.load(versiondoc.pack(doc)) == doc
    assert versiondoc.load(versiondoc.pack({"stated": []})) == {"stated": []}


def test_a_section_not_in_the_body_keeps_its_text():
    doc = {"body_text": "一、总体情况\n甲乙丙\n二、主动公开\n丁戊", "sections": [
        {"key": "s1", "title": "一、总体情况", "text": "甲乙丙"},
        {"key": "s2", "title": "二、主动公开", "text": "不在正文里"},
        {"key": "s3", "title": "三", "text": ""}, "not a dict"]}
    stored = json.loads(versiondoc.pack(doc))
    assert stored["sections"][0] == {"key": "s1", "title": "一、总体情况", "at": [7, 10]}
    assert stored["sections"][1:] == doc["sections"][1:]
    assert versiondoc.load(versiondoc.pack(doc)) == doc


def test_load_of_nothing_or_not_an_object():
    assert versiondoc.load(None) == {} and versiondoc.load("") == {} and versiondoc.load("[1]") == {}
    assert versiondoc.load("{bad") == {}
