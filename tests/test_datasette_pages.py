"""The plugin pages a researcher relies on, over real HTTP: bounded report page, ids, the
agency page, search (true count, paging, filters, relevance, snippets), the index facts,
CSV downloads, Chinese labels and integer counts.

A real `datasette` process serves the sample archive (archive/datasette/sample.py) plus one
report seen twice with a very long, rewritten body.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.parse
from pathlib import Path

import pytest
from lxml import html as lxml_html

from archive import figures
from archive.datasette import sample
from archive.datasette.report_page import DIFF_MAX_LINES, text_diff
from archive.search import is_boilerplate, snippets
from archive.serve import background
from archive.writer import Archive
from tests.test_datasette_site import get

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
LONG_SENTENCES = 30000


def long_text(word: str) -> str:
    return "".join(f"第{i}项工作{word}政府信息公开。" for i in range(LONG_SENTENCES))


def add_long_report(db: Path) -> int:
    """A report stored twice, its first section ~600 000 characters, every sentence edited."""
    arch = Archive(db)
    run = arch.start_run(["shili-shi"])
    url = "http://www.shili.gov.cn/nb/long.html"
    doc = sample._doc("长文测试局", 2022, "2023-01-10", sample.t3_numbers(1),
                      section_extra=long_text("推进"))
    rid = sample._store(arch, run, "shili-shi", url, doc, "2023-01-11T02:00:00.000Z")
    doc2 = sample._doc("长文测试局", 2022, "2023-01-10", sample.t3_numbers(1),
                       section_extra=long_text("落实"))
    sample._store(arch, run, "shili-shi", url, doc2, "2023-02-11T02:00:00.000Z")
    arch.finish_run(run, "finished", "finished", {})
    arch.drain_derived()
    arch.close()
    figures.refresh(db)
    return rid


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("pages") / "archive.db"
    ids = sample.build(db)
    ids["long"] = add_long_report(db)
    with background(db, METADATA) as url:
        yield url, ids, db


def page(url: str):
    status, _, body = get(url)
    assert status == 200, (url, body[:300])
    return lxml_html.fromstring(body.decode("utf-8"))


# ---------------------------------------------------------------- bounded report page

def test_text_diff_of_long_texts_is_bounded_and_says_so():
    a, b = long_text("推进"), long_text("落实")
    start = time.monotonic()
    lines, cut = text_diff(a, b)
    assert time.monotonic() - start < 5
    assert cut and len(lines) == DIFF_MAX_LINES
    assert lines[0] == "- 第0项工作推进政府信息公开。" and "+ 第0项工作落实政府信息公开。" in lines
    # One edited sentence in the middle of a long text: exactly that sentence, not cut.
    c = a.replace("第15000项工作推进", "第15000项工作深化")
    assert text_diff(a, c) == (["- 第15000项工作推进政府信息公开。", "+ 第15000项工作深化政府信息公开。"], False)


def test_report_with_a_long_rewritten_body_answers_quickly(site):
    base, ids, _ = site
    start = time.monotonic()
    doc = page(f"{base}/-/report/{ids['long']}")
    assert time.monotonic() - start < 10
    diff = doc.cssselect("div.diff")
    assert len(diff) == 1 and doc.cssselect("p.diff-cut")
    assert len(diff[0].cssselect("pre.textdiff")[0].text_content().splitlines()) == DIFF_MAX_LINES


def test_report_diff_over_the_page_budget_is_given_up_not_waited_for(tmp_path, site):
    _, ids, db = site
    meta = tmp_path / "metadata.yml"
    meta.write_text(METADATA.read_text(encoding="utf-8").replace(
        "page_budget_seconds: 3", "page_budget_seconds: 0.000001"), encoding="utf-8")
    with background(db, meta) as base:
        doc = page(f"{base}/-/report/{ids['long']}")
        assert doc.cssselect("p.too-large") and not doc.cssselect("div.diff")
        # The rest of the page is still there.
        assert doc.cssselect("table.t3") and doc.cssselect("table.versions")


@pytest.mark.parametrize("bad", ["9223372036854775808", "99999999999999999999999", "-1", "0",
                                 "abc", "1.5", "1e3", "%20", "１"])
def test_ids_that_are_not_positive_sqlite_integers_are_404(site, bad):
    base, _, _ = site
    for route in ("report", "capture"):
        status, _, _ = get(f"{base}/-/{route}/{urllib.parse.quote(bad)}")
        assert status == 404, (route, bad)
    assert get(f"{base}/-/search?q=x&page={urllib.parse.quote(bad)}")[0] == 404
    assert get(f"{base}/-/report/9223372036854775807")[0] == 404       # valid, absent


# ---------------------------------------------------------------- agency page

def test_agency_page_lays_out_the_years_side_by_side(site):
    base, ids, _ = site
    doc = page(f"{base}/-/agency/" + urllib.parse.quote("示例市政府"))
    assert doc.cssselect("h1.agency-name")[0].text_content() == "示例市人民政府"
    years = doc.cssselect("table.t3 th.year a")
    assert [a.text_content() for a in years] == ["2020", "2021", "2022"]
    assert [a.get("href") for a in years] == [f"/-/report/{ids[k]}" for k in
                                              ("city2020", "city2021", "city2022")]
    cells = lambda sel: [td.text_content() for td in doc.cssselect(sel)]  # noqa: E731
    assert cells('table.t3 tr[data-row="new_received"] td') == ["150", "200", "250"]
    assert cells('table.t4 tr[data-row="admin_review"] td') == ["4", "5", "6"]
    # Another applicant column on request.
    doc = page(f"{base}/-/agency/" + urllib.parse.quote("示例市政府") + "?col=natural_person")
    assert cells('table.t3 tr[data-row="new_received"] td') == ["120", "160", "200"]
    assert get(f"{base}/-/agency/" + urllib.parse.quote("示例市政府") + "?col=nope")[0] == 404
    assert get(f"{base}/-/agency/" + urllib.parse.quote("没有这个机构"))[0] == 404


def test_report_page_links_the_agency_and_its_neighbouring_years(site):
    base, ids, _ = site
    doc = page(f"{base}/-/report/{ids['city2021']}")
    assert doc.cssselect("a.agency")[0].get("href") == "/-/agency/" + urllib.parse.quote("示例市政府")
    assert doc.cssselect("a.year-prev")[0].get("href") == f"/-/report/{ids['city2020']}"
    assert doc.cssselect("a.year-next")[0].get("href") == f"/-/report/{ids['city2022']}"
    first = page(f"{base}/-/report/{ids['city2020']}")
    assert not first.cssselect("a.year-prev") and first.cssselect("a.year-next")


def test_agency_names_link_to_the_agency_page_in_tables_and_queries(site):
    base, _, _ = site
    for path in ("/archive/agencies?q=", "/archive/report_figures",
                 "/archive/outcome_shares?agency=&year="):
        links = {a.text_content(): a.get("href") for a in page(base + path).cssselect("a.agency")}
        assert links.get("示例市人民政府") == "/-/agency/" + urllib.parse.quote("示例市政府"), path
    # A payload in an agency key stays text in the link and in the page it leads to.
    evil = next(h for t, h in ((a.text_content(), a.get("href")) for a in
                               page(base + "/archive/agencies?q=").cssselect("a.agency"))
                if "恶意" in t)
    status, _, body = get(base + evil)
    assert status == 200 and b"<script>window.__xss" not in body


# ---------------------------------------------------------------- search

def _results(base: str, **params) -> tuple[str, list[str]]:
    doc = page(f"{base}/-/search?" + urllib.parse.urlencode(params))
    count = doc.cssselect("p.count")[0].text_content()
    return count, [a.get("href") for a in doc.cssselect("a.result-title")]


def test_search_counts_every_match_and_pages_through_them(site):
    base, ids, db = site
    conn = sqlite3.connect(db)
    expected = conn.execute("SELECT COUNT(*) FROM reports WHERE instr(body_text, '复议') > 0 "
                            "OR instr(title, '复议') > 0").fetchone()[0]
    conn.close()
    assert expected == 7
    count, first = _results(base, q="复议", size=3)
    assert "找到 7 份" in count and "第 1/3 页" in count and len(first) == 3
    second = _results(base, q="复议", size=3, page=2)[1]
    third = _results(base, q="复议", size=3, page=3)[1]
    assert len(second) == 3 and len(third) == 1
    assert len(set(first + second + third)) == 7
    assert _results(base, q="复议", size=3, page=4)[1] == []
    doc = page(f"{base}/-/search?" + urllib.parse.urlencode({"q": "复议", "size": 3, "page": 2}))
    assert "page=3" in doc.cssselect("a[rel=next]")[0].get("href")
    assert "size=3" in doc.cssselect("a[rel=prev]")[0].get("href")


def test_search_filters_by_year_region_and_agency(site):
    base, ids, _ = site
    assert sorted(_results(base, q="复议", year="2021")[1]) == sorted(
        f"/-/report/{ids[k]}" for k in ("city2021", "edu2021"))
    assert sorted(_results(base, q="复议", region="示例县")[1]) == sorted(
        f"/-/report/{ids[k]}" for k in ("edu2021", "edu2022"))
    assert sorted(_results(base, q="复议", agency="示例市政府")[1]) == sorted(
        f"/-/report/{ids[k]}" for k in ("city2020", "city2021", "city2022"))
    assert "找到 0 份" in _results(base, q="复议", year="1999")[0]


def test_search_orders_by_relevance_or_by_year(site):
    base, ids, _ = site
    # 示例市 2020 says 复议 twice (全年受理行政复议申请2件); the others once.
    assert _results(base, q="复议")[1][0] == f"/-/report/{ids['city2020']}"
    newest = _results(base, q="复议", sort="newest")[1]
    assert newest[-1] == f"/-/report/{ids['city2020']}"


def test_search_finds_terms_of_every_length_like_instr(site):
    """One index for every term length: the count and the reports are those whose title or body
    contains every term (instr), and the snippets show the hits."""
    base, ids, db = site
    conn = sqlite3.connect(db)
    for q in ("行政复议", "政府信息公开", "复议 行政复议", "复", "议", "2021", "行政复议申请"):
        terms = q.split()
        where = " AND ".join("(instr(title, ?) > 0 OR instr(body_text, ?) > 0)" for _ in terms)
        want = {f"/-/report/{r[0]}" for r in conn.execute(
            f"SELECT id FROM reports WHERE {where}", [t for t in terms for _ in (0, 1)])}
        assert want, q
        count, hrefs = _results(base, q=q, size=100)
        assert f"找到 {len(want)} 份" in count, (q, count)
        assert set(hrefs) == want, q
    conn.close()
    doc = page(f"{base}/-/search?" + urllib.parse.urlencode({"q": "行政复议"}))
    assert doc.cssselect("a.result-title")[0].get("href") == f"/-/report/{ids['city2020']}"
    marks = [m.text_content() for m in doc.cssselect(".snippet mark, .snippets mark, mark")]
    assert "行政复议" in marks


def test_snippets_skip_the_statistics_tables():
    body = ("三、收到和处理政府信息公开申请情况\n"
            "(三)不予公开 | 1、属于国家秘密 | 0 | 0 | 0\n"
            "四、政府信息公开行政复议、行政诉讼情况\n"
            "行政复议 | 行政诉讼\n"
            "全年办理行政复议案件2件，均维持原决定；依法不予公开的3件均已说明理由。\n")
    assert is_boilerplate("四、政府信息公开行政复议、行政诉讼情况")
    assert is_boilerplate("第二十条第(一)项")
    assert not is_boilerplate("全年办理行政复议案件2件，均维持原决定。")
    hits = snippets(body, ["复议"])
    assert len(hits) == 1
    assert "".join(t for t, _ in hits[0]).startswith("全年办理行政复议案件")
    assert [t for t, hit in hits[0] if hit] == ["复议"]
    assert snippets(body.replace("依法不予公开的3件均已说明理由。", ""), ["不予公开"]) == []


# ---------------------------------------------------------------- index, labels, CSV

def test_index_opens_with_the_archive_facts(site):
    base, _, db = site
    conn = sqlite3.connect(db)
    failing = conn.execute("SELECT COUNT(*) FROM checks k JOIN reports r ON r.id = k.report_id "
                           "AND k.version_id = r.current_version_id WHERE k.is_current = 1 "
                           "AND k.status = 'fail'").fetchone()[0]
    conn.close()
    doc = page(base + "/")
    facts = {e.get("data-fact"): e.text_content() for e in doc.cssselect("[data-fact]")}
    assert facts == {"reports": "7", "agencies": "4", "years": "3", "portals": "3",
                     "failing_checks": str(failing)}
    links = {a.get("href") for a in doc.cssselect(".nianbao-facts a")}
    assert {"/-/go/figures", "/-/go/agencies", "/-/search", "/-/charts", "/-/go/failing"} <= links
    # The index is the first thing on the page, above Datasette's database list.
    assert doc.text_content().index("份报告") < doc.text_content().index("tables")


def test_wide_views_show_chinese_labels_and_integer_counts(site):
    base, _, _ = site
    doc = page(base + "/archive/t3_wide?row_key=new_received")
    label = lambda col: doc.cssselect(f'th[data-column="{col}"] .col-label')[0].text_content()  # noqa: E731
    assert (label("natural_person"), label("legal_law_service"), label("total")) == \
        ("自然人", "法律服务机构", "总计")
    totals = [td.text_content().strip() for td in doc.cssselect("td.col-total")]
    assert totals and all(re.fullmatch(r"\d+", t) for t in totals), totals
    figures_page = page(base + "/archive/report_figures")
    assert all("." not in td.text_content() for td in figures_page.cssselect("td.col-new_received"))
    apps = json.loads(get(base + "/archive/applications_by_year_region.json?year=&region=&_shape=array")[2])
    assert all(isinstance(r["new_applications"], int) for r in apps)


def test_csv_downloads_carry_a_bom_and_are_attachments(site):
    base, _, _ = site
    for path, header in (("/archive/t3_wide.csv", b"report_id,"),
                         ("/archive/report_figures.csv?_stream=1", b"report_id,"),
                         ("/archive/late_reports.csv?year=", b"report_id,"),
                         ("/archive.csv?sql=" + urllib.parse.quote("select '示例' as name"), b"name")):
        status, headers, body = get(base + path)
        assert status == 200, path
        assert body.startswith(b"\xef\xbb\xbf" + header), (path, body[:20])
        assert body.count(b"\xef\xbb\xbf") == 1
        assert headers["content-disposition"].startswith("attachment"), path
        assert headers["content-type"].startswith("text/csv")
    assert "示例".encode() in get(base + "/archive.csv?sql=" + urllib.parse.quote("select '示例' as name"))[2]
    status, headers, body = get(base + "/archive/t3_wide.json")
    assert not body.startswith(b"\xef\xbb\xbf") and "content-disposition" not in headers


def test_check_explanations_are_plain_chinese_with_the_numbers(site):
    base, ids, _ = site
    doc = page(f"{base}/-/report/{ids['city2021']}")
    fail = [tr for tr in doc.cssselect("table.checks tr.status-fail") if "T3-BAL" in tr.text_content()]
    assert fail[0].cssselect("td.explain")[0].text_content() == \
        "总计列：一+二 = 200+27 = 227 ≠ 三(七)+四 = 158+74 = 232（差 -5）"
    assert fail[0].cssselect(".badge")[0].text_content() == "未通过"
    assert "new_received + carried_over" in fail[0].cssselect("td.secondary")[0].text_content()


def test_passing_checks_are_explained_with_their_recomputed_numbers(site):
    """Passing within-report checks store no details (docs/checks.md#storage): the page
    recomputes them, so a passing check still says what it compared."""
    base, ids, db = site
    import sqlite3
    conn = sqlite3.connect(db)
    stored = dict(conn.execute(
        "SELECT k.check_id, COUNT(k.expected) FROM checks k JOIN reports r ON r.id = k.report_id "
        "AND k.version_id = r.current_version_id WHERE r.id = ? AND k.status = 'pass' "
        "AND k.check_id IN ('S-TABLES', 'S-SECTIONS', 'T2-DOMAIN') GROUP BY k.check_id",
        [ids["city2021"]]).fetchall())
    conn.close()
    assert stored == {"S-TABLES": 0, "S-SECTIONS": 0, "T2-DOMAIN": 0}
    doc = page(f"{base}/-/report/{ids['city2021']}")
    said = {cid: tr.cssselect("td.explain")[0].text_content() for tr in doc.cssselect("table.checks tr.status-pass")
            for cid in stored if cid in tr.text_content()}
    assert said == {"S-TABLES": "统计表齐全通过：应为 3，实际 3", "S-SECTIONS": "六部分齐全通过：应为 6，实际 6",
                    "T2-DOMAIN": "表二数值通过：应为 0，实际 0"}


def _location(url: str) -> tuple[int, str | None]:
    import http.client
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", u.path)
    r = conn.getresponse()
    r.read()
    return r.status, r.getheader("Location")


def test_a_check_result_opens_where_it_is_explained(site):
    """`/-/check/<id>` (the scorecard's evidence) opens the report page at that result, the
    passed checks unfolded, with the numbers recomputed; a result no longer current opens in
    the `checks` view; a missing or malformed id is 404."""
    base, ids, db = site
    conn = sqlite3.connect(db)
    (cid,) = conn.execute("SELECT k.id FROM checks k JOIN reports r ON r.id = k.report_id AND "
                          "k.version_id = r.current_version_id WHERE r.id = ? AND k.check_id = 'S-TABLES' "
                          "AND k.is_current = 1", [ids["city2021"]]).fetchone()
    old = conn.execute("SELECT id FROM checks WHERE is_current = 0 LIMIT 1").fetchone()
    conn.close()
    status, where = _location(f"{base}/-/check/{cid}")
    assert status == 302 and where == f"/-/report/{ids['city2021']}?checks=open#check-{cid}"
    doc = page(base + where)
    row = doc.cssselect(f"tr#check-{cid}")[0]
    assert row.getparent().getparent().tag == "details" and row.getparent().getparent().get("open") is not None
    assert row.cssselect("td.explain")[0].text_content() == "统计表齐全通过：应为 3，实际 3"
    assert not page(f"{base}/-/report/{ids['city2021']}").cssselect("details.passed[open]")
    if old:
        status, where = _location(f"{base}/-/check/{old[0]}")
        assert status == 302 and where.endswith(f"/checks?id={old[0]}")
    assert get(f"{base}/-/check/999999999")[0] == 404
    assert get(f"{base}/-/check/abc")[0] == 404


def test_deadline_explanation_and_the_original_link_under_the_counting_line(site):
    base, ids, _ = site
    status, _, body = get(f"{base}/-/report/{ids['edu2022']}")
    assert b"&lt;p class=" not in body            # the counting line once escaped this tag
    doc = lxml_html.fromstring(body.decode("utf-8"))
    assert doc.cssselect("p.counted + p.original a")[0].get("href") == \
        "http://jyj.shili.gov.cn/nb/2022.html"
    late = [tr for tr in doc.cssselect("table.checks tr.status-fail") if "P-DEADLINE" in tr.text_content()]
    assert late[0].cssselect("td.explain")[0].text_content() == \
        "发布时限未通过：期限 2023-01-31，声明的发布日期 2023-05-10，晚 99 天"
