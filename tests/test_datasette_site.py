"""The published archive over real HTTP: metadata, canned queries, report page, raw bytes.

A real `datasette` process (archive.serve.background) serves a sample archive written through
the real writer (archive/datasette/sample.py). Expected numbers are the sample's inputs,
written out here by hand.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from lxml import html as lxml_html

from archive.datasette import sample
from archive.serve import background, datasette_args
from nianbao import canon

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("site") / "archive.db"
    ids = sample.build(db)
    with background(db, METADATA) as url:
        yield url, ids, db


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _text(body: bytes) -> str:
    return body.decode("utf-8")  # Datasette pages declare the charset in the header only


def query(base: str, name: str, **params) -> list[dict]:
    qs = urllib.parse.urlencode({**params, "_shape": "objects"})
    status, _, body = get(f"{base}/archive/{name}.json?{qs}")
    assert status == 200, body[:500]
    return json.loads(body)["rows"]


def test_metadata_describes_every_table_and_column(tmp_path):
    from archive.schema import open_db
    db = open_db(tmp_path / "a.db")
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    tables = meta["databases"]["archive"]["tables"]
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
    for name in names:
        assert name in tables, f"{name} missing from metadata.yml"
        if tables[name].get("hidden") or name.endswith("_wide"):
            continue  # wide-view columns are labelled from canon.py by the plugin
        assert tables[name].get("description"), name
        cols = [r[1] for r in db.execute(f"PRAGMA table_info([{name}])")]
        missing = [c for c in cols if c not in (tables[name].get("columns") or {})]
        assert not missing, f"{name}: undocumented columns {missing}"
    assert set(meta["databases"]["archive"]["queries"]) >= {
        "applications_by_year_region", "outcome_shares", "denied_reasons", "failing_balance",
        "carry_over_mismatches", "late_reports", "changed_after_publication",
        "agency_t3_across_years", "agency_tables_across_years", "search_reports"}


def test_serve_arguments_are_read_only_and_time_limited(tmp_path):
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    args = datasette_args(db, port=9)
    assert args[:3] == ["serve", "-i", str(db)]
    settings = dict(zip(args[args.index("--setting") + 1::3], args[args.index("--setting") + 2::3]))
    assert int(settings["sql_time_limit_ms"]) <= 2000
    assert "-m" in args


def test_settings_and_plugin_are_live(site):
    base, _, _ = site
    settings = json.loads(get(base + "/-/settings.json")[2])
    assert settings["sql_time_limit_ms"] == 2000
    plugins = {p["name"] for p in json.loads(get(base + "/-/plugins.json")[2])}
    assert "nianbao" in plugins
    dbs = json.loads(get(base + "/-/databases.json")[2])
    assert dbs[0]["is_mutable"] is False  # served immutable


def test_every_page_sends_a_csp_without_unsafe_inline_scripts(site):
    base, ids, _ = site
    for path in ("/", "/archive/reports", f"/-/report/{ids['evil']}", "/-/charts"):
        status, headers, _ = get(base + path)
        assert status == 200, path
        csp = headers["content-security-policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert headers["x-content-type-options"] == "nosniff"


def test_canned_queries_find_the_planted_findings(site):
    base, ids, _ = site
    failing = query(base, "failing_balance", year="")
    assert [(r["report_id"], r["scope"]) for r in failing] == [(ids["city2021"], "t3/total")]

    late = {r["report_id"]: r for r in query(base, "late_reports", year="")}
    assert ids["edu2022"] in late                    # 部门, published 2023-05-10 > 2023-01-31
    assert late[ids["edu2022"]]["deadline"] == "2023-01-31"
    assert ids["city2022"] not in late               # 政府本级, 2023-03-10 ≤ 2023-03-31

    carry = query(base, "carry_over_mismatches", year="2022", agency="示例市")
    assert [(r["report_id"], r["carried_over_this_year"]) for r in carry] == [(ids["city2022"], 7)]

    changed = query(base, "changed_after_publication", agency="")
    assert {r["report_id"] for r in changed} == {ids["edu2021"]}
    granted = [r for r in changed if r["row_label"] == canon.row_label("t3", "granted")
               and r["col_label"] == canon.col_label("t3", "natural_person")]
    assert [(g["before"], g["after"]) for g in granted] == [("20", "21")]

    reasons = query(base, "denied_reasons", year="", agency="")
    assert reasons[0]["reason_key"] == "denied.third_party"
    assert reasons[0]["reason"] == canon.row_label("t3", "denied.third_party")

    apps = {(r["year"], r["region"]): r["new_applications"]
            for r in query(base, "applications_by_year_region", year="2021", region="")}
    # 示例市 2021: (40+6+1+0+2+1)*4 = 200; 示例县教育局 2021 (current version): 50
    assert apps == {(2021, "示例省示例市"): 200, (2021, "示例省示例县"): 50}

    shares = {r["report_id"]: r for r in query(base, "outcome_shares", agency="示例市", year="2020")}
    # 2020, scale 3: new_received 120 18 3 0 6 3; granted = half of each, rounded down
    assert shares[ids["city2020"]]["granted"] == 60 + 9 + 1 + 0 + 3 + 1

    t3 = query(base, "agency_t3_across_years", agency="示例市人民政府")
    new = {r["year"]: r["total"] for r in t3 if r["row_label"] == canon.row_label("t3", "new_received")}
    assert new == {2020: "150", 2021: "200", 2022: "250"}
    t4 = query(base, "agency_tables_across_years", agency="示例市人民政府", tbl="t4")
    assert {r["tbl"] for r in t4} == {"t4"} and len(t4) == 3 * 15


def test_search_finds_two_character_words(site):
    base, ids, _ = site
    hits = query(base, "search_reports", q="更正")     # only the corrected 2021 edu report
    assert [r["report_id"] for r in hits] == [ids["edu2021"]]
    assert len(query(base, "search_reports", q="复议")) == 6
    assert [r["report_id"] for r in query(base, "search_reports", q="行政复议申请")] == [ids["city2020"]]
    assert len(query(base, "search_reports", q="复")) == len(query(base, "search_reports", q="复议")) == 6
    assert query(base, "search_reports", q="") == [] and query(base, "search_reports", q="龘") == []
    status, _, body = get(base + "/-/search?" + urllib.parse.urlencode({"q": "更正"}))
    page = lxml_html.fromstring(_text(body))
    assert [a.get("href") for a in page.cssselect("a.result-title")] == [f"/-/report/{ids['edu2021']}"]


def _t3_row(page, key: str) -> list[str]:
    row = page.cssselect(f'table.t3 tr[data-row="{key}"]')[0]
    return [td.text_content().replace("✗", "").strip() for td in row.cssselect("td")]


def test_report_page_lays_out_the_tables_and_marks_the_failing_cell(site):
    base, ids, _ = site
    status, _, body = get(f"{base}/-/report/{ids['city2021']}")
    assert status == 200
    page = lxml_html.fromstring(_text(body))
    # scale 4: new_received 160 24 4 0 8 4 | 200; total_processed total printed 158 (153 + 5)
    assert _t3_row(page, "new_received") == ["160", "24", "4", "0", "8", "4", "200"]
    totals = page.cssselect('table.t3 tr[data-row="total_processed"] td')
    assert totals[-1].text_content().startswith("158")
    assert "fail" in totals[-1].get("class") and "T3-BAL" in totals[-1].get("title")
    # A balanced column is not marked.
    assert "fail" not in page.cssselect('table.t3 tr[data-row="new_received"] td')[0].get("class")
    # The rows appear in the official 2021 order, with the official labels.
    labels = [th.text_content() for th in page.cssselect("table.t3 tbody th.label")]
    assert labels == [canon.row_label("t3", k) for k in canon.T3_ROWS_2021]
    # Table 二 and 四 are there, with the official headers.
    assert canon.col_label("t2", "in_force") in page.cssselect("table.t2")[0].text_content()
    assert [td.text_content() for td in page.cssselect("table.t4 td")][:5] == ["3", "1", "0", "1", "5"]
    # The explained check and the provenance.
    checks = page.cssselect("table.checks tr.status-fail")
    assert any("T3-BAL" in tr.text_content() for tr in checks)
    text = page.text_content()
    assert "http://www.shili.gov.cn/nb/2021.html" in text
    assert "2021年报.pdf" in text


def test_report_page_shows_versions_and_their_differences(site):
    base, ids, _ = site
    page = lxml_html.fromstring(_text(get(f"{base}/-/report/{ids['edu2021']}")[2]))
    assert len(page.cssselect("table.versions tr")) == 3          # header + 2 versions
    changed = [[td.text_content() for td in tr.cssselect("td")]
               for tr in page.cssselect("table.changed-cells tr")[1:]]
    label = f"{canon.row_label('t3', 'granted')} / {canon.col_label('t3', 'natural_person')}"
    assert ["t3", label, "20", "21"] in changed
    assert "2022年6月更正" in page.cssselect("div.diff")[0].text_content()


def test_crawled_markup_is_escaped_everywhere(site):
    base, ids, _ = site
    for path in (f"/-/report/{ids['evil']}", "/archive/reports", "/archive/report_overview",
                 "/archive/attachments", "/-/search?q=" + urllib.parse.quote("恶意"),
                 "/archive/cells?raw__contains=img"):
        status, _, body = get(base + path)
        assert status == 200, path
        text = body.decode()
        assert "<script>window.__xss" not in text, path
        assert "onerror=\"window.__xss" not in text and "<svg onload" not in text, path
    body = get(f"{base}/-/report/{ids['evil']}")[2].decode()
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in body


def test_archived_bytes_are_served_as_inert_text(site):
    base, ids, db = site
    conn = sqlite3.connect(db)
    cid, sha, url = conn.execute(
        "SELECT c.id, c.sha256, c.url FROM captures c JOIN report_versions v ON v.capture_id = c.id "
        "WHERE v.report_id = ?", [ids["evil"]]).fetchone()
    pdf_id, pdf_sha = conn.execute("SELECT capture_id, sha256 FROM attachments WHERE report_id = ?",
                                   [ids["evil"]]).fetchone()
    conn.close()
    status, headers, body = get(f"{base}/-/capture/{cid}")
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == sha            # the exact bytes fetched
    assert b"<script>window.__raw_executed=1</script>" in body
    assert headers["content-type"].startswith("text/plain")  # never rendered as HTML
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]
    assert headers["content-disposition"].startswith("inline")
    status, headers, body = get(f"{base}/-/capture/{pdf_id}?download=1")
    assert headers["content-type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == pdf_sha
    assert re.match(r'attachment; filename="[A-Za-z0-9._-]+"', headers["content-disposition"])
    assert get(f"{base}/-/capture/999999")[0] == 404


def test_every_table_and_query_exports_json_and_csv(site):
    base, _, _ = site
    for name in ("reports", "cells", "checks", "report_overview", "t3_wide"):
        assert get(f"{base}/archive/{name}.json")[0] == 200
        status, headers, body = get(f"{base}/archive/{name}.csv?_size=max")
        assert status == 200 and headers["content-type"].startswith("text/plain") or \
            headers["content-type"].startswith("text/csv")
        assert body.count(b"\n") > 1
    status, _, body = get(f"{base}/archive/late_reports.csv?year=")
    assert status == 200 and b"2023-05-10" in body


def _titles(base: str, db: str) -> dict:
    index = lxml_html.fromstring(_text(get(base + "/")[2]))
    reports = lxml_html.fromstring(_text(get(f"{base}/{db}/reports")[2]))
    database = lxml_html.fromstring(_text(get(f"{base}/{db}")[2]))
    return {
        "title": index.cssselect("h1")[0].text_content(),
        "index_description": index.cssselect(".metadata-description")[0].text_content(),
        "reports_description": reports.cssselect(".metadata-description")[0].text_content(),
        "queries": sorted(a.text_content() for a in database.cssselect("h2#queries + ul li a")),
        "license": [a.text_content() for a in index.cssselect("footer a")],
    }


def test_plain_datasette_shows_what_nianbao_serve_shows(tmp_path):
    db = tmp_path / "demo.db"          # not named `archive`: the plugin maps the metadata block
    sample.build(db)
    with background(db, METADATA) as served:
        ours = _titles(served, "demo")
    with background(db, METADATA, plain=True) as plain:
        theirs = _titles(plain, "demo")
    assert ours == theirs
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    assert ours["title"] == meta["title"]
    assert ours["reports_description"].strip() == \
        meta["databases"]["archive"]["tables"]["reports"]["description"]
    assert len(ours["queries"]) == len(meta["databases"]["archive"]["queries"])


def test_a_2019_report_is_laid_out_in_the_2019_format(site):
    base, ids, _ = site
    page = lxml_html.fromstring(_text(get(f"{base}/-/report/{ids['city2020']}")[2]))
    labels = [th.text_content() for th in page.cssselect("table.t3 tbody th.label")]
    assert labels == [canon.row_label("t3", k) for k in canon.T3_ROWS_2019]
    # 其他处理 as one row; table 二 in its five 2019 clauses, with 2019 column headers.
    assert _t3_row(page, "other.total")[-1] == "2"
    assert len(page.cssselect("table.t2")) == 5
    headers = page.cssselect("table.t2")[1].text_content()
    assert canon.col_label("t2", "items_prev_year") in headers
    assert canon.col_label("t2", "issued_this_year") not in page.cssselect("#tables")[0].text_content()
    # A blank cell stays blank (not 0) and is marked as such.
    blank = page.cssselect("table.t2")[2].cssselect("td.empty")
    assert len(blank) == 1 and blank[0].text_content() == ""


def test_report_page_says_whether_the_report_is_counted(site):
    base, ids, _ = site
    page = lxml_html.fromstring(_text(get(f"{base}/-/report/{ids['city2021']}")[2]))
    line = page.cssselect("p.counted")
    assert len(line) == 1 and "本份计入汇总" in line[0].text_content()
