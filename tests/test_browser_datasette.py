"""The published archive in a real browser (Debian Chromium via Playwright).

Every page loads without console errors (the CSP would report a blocked script as one), search
finds a two-character word, the report page shows its tables with the failing cell marked, and
script-injection payloads from crawled content stay text.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from archive.datasette import sample
from archive.serve import background
from crawler import browser as chromium

pytestmark = pytest.mark.browser

METADATA = Path(__file__).resolve().parent.parent / "metadata.yml"

QUERY_PARAMS = {
    "applications_by_year_region": {"year": "", "region": ""},
    "outcome_shares": {"agency": "示例", "year": ""},
    "denied_reasons": {"year": "", "agency": ""},
    "failing_balance": {"year": ""},
    "carry_over_mismatches": {"year": "", "agency": ""},
    "late_reports": {"year": ""},
    "changed_after_publication": {"agency": ""},
    "reports_without_tables": {"year": ""},
    "agency_t3_across_years": {"agency": "示例市"},
    "agency_tables_across_years": {"agency": "示例县", "tbl": ""},
    "search_reports": {"q": "复议"},
    "agencies": {"q": ""},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not chromium.available():
        pytest.skip("Debian chromium is not installed (make setup)")
    db = tmp_path_factory.mktemp("browser") / "archive.db"
    ids = sample.build(db)
    with background(db, METADATA) as url:
        yield url, ids


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(**chromium.launch_options())
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.errors = []  # console errors and uncaught exceptions, including CSP violations
    pg.on("console", lambda m: pg.errors.append(f"console: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    pg.on("dialog", lambda d: (pg.errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    ctx.close()


def visit(pg, url: str) -> None:
    response = pg.goto(url, wait_until="load")
    assert response.status == 200, url
    pg.wait_for_timeout(150)  # let deferred scripts run and report


def no_payload_ran(pg) -> None:
    assert pg.evaluate("typeof window.__xss") == "undefined"
    assert pg.evaluate("typeof window.__raw_executed") == "undefined"


def table_names(base: str) -> list[str]:
    data = json.load(urllib.request.urlopen(base + "/archive.json"))
    return [t["name"] for t in data["tables"] if not t["hidden"]] + [v["name"] for v in data["views"]]


def test_index_tables_queries_and_pages_load_without_console_errors(site, page):
    base, ids = site
    paths = ["/", "/archive", "/-/search", "/-/charts", "/-/charts?agency=示例市",
             "/-/agency/示例市政府", "/-/search?q=复议&size=2&page=2&region=示例"]
    paths += [f"/archive/{t}" for t in table_names(base)]
    paths += [f"/archive/{q}?" + urllib.parse.urlencode(p) for q, p in QUERY_PARAMS.items()]
    paths += [f"/-/report/{i}" for i in ids.values()]
    for path in paths:
        visit(page, base + path)
        assert page.errors == [], (path, page.errors)
        no_payload_ran(page)


def test_search_for_a_two_character_word(site, page):
    base, ids = site
    visit(page, base + "/-/search")
    page.fill("input[name=q]", "复议")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    titles = page.locator("a.result-title")
    assert titles.count() == len(ids)                # every sample report mentions 行政复议
    assert page.locator("mark").first.inner_text() == "复议"
    page.fill("input[name=q]", "更正")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("a.result-title").count() == 1
    page.locator("a.result-title").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/-/report/{ids['edu2021']}")
    assert page.errors == []


def test_report_page_shows_three_tables_and_the_failing_cell(site, page):
    base, ids = site
    visit(page, f"{base}/-/report/{ids['city2021']}")
    assert page.locator("table.t2").count() >= 1
    assert page.locator("table.t3").is_visible() and page.locator("table.t4").is_visible()
    row = page.locator('table.t3 tr[data-row="new_received"] td')
    assert row.all_inner_texts() == ["160", "24", "4", "0", "8", "4", "200✗"]
    failing = page.locator('table.t3 tr[data-row="total_processed"] td.fail').last
    assert failing.inner_text().startswith("158")
    assert "T3-BAL" in failing.get_attribute("title")
    # The marked cell is visibly different from a normal one.
    normal = page.locator('table.t3 tr[data-row="granted"] td').first
    assert failing.evaluate("e => getComputedStyle(e).backgroundColor") != \
        normal.evaluate("e => getComputedStyle(e).backgroundColor")
    assert page.locator("table.checks tr.status-fail", has_text="T3-BAL").count() == 1
    assert page.errors == []


def test_script_payloads_in_crawled_content_stay_text(site, page):
    base, ids = site
    visit(page, f"{base}/-/report/{ids['evil']}")
    title = page.locator("h1.report-title").inner_text()
    assert title.startswith("<script>window.__xss=1</script>")
    assert 'onerror="window.__xss=2"' in title
    assert page.locator("img[src=x]").count() == 0 and page.locator("article svg").count() == 0
    cell = page.locator('table.t3 tr[data-row="denied.state_secret"] td').nth(5)
    assert cell.inner_text() == sample.XSS_CELL
    assert sample.XSS_FILENAME in page.locator("#attachments").inner_text()
    no_payload_ran(page)
    for path in ("/archive/reports", "/archive/attachments", "/archive/cells?raw__contains=img",
                 "/archive/report_overview", "/-/search?q=" + urllib.parse.quote("恶意测试")):
        visit(page, base + path)
        no_payload_ran(page)
        assert page.errors == [], (path, page.errors)
    # The archived page itself (it contains a live <script>) is shown as source, not run.
    visit(page, base + "/archive/captures?_sort=id&url__contains=evil.example&role=detail")
    cid = page.locator("table.rows-and-columns tbody tr td.col-id").first.inner_text().strip()
    visit(page, f"{base}/-/capture/{cid}")
    assert "<script>window.__raw_executed=1</script>" in page.locator("body").inner_text()
    no_payload_ran(page)


def test_charts_page_draws_the_trends(site, page):
    base, _ = site
    visit(page, base + "/-/charts")
    assert page.locator("svg.chart").count() >= 4
    bars = page.locator("svg.chart").first.locator("rect")
    assert bars.count() == 3                          # sample years 2020, 2021, 2022
    assert page.errors == []


def test_index_opens_with_the_facts_and_leads_to_the_agencies(site, page):
    base, ids = site
    visit(page, base + "/")
    facts = page.locator(".nianbao-facts")
    assert facts.is_visible()
    assert page.locator('[data-fact="reports"]').inner_text() == str(len(ids))
    assert page.locator('[data-fact="agencies"]').inner_text() == "3"
    assert page.locator('[data-fact="years"]').inner_text() == "3"
    # The facts come before Datasette's list of databases.
    assert facts.bounding_box()["y"] < page.locator("h2").first.bounding_box()["y"]
    page.locator(".nianbao-facts a", has_text="机构列表").click()
    page.wait_for_load_state("load")
    page.locator("a.agency", has_text="示例市人民政府").click()
    page.wait_for_load_state("load")
    assert "/-/agency/" in page.url
    assert page.locator("h1.agency-name").inner_text() == "示例市人民政府"
    assert page.errors == []


def test_agency_page_shows_every_year_and_leads_to_the_reports(site, page):
    base, ids = site
    visit(page, base + "/-/agency/示例市政府")
    assert page.locator("table.t3 th.year").all_inner_texts() == ["2020", "2021", "2022"]
    assert page.locator('table.t3 tr[data-row="new_received"] td').all_inner_texts() == \
        ["150", "200", "250"]
    page.select_option("select[name=col]", "natural_person")
    page.click("form.col-pick button")
    page.wait_for_load_state("load")
    assert page.locator('table.t3 tr[data-row="new_received"] td').all_inner_texts() == \
        ["120", "160", "200"]
    page.locator("table.t3 th.year a", has_text="2021").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/-/report/{ids['city2021']}")
    page.locator("a.year-next").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/-/report/{ids['city2022']}")
    assert page.errors == []


def test_search_pages_and_filters(site, page):
    base, ids = site
    visit(page, base + "/-/search?q=复议&size=4")
    assert "找到 6 份" in page.locator("p.count").inner_text()
    first = page.locator("a.result-title").all_inner_texts()
    assert len(first) == 4
    page.locator("a[rel=next]").click()
    page.wait_for_load_state("load")
    second = page.locator("a.result-title").all_inner_texts()
    assert len(second) == 2 and not set(first) & set(second)
    assert page.locator("a[rel=next]").count() == 0
    page.select_option("select[name=year]", "2021")
    page.fill("input[name=region]", "示例县")
    page.click("form.nianbao-search-form button")
    page.wait_for_load_state("load")
    hrefs = [a.get_attribute("href") for a in page.locator("a.result-title").all()]
    assert hrefs == [f"/-/report/{ids['edu2021']}"]
    assert "找到 1 份" in page.locator("p.count").inner_text()
    assert page.errors == []


def test_csv_download_is_an_attachment_with_a_bom(site, page, tmp_path):
    base, _ = site
    visit(page, base + "/archive/t3_wide?row_key=new_received")
    with page.expect_download() as info:
        # A download navigation never finishes loading a page: start it from a script-free link.
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; "
                      "document.body.appendChild(a); a.click(); }",
                      base + "/archive/t3_wide.csv?row_key=new_received")
    download = info.value
    assert download.suggested_filename == "t3_wide.csv"
    target = tmp_path / "t3_wide.csv"
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfreport_id,")
    assert "示例市人民政府" in data.decode("utf-8-sig")


def test_wide_view_columns_carry_their_chinese_labels(site, page):
    base, _ = site
    visit(page, base + "/archive/t3_wide")
    header = page.locator('th[data-column="legal_social_welfare"]')
    assert "legal_social_welfare" in header.inner_text() and "社会公益组织" in header.inner_text()
    assert page.locator('th[data-column="natural_person"] .col-label').is_visible()
    cells = page.locator("td.col-total").all_inner_texts()
    assert cells and all(c.strip().isdigit() for c in cells)
    assert page.errors == []
