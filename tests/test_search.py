"""Chinese full-text search: one index of two-character pieces (bigrams) for terms of every length."""
from __future__ import annotations

import pytest
from archive_helpers import store

from archive import search
from archive.writer import Archive
from bench.synthetic import make_doc

BODIES = {
    "a": "一、总体情况\n本年度因政府信息公开工作被申请行政复议2件，均维持。",
    "b": "一、总体情况\n申请人对答复不服的，可以依法申请复议。",
    "c": "一、总体情况\n对涉及商业秘密的申请依法不予公开3件。",
    "d": "一、总体情况\n本年度未收到政府信息公开申请，未发生行政诉讼。",
    "e": "一、总体情况\n针对行政复议决定书载明的问题，对不予公开的告知书格式进行了修订。",
    "f": "一、总体情况\n主动公开规范性文件12件。",
}


@pytest.fixture(scope="module")
def arc(tmp_path_factory):
    arc = Archive(tmp_path_factory.mktemp("search") / "a.db")
    ids, titles = {}, {}
    for i, (k, body) in enumerate(BODIES.items()):
        doc = make_doc(f"某市第{i}局", 2023, body=body)
        ids[k] = store(arc, doc, f"http://t/{k}")[0]
        titles[k] = doc["title"]
    arc.ids, arc.titles = ids, titles
    return arc


def found(arc, q):
    inv = {v: k for k, v in arc.ids.items()}
    return {inv[r["id"]] for r in search.search(arc.db, q)}


def expected(arc, q):
    """Computed from the texts themselves (titles name the agency and 政府信息公开…)."""
    return {k for k, b in BODIES.items() if q in b or q in arc.titles[k]}


@pytest.mark.parametrize("q", ["复议", "不予公开", "公开", "行政复议", "诉讼", "规范性文件", "秘密"])
def test_results_are_exactly_the_reports_containing_the_text(arc, q):
    assert found(arc, q) == expected(arc, q)
    assert expected(arc, q)  # every query has at least one hit among the bodies


def test_known_sets(arc):
    assert found(arc, "复议") == {"a", "b", "e"}
    assert found(arc, "不予公开") == {"c", "e"}


def test_several_terms_and_nothing(arc):
    assert found(arc, "复议 不予公开") == {"e"}
    assert found(arc, "信访") == set()
    assert found(arc, "") == set()


def test_title_is_searched(arc):
    assert found(arc, "某市第3局") == {"d"}


def test_index_follows_updates(tmp_path):
    # A new version of a report with different text: both indexes follow.
    own = Archive(tmp_path / "u.db")
    rid = store(own, make_doc("某市民政局", 2023, body="主动公开规范性文件12件。"), "http://t/u")[0]
    assert [r["id"] for r in search.search(own.db, "规范性文件")] == [rid]
    assert search.search(own.db, "复议") == []
    store(own, make_doc("某市民政局", 2023, body="本年度收到复议申请1件。"), "http://t/u")
    assert [r["id"] for r in search.search(own.db, "复议")] == [rid]
    assert search.search(own.db, "规范性文件") == []


def test_canned_query_sql_from_the_docstring(arc):
    sql = search.__doc__.split("(parameter :q, one term):")[1]
    sql = sql.split("(`MATCH`")[0].strip()
    inv = {v: k for k, v in arc.ids.items()}
    for q in ("复议", "不予公开", "复", "局", "。", "诉讼。", "12件"):
        got = {inv[r[0]] for r in arc.db.conn.execute(sql, {"q": q})}
        assert got == expected(arc, q)


def test_any_two_characters_side_by_side_are_found(arc):
    # Pieces across word boundaries (定书, 告知) that a segmenter would not index as words.
    for q in ("定书", "告知", "12", "维持", "申请"):
        assert found(arc, q) == expected(arc, q), q
    assert found(arc, "复，") == set()   # not two word characters: scanned, still exact


def test_letters_are_matched_exactly(tmp_path):
    own = Archive(tmp_path / "l.db")
    rid = store(own, make_doc("某市民政局", 2023, body="一、总体情况\n平台接入OA系统。"), "http://t/l")[0]
    assert [r["id"] for r in search.search(own.db, "OA")] == [rid]
    assert search.search(own.db, "oa") == []   # the index folds case, the answer does not


def test_bigrams_are_the_word_index_tokens():
    # A run of word characters ends with its last character alone: pieces of two runs are never adjacent.
    assert search.bigrams("2023年度报告，行政复议") == "20 02 23 3年 年度 度报 报告 告 行政 政复 复议 议"
    assert search.bigrams("") == "" and search.bigrams(None) == ""


def test_match_expressions():
    assert search.match_expr("复议") == '"复议"'
    assert search.match_expr("行政复议") == '"行政 政复 复议"'
    assert search.match_expr("复") == '"复"*'
    assert search.match_expr("第1.2条") == '"第1 1 2条"'
    assert search.match_expr("（一）") == '"一"'
    assert search.match_expr("1、A") == '"1 A"*'
    assert search.match_expr("%") is None and search.match_expr("——") is None
    assert search.exact("行政复议") and search.exact("2023年") and search.exact("复")
    assert not search.exact("OA系统") and not search.exact("第1.2条") and not search.exact("")


def test_a_phrase_does_not_span_two_runs(tmp_path):
    # 行政 ending one run and 政复议 starting the next: the pieces 行政 政复 复议 are not adjacent.
    own = Archive(tmp_path / "r.db")
    rid = store(own, make_doc("某市民政局", 2023, body="一、总体情况\n加强行政，政复议前置。"), "http://t/r")[0]
    assert search.search(own.db, "行政复议") == []
    assert [r["id"] for r in search.search(own.db, "政复议")] == [rid]
    assert [r["id"] for r in search.search(own.db, "行政，政复")] == [rid]
    assert search.search(own.db, "行政、政复") == []   # other punctuation between the runs: re-checked


SEEDS = __import__("pathlib").Path(__file__).parent / "data" / "seeds"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The five real seed reports, extracted and stored, plus two reports with letters and odd text."""
    from pipelines.extract.document import extract_document
    arc = Archive(tmp_path_factory.mktemp("seeds") / "s.db")
    for i, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        doc = extract_document(path.read_bytes())
        store(arc, doc, f"http://seed.test/{i}.html", body=path.read_bytes())
    for i, body in enumerate(["一、总体情况\n平台接入OA系统，网址www.Gov.cn；第1.2条（一）项，增长12.5%。",
                              "一、总体情况\n接入oa系统_v2，行政，政复议；——无。"]):
        store(arc, make_doc(f"某县第{i}局", 2022, body=body), f"http://t/odd{i}")
    return arc


def _terms(conn) -> list[str]:
    """Substrings of every length 1-8 taken from the stored bodies at spread positions (CJK,
    digits, letters, punctuation), and terms that are in no report or cross two runs."""
    import random
    rnd = random.Random(16)
    terms = {"复", "议", "的", "1", "0", "A", "a", "OA", "oa", "Gov", "gov", "OA系统", "oa系统", "12.5%",
             "%", "——", "（一）", "第1.2条", "第1，2条", "系统_v2", "_", "行政复议", "政复议", "行政，政复",
             "复议复议", "龘", "信访局长", "2023年", "2023年度", "（", "一）", "1.2"}
    for (body,) in conn.execute("SELECT body_text FROM reports WHERE body_text IS NOT NULL"):
        for _ in range(60):
            n = rnd.randint(1, 8)
            i = rnd.randrange(0, max(1, len(body) - n))
            term = body[i:i + n]
            if term.strip() == term and term and not any(c.isspace() for c in term):
                terms.add(term)
    return sorted(terms)


def test_the_index_answers_exactly_like_instr_on_real_reports(seeded):
    conn = seeded.db.conn
    terms = _terms(conn)
    assert len(terms) > 300
    lengths = {min(len(t), 4) for t in terms}
    assert lengths == {1, 2, 3, 4}
    for term in terms:
        want = {r[0] for r in conn.execute(
            "SELECT id FROM reports WHERE instr(title, ?) > 0 OR instr(body_text, ?) > 0", [term, term])}
        assert search._ids_for_term(conn, term) == want, term
        assert {r["id"] for r in search.search(seeded.db, term)} == want, term


def _instr_ids(conn, term: str) -> set[int]:
    col = "title" if search.match_expr(term) is None else "title, body_text"   # no piece: titles only
    return {r[0] for r in conn.execute(
        f"SELECT id FROM reports WHERE max({', '.join(f'instr({c}, ?)' for c in col.split(', '))}, 0) > 0",
        [term] * len(col.split(", ")))}


def test_the_search_page_term_sql_answers_like_instr(seeded):
    from archive.datasette.search import _terms_sql
    conn = seeded.db.conn
    conn.execute("CREATE TEMP TABLE report_figures AS SELECT id AS report_id, title FROM reports")
    try:
        terms = _terms(conn)
        for term in terms:
            sql, args = _terms_sql([term])
            assert {r[0] for r in conn.execute(sql, args)} == _instr_ids(conn, term), term
        # several terms: every one required, in one query (exact, re-checked and title-only mixed)
        groups = [terms[i:i + 3] for i in range(0, len(terms), 7)] + [["复议", "%"], ["复", "ab"]]
        for group in groups:
            want = set.intersection(*(_instr_ids(conn, t) for t in group))
            sql, args = _terms_sql(group)
            assert sql.count("MATCH") <= 1
            assert {r[0] for r in conn.execute(sql, args)} == want, group
    finally:
        conn.execute("DROP TABLE temp.report_figures")


def test_no_segmenter_is_loaded(tmp_path):
    import subprocess
    import sys
    code = ("import sys; from archive.writer import Archive; from archive import search; "
            "from bench.synthetic import make_doc; sys.path.insert(0, 'tests'); from archive_helpers import store; "
            f"a = Archive({str(tmp_path / 'j.db')!r}); store(a, make_doc('某市', 2023), 'http://t/j'); "
            "assert search.search(a.db, '复议'); print('jieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.stdout.strip() == "False"
