"""`nianbao sources discover`: the ranking rules on hand-made pages, then the walk on the home
page of every farm portal (its 年报 column ranked first; none on the portal without one), the
scope rules (same host, robots.txt, private hosts, page cap), --json and --add."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from crawler import discover as d
from farm import Farm
from farm.portals import gkmlpt, nonb

# Opt-in portals whose `/` is a gkmlpt shell of the 年报 column itself (no home page of their own).
SHELL_HOMES = ("farm-hostile", "farm-bombs", "farm-realdocs")


@pytest.fixture(scope="module")
def farm():
    f = Farm(port=0, warm=False)
    f.set_politeness(False)
    yield f
    f.close()


def portals_with_homes(farm):
    return [p for p in farm.portals if p.columns()]


def cols(farm, p) -> set[str]:
    return {farm.base(c.get("host") or p.hosts[0]) + c["url"].split("#")[0] for c in p.columns()}


# ------------------------------------------------------------------ ranking rules (pure)
@pytest.mark.parametrize("text, positive", [
    ("政府信息公开年报", True), ("政府信息公开工作年度报告", True), ("年度报告", True), ("年报", True),
    ("部门政府信息公开年报", True), ("公开年报", True),
    ("芷川市民政局2021年政府信息公开工作年度报告", False),          # a report: an item, not a column
    ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", False),
    ("柘原县人民政府2024年政府工作报告", False), ("政府工作报告", False), ("政府网站工作年度报表", False),
    ("政府信息公开指南", False), ("法定主动公开内容", False), ("", False),
    ("统计局政府信息公开年报", True), ("统计年报", False), ("企业年度报告", False),   # other annual reports
])
def test_name_score(text, positive):
    assert (d.name_score(text) > 0) is positive


def test_full_names_outrank_bare_words():
    assert d.name_score("政府信息公开年报") > d.name_score("年度报告") > d.name_score("2023年度报告") > 0


def test_year_subcolumns_and_areas():
    assert [d.year_of_subcolumn(t) for t in ("2023年", "2022年度", "2021年政府信息公开年报", "2023年政务要闻")] \
        == [2023, 2022, 2021, None]
    assert d.is_area("政府信息公开") and d.is_area("信息公开目录") and d.is_area("法定主动公开内容")
    assert not d.is_area("政府信息公开指南") and not d.is_area("某县关于政务公开工作的通知")


def _page(url, title, links, depth=1, **kw):
    p = d.Page(url=url, depth=depth, title=title, **kw)
    p.links = [d.Link(u, t, tt, url) for u, t, tt in links]
    return p


def test_rank_prefers_the_parent_of_year_subcolumns_and_ignores_items():
    home = "http://a.gov.cn/"
    col, y23, y22 = "http://a.gov.cn/nb/index.shtml", "http://a.gov.cn/nb/2023/index.shtml", "http://a.gov.cn/nb/2022/index.shtml"
    rep = "http://a.gov.cn/nb/2023/content_1.shtml"
    pages = {
        home: _page(home, "某县人民政府", [(col, "政府信息公开年报", ""), (rep, "某县财政局2023年政府信息公开工作年度报告", ""),
                                     ("http://a.gov.cn/gzbg/", "政府工作报告", "")], depth=0),
        col: _page(col, "政府信息公开年报", [(y23, "2023年", "2023年政府信息公开年报"), (y22, "2022年", "2022年政府信息公开年报")]),
        y23: _page(y23, "2023年政府信息公开年报", [(rep, "某县财政局2023年政府信息公开工作年度报告", ""),
                                           (rep + "2", "某县教育局2023年政府信息公开工作年度报告", ""),
                                           (rep + "3", "某县民政局2023年政府信息公开工作年度报告", "")], depth=2),
    }
    ranked = d.rank(pages, home=home)
    assert ranked[0].url == col
    assert any("year sub-columns: 2023年, 2022年" in e for e in ranked[0].evidence)
    sub = next(c for c in ranked if c.url == y23) if any(c.url == y23 for c in ranked) else None
    assert sub is None or (sub.score < ranked[0].score and any("sub-column of" in e for e in sub.evidence))
    assert {c.url for c in ranked}.isdisjoint({rep, home, "http://a.gov.cn/gzbg/"})


def test_rank_finds_nothing_on_a_site_without_a_column():
    home = "http://b.gov.cn/"
    pages = {home: _page(home, "某镇人民政府", [("http://b.gov.cn/tz/1.html", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", ""),
                                           ("http://b.gov.cn/zwgk/", "政务公开", "")], depth=0),
             "http://b.gov.cn/zwgk/": _page("http://b.gov.cn/zwgk/", "政务公开", [("http://b.gov.cn/zwgk/zn/", "政府信息公开指南", "")])}
    assert d.rank(pages, home=home) == []


def test_parse_page_reads_lists_inside_scripts():
    html = ('<html><head><title>政府信息公开年报</title></head><body><div id="c"></div><script type="text/xml">'
            '<datastore><record><![CDATA[<li><a href="/art/1.html">某县财政局2023年政府信息公开工作年度报告</a></li>]]></record>'
            '</datastore></script><p>共1条</p></body></html>')
    p = d.parse_page("http://c.gov.cn/col/col1/index.html", html)
    assert p.report_items == {"http://c.gov.cn/art/1.html"} and p.total == 1


def test_shell_pages_name_where_they_send_the_browser():
    shell = '<html><head><script>location.replace("./jgxx_2044/")</script></head><body></body></html>'
    assert d.parse_page("http://d.gov.cn/zwgk/", shell).redirect == "http://d.gov.cn/zwgk/jgxx_2044/"
    meta = '<html><head><meta http-equiv="refresh" content="0; url=/site/index.html"></head></html>'
    assert d.parse_page("http://d.gov.cn/", meta).redirect == "http://d.gov.cn/site/index.html"


def test_a_title_with_the_site_name_is_scored_by_its_column_part():
    col = "http://e.gov.cn/xxgk/nb/"
    pages = {col: _page(col, "政府信息公开年报_某市统计局", [])}
    ranked = d.rank(pages | {"http://e.gov.cn/": _page("http://e.gov.cn/", "某市统计局", [(col, "更多", "")], depth=0)},
                    home="http://e.gov.cn/")
    assert [c.url for c in ranked] == [col] and ranked[0].evidence[0] == 'page title "政府信息公开年报"'


# ------------------------------------------------------------------ the walk on every farm portal
def test_discover_ranks_every_portals_column_first(farm):
    rendered, misses = {}, []
    for p in portals_with_homes(farm):
        home = farm.base(p.hosts[0]) + "/"
        r = d.discover(home, allow_private=["*.test"], delay=0)
        want = cols(farm, p) | ({home} if p.id in SHELL_HOMES else set())
        top = r.candidates[0] if r.candidates else None
        if top is None or top.url not in want:
            misses.append((p.id, top and top.url, sorted(want)))
        assert r.fetched <= d.MAX_PAGES
        rendered[p.id] = (r.fetched, r.rendered)
    print("pages fetched / rendered per portal:", rendered)
    assert misses == []
    assert len(rendered) >= 20
    # the browser stays the exception: only JS shells are rendered
    assert sum(x[1] for x in rendered.values()) <= len(rendered) // 2


def test_discover_says_none_found_on_the_portal_without_a_column(farm):
    home = farm.base(nonb.HOST) + "/"
    r = d.discover(home, allow_private=["*.test"], delay=0)
    assert r.candidates == [] and r.fetched >= 4
    res = CliRunner().invoke(main, ["sources", "discover", home, "--allow-private", "*.test", "--delay", "0"])
    assert res.exit_code == 1 and "no 年报 column found" in res.output


def test_walk_stays_on_the_host_and_under_the_caps(farm):
    from farm.portals.hanweb import HanwebProvPortal
    host = HanwebProvPortal.hosts[0]
    start = len(farm.request_log)
    r = d.discover(farm.base(host) + "/", allow_private=["*.test"], delay=0, max_pages=2, browser=False)
    log = farm.request_log[start:]
    assert r.rendered == 0
    assert r.fetched <= 2 and {e["host"] for e in log} == {host}, log     # the zwfw.… link is another host
    assert all(e["method"] == "GET" for e in log)
    assert all(p.depth <= d.MAX_DEPTH for p in r.pages.values())


def test_robots_txt_is_obeyed(farm):
    start = len(farm.request_log)
    res = CliRunner().invoke(main, ["sources", "discover", farm.base(gkmlpt.ALT_HOST) + "/",
                                    "--allow-private", "*.test", "--delay", "0"])
    assert res.exit_code == 1 and "robots.txt" in res.output
    assert [e["path"] for e in farm.request_log[start:]] == ["/robots.txt"]


def test_private_hosts_are_refused_unless_allowed(farm, monkeypatch):
    monkeypatch.delenv("NIANBAO_ALLOW_PRIVATE_HOSTS", raising=False)
    start = len(farm.request_log)
    res = CliRunner().invoke(main, ["sources", "discover", farm.base(nonb.HOST) + "/", "--delay", "0"])
    assert res.exit_code == 2 and "private" in res.output
    res = CliRunner().invoke(main, ["sources", "discover", f"http://127.0.0.1:{farm.port}/", "--delay", "0"])
    assert res.exit_code == 2 and "loopback" in res.output
    assert len(farm.request_log) == start                               # nothing was sent
    monkeypatch.setenv("NIANBAO_ALLOW_PRIVATE_HOSTS", "*.test")
    res = CliRunner().invoke(main, ["sources", "discover", farm.base(nonb.HOST) + "/", "--delay", "0"])
    assert res.exit_code == 1 and "no 年报 column found" in res.output


# ------------------------------------------------------------------ --json and --add
def test_json_shape_best_first(farm):
    from farm.portals.jsplist import JspListPortal
    p = next(x for x in farm.portals if isinstance(x, JspListPortal))
    res = CliRunner().invoke(main, ["sources", "discover", farm.base(p.hosts[0]) + "/", "--json",
                                    "--allow-private", "*.test", "--delay", "0"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got and all(set(c) == {"url", "title", "score", "evidence"} for c in got)
    assert [c["score"] for c in got] == sorted((c["score"] for c in got), reverse=True)
    assert got[0]["url"] in cols(farm, p) and got[0]["title"] == "年度报告"
    assert all(isinstance(e, str) for c in got for e in c["evidence"]) and got[0]["evidence"]


def test_add_writes_an_entry_the_registry_accepts(farm, tmp_path):
    from crawler import registry
    from farm.portals.ucap import UcapPortal
    p = next(x for x in farm.portals if isinstance(x, UcapPortal))
    reg = tmp_path / "sources.yml"
    reg.write_text("# my portals\nsources: []\n", encoding="utf-8")
    home = farm.base(p.hosts[0]) + "/"
    args = ["sources", "discover", home, "--add", "--registry", str(reg), "--allow-private", "*.test", "--delay", "0"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    text = reg.read_text(encoding="utf-8")
    assert text.startswith("# my portals\n")
    got = registry.load(reg)
    assert len(got) == 1 and got[0].url in cols(farm, p) and got[0].render == "auto" and got[0].verified is False
    assert got[0].name == "青岚县人民政府 政府信息公开年报" and got[0].platform is None
    assert got[0].id == "kp-county-nianbao"
    assert CliRunner().invoke(main, ["sources", "check", "--registry", str(reg)]).exit_code == 0
    again = CliRunner().invoke(main, args)                              # the same column twice is refused
    assert again.exit_code == 2 and "listed already" in again.output
    assert len(registry.load(reg)) == 1
    # --pick 2 takes the second candidate (a year sub-column here), under a fresh id
    res = CliRunner().invoke(main, args + ["--pick", "2"])
    if res.exit_code == 0:
        two = registry.load(reg)
        assert len(two) == 2 and two[1].id != two[0].id and two[1].url != two[0].url
    else:
        assert "only 1 candidates" in res.output


def test_sources_add_of_a_home_page_suggests_discover(tmp_path):
    res = CliRunner().invoke(main, ["sources", "add", "--registry", str(tmp_path / "s.yml"), "--id", "x",
                                    "--name", "X", "--url", "http://www.x.gov.cn/"])
    assert res.exit_code == 2 and "nianbao sources discover http://www.x.gov.cn/" in res.output
