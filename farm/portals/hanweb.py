"""Mocks A and B — Hanweb 大汉 JCMS (docs/adapters.md).

A (www.hw-county.gov.cn.test, Zhejiang style): column pages carry the first group (3 × 15 records)
inside `<script type="text/xml"><datastore>`; further records only through POST
`/module/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P` (windows). Year sub-columns,
the xxgk module (search.jsp POST, tree.jsp, xxgkAnnualReport.jsp duplicates), downfile 302.
B (www.hw-prov.gov.cn.test, Jiangsu style): GET `/module/web/jpage/dataproxy.jsp?page=N`, a jpaas
"page build unit" column (JSON-wrapped list HTML, JS only) and a truecms JSONP column that answers
404 without Referer; the whole host refuses `python-requests`/`Scrapy` user agents.
"""
from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

from farm import fixtures
from farm.portals.base import (
    FOOTER,
    READING_AIDS,
    Entry,
    Req,
    Resp,
    esc,
    fmt_date,
    fmt_dt,
    hexname,
    html_resp,
    json_resp,
    metas,
    not_found,
    page,
    redirect,
)
from farm.portals.catalog import Plan
from farm.portals.common import Portal

JPAGE_JS = '<script language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>'


def record(e: Entry, title: str, href: str, style: int) -> str:
    d = fmt_date(e.published)
    short = title if len(title) <= 24 else title[:22] + "…"
    if style == 1:   # date first
        return f'<li style="font-size:14px;"><span>{d}</span><a href="{href}" target="_blank" title="{esc(title)}">{esc(short)}</a></li>'
    if style == 2:   # no title attribute, truncated text
        return f'<li><s></s><a class="ellipsis-line-clamp" href="{href}" target="_blank">{esc(short)}</a><span class="pull-right">{d}</span></li>'
    return f'<li><a href="{href}" target="_blank" title="{esc(title)}">{esc(short)}</a><span>{d}</span></li>'


def datastore(records: list[str], nextgroup: str, total: int | None = None, totalpage: int | None = None,
              xml_decl: bool = False) -> str:
    recs = "".join(f"<record><![CDATA[\n{r}\n]]></record>\n" for r in records)
    head = '<?xml version="1.0" encoding="UTF-8"?>' if xml_decl else ""
    tot = f"<totalrecord>{total}</totalrecord>" if total is not None else ""
    tp = f"<totalpage>{totalpage}</totalpage>" if totalpage is not None else ""
    return (f"{head}<datastore>{tot}{tp}\n<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n"
            f"<recordset>\n{recs}</recordset></datastore>")


class HanwebBase(Portal):
    platform = "hanweb"
    domain = ""
    webid = 0

    def art_path(self, e: Entry, col: int) -> str:
        d = e.published
        return f"/art/{d.year}/{d.month}/{d.day}/art_{col}_{e.num}.html"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        hx = hexname(self.id, e.num, kind, index)
        if kind == "IMAGE":
            return f"/picture/0/{hx}.{ext}"
        return f"/module/download/downfile.jsp?classid=0&filename={hx}.{ext}&showname={quote(filename)}"

    def frame(self, title, head, main) -> str:
        top = (f'<div class="header"><a href="/">{self.site}</a> {READING_AIDS}</div>'
               '<div class="nav"><a href="/">首页</a> <a href="/col/col1229000001/index.html">政府信息公开</a></div>')
        tail = ("<a href='http://www.hanweb.com' style='display:none'>Produced By 大汉网络 大汉版通发布系统</a>")
        return page(title, head, top + main + FOOTER.format(site=self.site, idcode=self.idcode) + tail)

    def xxgk_header(self, e: Entry) -> str:
        sp = "&nbsp;"
        return (f'<table class="xxgk_table" cellpadding="0" cellspacing="0">'
                f'<tr><td class="t">索{sp}引{sp}号</td><td>014416330/{e.published.year}-{e.num % 100000:05d}</td>'
                f'<td class="t">分{sp*4}类</td><td>政府信息公开年报 综合政务,文秘工作 其他</td></tr>'
                f'<tr><td class="t">发布机构</td><td>{esc(e.agency)}</td><td class="t">发文日期</td><td>{fmt_date(e.published)}</td></tr>'
                f'<tr><td class="t">文{sp*4}号</td><td></td><td class="t">有{sp}效{sp}性</td><td></td></tr></table>')

    def detail_html(self, req: Req, e: Entry, crumbs: list[tuple[str, str]], colid: int, header: bool) -> str:
        title = self.title(e)
        url = req.url_base + req.path + (("?" + req.raw_query) if req.raw_query else "")
        head = metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                     title=title, pubdate=fmt_dt(e.published), source=e.agency, url=url,
                     extra=f'<meta name="i_columnid" content="{colid}"><meta name="i_articleid" content="{e.num}">')
        crumb = " &gt;&gt; ".join(f'<a href="{h}">{esc(t)}</a>' for h, t in [("/", "首页")] + crumbs)
        main = (f'<div class="position">当前位置：{crumb}</div>\n' + (self.xxgk_header(e) if header else "") +
                f'\n<div class="title">{esc(title)}</div>\n'
                f'<div class="info">发布日期：{fmt_dt(e.published)} 访问次数：<span id="hits"></span> 信息来源：{esc(e.agency)} '
                '字号：[<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
                '<a href="javascript:doZoom(14)">小</a>]</div>\n'
                '<table><tr><td class="bt_content"><div id="zoom">\n'
                '<!--ZJEG_RSS.content.begin--><meta name="ContentStart">\n'
                f'{self.body(e)}\n<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->\n</div></td></tr></table>\n'
                f"<!-- visitcount Begin --><iframe src='./module/visitcount/visit.jsp?type=3&i_webid={self.webid}"
                f"&i_columnid={colid}&i_articleid={e.num}' name=\"vishidden\" id=\"vishidden\" frameborder=\"0\" "
                "style=\"width:0; height:0; display:none\"></iframe><!-- visitcount End -->")
        return self.frame(title, head, main)

    def files(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/module/download/downfile.jsp":
            key = p + "?" + req.raw_query
            if req.query.get("filename") and self.attachment_at(key) is not None:
                return redirect(f"/attach/0/{req.query['filename']}")
            # tolerate re-ordered or re-encoded query strings: match on the file name only
            for k in self.attachment_index():
                if f"filename={req.query.get('filename', '-')}&" in k and self.attachment_at(k):
                    return redirect(f"/attach/0/{req.query['filename']}")
            return not_found()
        m = re.fullmatch(r"/attach/0/([0-9a-f]{32}\.\w+)", p)
        if m:
            for k in self.attachment_index():
                if f"filename={m.group(1)}&" in k:
                    r = self.serve_file(k)
                    return r
            return None
        if p.startswith("/picture/0/"):
            return self.serve_file(p)
        return None


# ============================================================== Mock A
A_HOST = "www.hw-county.gov.cn.test"
A_DEPT_HOST = "jyj.hw-county.gov.cn.test"   # a department sub-site whose records the county column syndicates
A_PARENT, A_UNIT = 1229000100, 4851098
A_YEARS = {2023: 1229000101, 2022: 1229000102, 2021: 1229000103, 2020: 1229000104}
A_OTHER_COL = 1229000200      # 政策解读: behind 加速乐
A_AREA = "330122ZFC00000"

A_PLAN = Plan(
    portal="farm-hw-county", place="清河县", years=(2020, 2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d3", "d6", "d7", "d8", "t0", "t1", "t2"),
    specials=(
        {"unit": "d2", "year": 2022, "fmt": "2019", "layout": "word"},          # stubborn old format
        {"unit": "d3", "year": 2023, "layout": "word", "breaks": ("T4-SUM",)},
        {"unit": "d6", "year": 2021, "layout": "attachment_only", "attachment": "docx"},
        {"unit": "d7", "year": 2022, "layout": "attachment_only", "attachment": "doc"},
        {"unit": "gov", "year": 2022, "add": True, "layout": "graphic"},
        {"unit": "gov", "year": 2023, "layout": "word", "blanks": True},
        {"unit": "d8", "year": 2023, "add": True, "layout": "word", "correction": True},
        {"unit": "d1", "year": 2023, "x": {"host": A_DEPT_HOST}},
        {"unit": "d1", "year": 2022, "x": {"host": A_DEPT_HOST}},
        {"unit": "t2", "year": 2021, "late": True},
    ),
    noise=8, seed=11, id_base=5264000)


class HanwebCountyPortal(HanwebBase):
    id = "farm-hw-county"
    name = "清河县人民政府 政府信息公开年报"
    hosts = (A_HOST, A_DEPT_HOST)
    region = "清河县"
    site = "清河县人民政府"
    domain = "www.hw-county.gov.cn"
    idcode = "3301220002"
    webid = 3611

    def __init__(self, farm):
        super().__init__(farm, A_PLAN)

    def col_of_entry(self, e: Entry) -> int:
        return A_YEARS.get(e.report_year, A_PARENT) if e.kind == "report" else A_PARENT

    def detail_path(self, e):
        return self.art_path(e, self.col_of_entry(e))

    def area(self, e: Entry) -> str | None:
        """Area code for the xxgkAnnualReport.jsp renderer: only the government and its office."""
        if e.kind == "report" and e.unit_type in ("gov", "office") and e.spec.layout not in ("graphic",) \
                and not e.spec.correction:
            return A_AREA if e.unit_type == "gov" else "330122BGS00000"
        return None

    def duplicates(self, e):
        a = self.area(e)
        return [f"/module/xxgk/xxgkAnnualReport.jsp?area={a}&fbtime={e.report_year}"] if a else []

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": f"/col/col{A_PARENT}/index.html", "render": "static"}]

    def col_items(self, col: int) -> list[Entry]:
        if col == A_PARENT:
            return self.live()
        return [e for e in self.live() if self.col_of_entry(e) == col and e.kind == "report"]

    def href(self, e: Entry) -> str:
        host = e.x.get("host")
        return (self.base(host) if host else "") + self.detail_path(e)

    def records(self, col: int) -> list[str]:
        out = []
        for i, e in enumerate(self.col_items(col)):
            out.append(record(e, self.title(e), self.href(e), 1 if i % 7 == 3 else 2 if i % 11 == 5 else 0))
        return out

    def list_pages(self, edition):
        n = len(self.col_items(A_PARENT))
        pages = [(A_HOST, f"/col/col{A_PARENT}/index.html")]
        for s in range(46, n + 1, 45):
            pages.append((A_HOST, f"/module/jpage/dataproxy.jsp?startrecord={s}&endrecord={min(s + 44, n)}&perpage=15"))
        return {self.id: pages}

    def blocked_sources(self):
        return [{"id": "farm-blocked-jsl", "name": "清河县人民政府 政策解读（加速乐 521）",
                 "url": self.base() + f"/col/col{A_OTHER_COL}/index.html", "mode": "jsl_521"}]


    def column_page(self, col: int) -> str:
        recs = self.records(col)
        inline = recs[:45]
        if inline and col == A_PARENT:
            inline = inline + ["<li style=<br/>"]     # template debris after the last record
        unit = A_UNIT if col == A_PARENT else A_UNIT + (col - A_PARENT)
        nextgroup = (f'<a href="/module/jpage/dataproxy.jsp?page=1&appid=1&webid={self.webid}&path=/&columnid={col}'
                     f'&unitid={unit}&webname={self.site}&permissiontype=0"></a>')
        years = "".join(f'<li><a href="/col/col{c}/index.html">{y}年政府信息公开年报</a></li>' for y, c in A_YEARS.items())
        name = "政府信息公开年报" if col == A_PARENT else f"{[y for y, c in A_YEARS.items() if c == col][0]}年政府信息公开年报"
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt;&gt; <a href="/col/col{A_PARENT}/index.html">政府信息公开年报</a></div>'
                f'<div class="left-nav"><ul>{years}</ul></div>\n<div class="main-list"><ul class="main_list"></ul>\n'
                f'<div id="{unit}">\n<script type="text/xml">{datastore(inline, nextgroup)}</script>\n</div></div>\n'
                f'{JPAGE_JS}\n<script>\n$(document).ready(function(){{\n'
                f"  $('#{unit}').jpage({{ dataStore: dataStore, totalRecord: {len(recs)}, perPage: 15, groupSize: 3,"
                f" proxyUrl: '/module/jpage/dataproxy.jsp', ajaxParam: {{col:1, appid:1, webid:{self.webid}, path:'/',"
                f" columnid:{col}, sourceContentType:1, unitid:{unit}, webname:'{self.site}', permissiontype:0}},"
                " themeName: 'default', showMode: 'full' });\n});\n</script>\n"
                f"<iframe src='./module/visitcount/visit.jsp?type=1&i_webid={self.webid}&i_columnid={col}' "
                "style=\"display:none\"></iframe>")
        head = metas(self.site, self.domain, self.idcode, column=name, coltype="政府信息公开年报")
        return self.frame(name, head, main)

    def proxy(self, req: Req) -> Resp:
        prm = req.params()
        try:
            col = int(prm.get("columnid", "0"))
        except ValueError:
            col = 0
        recs = self.records(col) if (col == A_PARENT or col in A_YEARS.values()) else []
        s = int(prm.get("startrecord") or 1)
        e = int(prm.get("endrecord") or (s + 44))
        per = int(prm.get("perpage") or 15)
        window = recs[s - 1:e] if s >= 1 else []
        nxt = f'<a href="./dataproxy.jsp?startrecord={e + 1}&endrecord={e + 3 * per}&perpage={per}"></a>'
        return Resp(body=datastore(window, nxt, total=len(recs), xml_decl=True), ctype="text/xml; charset=UTF-8")

    def xxgk_search(self, req: Req) -> Resp:
        prm = req.params()
        k = max(1, int(prm.get("currpage") or 1))
        items = self.live()
        if prm.get("infotypeId") == "A0607":
            items = [e for e in items if e.kind == "report"]
        elif prm.get("infotypeId"):
            items = []
        per = 15
        pages = max(1, math.ceil(len(items) / per))
        rows = "".join(
            f'<tr class="tr_main_value_{"odd" if i % 2 == 0 else "even"}"><td><a href="{self.href(e)}" title="{esc(self.title(e))}" '
            f'target="_blank">{esc(self.title(e))}</a></td><td>{esc(e.agency)}</td><td>{fmt_date(e.published)}</td></tr>'
            for i, e in enumerate(items[(k - 1) * per:k * per]))
        pager = (f'<a href="javascript:funGoPage(\'/module/xxgk/search.jsp\',{k + 1})">下一页</a>' if k < pages else "")
        frag = (f'<table class="tb_title"><tr><td>共 {len(items)} 条记录 第 {k}/{pages} 页</td></tr></table>'
                f'<table class="tb_main">{rows}</table><div class="pager">{pager}</div>')
        return html_resp(frag)

    def annual(self, req: Req) -> Resp:
        area, year = req.query.get("area"), req.query.get("fbtime")
        for e in self.live():
            if self.area(e) == area and str(e.report_year) == year:
                return self.detail(req, e)
        return html_resp(self.frame("暂无年报", "", "<div class=\"main\"><p>暂无年报</p></div>"))

    def detail(self, req: Req, e: Entry) -> Resp:
        col = self.col_of_entry(e)
        crumbs = [(f"/col/col{A_PARENT}/index.html", "政府信息公开年报")]
        if col != A_PARENT:
            crumbs.append((f"/col/col{col}/index.html", f"{e.report_year}年政府信息公开年报"))
        r = html_resp(self.detail_html(req, e, crumbs, col, header=e.num % 2 == 0))
        r.last_modified = e.modified(self.edition)
        return r

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("missing")
        if req.host == A_DEPT_HOST:
            e = self.entry_at(p)
            if e is not None and e.x.get("host") == A_DEPT_HOST:
                return self.detail(req, e)
            return self.files(req)
        if p in ("/", "/index.html"):
            return html_resp(self.frame(self.site, metas(self.site, self.domain, self.idcode),
                                        '<a href="/col/col1229000001/index.html">政府信息公开</a>'))
        if p == "/col/col1229000001/index.html":
            links = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in (
                ("政府信息公开指南", "/col/col1229000002/index.html"), ("政府信息公开制度", "/col/col1229000003/index.html"),
                ("法定主动公开内容", "/col/col1229000004/index.html"), ("依申请公开", "/col/col1229000005/index.html"),
                ("政府信息公开年报", f"/col/col{A_PARENT}/index.html"), ("政策解读", f"/col/col{A_OTHER_COL}/index.html")))
            return html_resp(self.frame("政府信息公开", metas(self.site, self.domain, self.idcode, column="政府信息公开"),
                                        f"<ul class=\"xxgk-nav\">{links}</ul>"))
        if p == f"/col/col{A_OTHER_COL}/index.html":
            gate = fixtures.jsl_gate(req, solvable=True)
            if gate is not None:
                return gate
            return html_resp(self.frame("政策解读", "", "<div class=\"main\"><ul></ul><p>暂无信息</p></div>"))
        m = re.fullmatch(r"/col/col(\d+)/index\.html", p)
        if m and (int(m.group(1)) == A_PARENT or int(m.group(1)) in A_YEARS.values()):
            return html_resp(self.column_page(int(m.group(1))))   # ?uid=&pageNum= ignored, as on real hosts
        if m and m.group(1) in ("1229000002", "1229000003", "1229000004", "1229000005"):
            return html_resp(self.frame("栏目", "", "<div class=\"main\"><p>（栏目内容）</p></div>"))
        if p == "/module/jpage/dataproxy.jsp":
            return self.proxy(req)
        if p == "/module/xxgk/search.jsp":
            return self.xxgk_search(req)
        if p == "/module/xxgk/tree.jsp":
            return html_resp('<ul class="xxgk-tree"><li><a href="javascript:funclick(\'A0601\')">政府信息公开指南</a></li>'
                             '<li><a href="javascript:funclick(\'A0602\')">政府信息公开制度</a></li>'
                             '<li><a href="javascript:funclick(\'A0607\')">政府信息公开年报</a></li></ul>')
        if p == "/module/xxgk/xxgkAnnualReport.jsp":
            return self.annual(req)
        if p.startswith("/module/jslib/jquery/jpage/"):
            return static_js("hanweb_jpage.js")
        e = self.entry_at(p)
        if e is not None and not e.x.get("host"):
            return self.detail(req, e)
        return self.files(req)


def static_js(name: str) -> Resp:
    from importlib.resources import files
    data = files("farm.static").joinpath(name).read_bytes()
    return Resp(body=data, ctype="application/javascript; charset=utf-8")


# ============================================================== Mock B
B_HOST = "www.hw-prov.gov.cn.test"
B_RS_HOST = "zwfw.hw-prov.gov.cn.test"     # Ruishu-protected service hall
B_COL, B_UNIT, B_JPAAS, B_TRUE = 60096, 212860, 70001, 80001
B_RS_COL = 90001                           # a 年报 column on the Ruishu host: never readable without JS
B_PERPAGE_DEFAULT = 25   # the mock's site default (Jiangsu HRSS uses 100); honoured up to 300

B_PLAN = Plan(
    portal="farm-hw-prov", place="江南省", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d4", "d5", "d9", "d10", "d11", "d12", "d13", "d14", "d15",
           "d16", "d17", "d18", "d19"),
    specials=(
        {"unit": "d4", "year": 2022, "layout": "attachment_only", "attachment": "xlsx"},
        {"unit": "d5", "year": 2023, "layout": "text_pipes"},
        {"unit": "d9", "year": 2021, "layout": "editor", "blanks": True},
        {"unit": "d10", "year": 2023, "layout": "editor", "breaks": ("T3-BAL",)},
        {"unit": "d11", "year": 2022, "late": True},
    ),
    noise=9, seed=21, id_base=3100000)


def b_column(e: Entry) -> str:
    """Reports of the last six units go to the jpaas column, the d2/d4 2021 ones to truecms."""
    if e.kind == "report" and e.spec.agency.endswith(("统计局", "医疗保障局", "信访局", "应急管理局",
                                                       "市场监督管理局", "卫生健康局")):
        return "farm-hw-prov-jpaas"
    if e.kind == "report" and e.report_year == 2021 and e.spec.agency.endswith(("教育局", "公安局", "民政局")):
        return "farm-hw-prov-truecms"
    return "farm-hw-prov"


class HanwebProvPortal(HanwebBase):
    id = "farm-hw-prov"
    name = "江南省人民政府 政府信息公开年报"
    hosts = (B_HOST, B_RS_HOST)
    region = "江南省"
    level = "province"
    site = "江南省人民政府"
    domain = "www.hw-prov.gov.cn"
    idcode = "3200000001"
    webid = 1

    COLS = {"farm-hw-prov": B_COL, "farm-hw-prov-jpaas": B_JPAAS, "farm-hw-prov-truecms": B_TRUE}

    def __init__(self, farm):
        super().__init__(farm, B_PLAN)

    def column_of(self, e):
        return b_column(e)

    def detail_path(self, e):
        return self.art_path(e, self.COLS[b_column(e)])

    def columns(self):
        return [{"id": "farm-hw-prov", "name": self.name, "url": f"/col/col{B_COL}/index.html", "render": "static"},
                {"id": "farm-hw-prov-jpaas", "name": "江南省人民政府 部门政府信息公开年报（jpaas）",
                 "url": f"/col/col{B_JPAAS}/index.html", "render": "auto"},
                {"id": "farm-hw-prov-truecms", "name": "江南省人民政府 政府信息公开年报（truecms）",
                 "url": f"/col/col{B_TRUE}/index.html", "render": "static"}]

    def records(self, cid: str) -> list[str]:
        return [record(e, self.title(e), self.detail_path(e), 1 if i % 5 == 2 else 0)
                for i, e in enumerate(self.live(cid))]

    def list_pages(self, edition):
        n = len(self.live("farm-hw-prov"))
        q = f"appid=1&webid=1&path=/&columnid={B_COL}&unitid={B_UNIT}&permissiontype=0"
        main = [(B_HOST, f"/col/col{B_COL}/index.html")] + [
            (B_HOST, f"/module/web/jpage/dataproxy.jsp?page={k}&{q}")
            for k in range(1, math.ceil(n / B_PERPAGE_DEFAULT) + 1)]
        nj = len(self.live("farm-hw-prov-jpaas"))
        jp = [(B_HOST, self.jpaas_url(k)) for k in range(1, math.ceil(nj / 15) + 1)]
        nt = len(self.live("farm-hw-prov-truecms"))
        tc = [(B_HOST, f"/truecms/messageController/getMessage.do?startrecord={s}&endrecord={s + 49}&perpage=50"
                       f"&columnId={B_TRUE}&callback=cb") for s in range(1, nt + 1, 50)]
        return {"farm-hw-prov": main, "farm-hw-prov-jpaas": [(B_HOST, f"/col/col{B_JPAAS}/index.html")] + jp,
                "farm-hw-prov-truecms": [(B_HOST, f"/col/col{B_TRUE}/index.html")] + tc}

    @staticmethod
    def jpaas_url(k: int) -> str:
        pj = quote(json.dumps({"pageNo": k, "pageSize": 15}, separators=(",", ":")))
        return ("/api-gateway/jpaas-publish-server/front/page/build/unit?parseType=bulidstatic&webId=3630"
                f"&tplSetId=5HrZi&pageType=column&tagId={quote('当前栏目list')}&editType=null&pageId={B_JPAAS}"
                f"&paramJson={pj}")

    def blocked_sources(self):
        return [{"id": "farm-blocked-ruishu", "name": "江南省政务服务网 政府信息公开年报（瑞数 412）",
                 "url": self.base(B_RS_HOST) + f"/col/col{B_RS_COL}/index.html", "mode": "ruishu_412"}]

    def column_page(self) -> str:
        recs = self.records("farm-hw-prov")
        nextgroup = (f'<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid={B_COL}'
                     f'&unitid={B_UNIT}&webname={self.site}&permissiontype=0"></a>')
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt;&gt; 政府信息公开年报</div>'
                f'<div id="{B_UNIT}">\n<script type="text/xml">{datastore(recs[:57], nextgroup)}</script>\n</div>\n'
                f"{JPAGE_JS}\n<script>\n$(document).ready(function(){{\n  $('#{B_UNIT}').jpage({{ dataStore: dataStore,"
                f" totalRecord:{len(recs)}, perPage:19, groupSize:3, proxyUrl:'/module/web/jpage/dataproxy.jsp',"
                f" ajaxParam:{{appid:1, webid:1, path:'/', columnid:{B_COL}, unitid:{B_UNIT}, permissiontype:0}},"
                " pageMode:'page' });\n});\n</script>")
        head = metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报")
        return self.frame("政府信息公开年报", head, main)

    def proxy(self, req: Req) -> Resp:
        prm = req.params()
        recs = self.records("farm-hw-prov") if prm.get("columnid") == str(B_COL) else []
        per = min(int(prm.get("perpage") or B_PERPAGE_DEFAULT), 300)
        k = max(1, int(prm.get("page") or 1))
        pages = max(1, math.ceil(len(recs) / per))
        window = recs[(k - 1) * per:k * per] if k <= pages else []
        nxt = f'<a href="./dataproxy.jsp?page={k + 1}&appid=1&webid=1&path=/&columnid={B_COL}&unitid={B_UNIT}"></a>'
        return Resp(body=datastore(window, nxt, total=len(recs), totalpage=pages, xml_decl=True),
                    ctype="text/xml; charset=UTF-8")

    def jpaas_page(self) -> str:
        qd = ("{'webId':'3630','pageId':'70001','tplSetId':'5HrZi','tagId':'当前栏目list','editType':'null',"
              "'pageType':'column'}")
        main = ('<div class="position">当前位置：<a href="/">首页</a> &gt;&gt; 部门政府信息公开年报</div>'
                '<div class="list-box" id="jpaas-list"></div>'
                f'<script id="unitbuild" src="/jpaas/AuthorizedRead/unitbuild.js" '
                f'url="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{qd}"></script>')
        head = metas(self.site, self.domain, self.idcode, column="部门政府信息公开年报", coltype="政府信息公开年报")
        return self.frame("部门政府信息公开年报", head, main)

    def jpaas_api(self, req: Req) -> Resp:
        q = req.query
        if q.get("tagId") != "当前栏目list" or q.get("pageId") != str(B_JPAAS):
            return json_resp({"success": False, "code": "500", "data": None})
        try:
            pj = json.loads(q.get("paramJson") or "{}")
        except ValueError:
            pj = {}
        k, size = int(pj.get("pageNo", 1)), int(pj.get("pageSize", 15))   # top-level pageNo is ignored
        items = self.live("farm-hw-prov-jpaas")[(k - 1) * size:k * size] if k >= 1 else []
        lis = "".join(f'<li><a href="{self.detail_path(e)}" title="{esc(self.title(e))}" target="_blank">'
                      f'{esc(self.title(e))}</a><span>[{fmt_date(e.published)}]</span></li>' for e in items)
        return json_resp({"success": True, "code": "200", "data": {"html": f'<ul class="list">{lis}</ul>'}})

    def truecms_page(self) -> str:
        main = ('<div class="position">当前位置：<a href="/">首页</a> &gt;&gt; 政府信息公开年报</div><div id="list80001"></div>'
                "<script>var pageConfig = {columnId:'80001', proxyUrl:'/truecms/messageController/getMessage.do', "
                "perPage:15, callback:'cb'};</script><script src=\"/truecms/js/list.js\"></script>")
        head = metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报")
        return self.frame("政府信息公开年报", head, main)

    def truecms_api(self, req: Req) -> Resp:
        if not req.headers.get("referer"):
            return not_found()
        q = req.query
        per = int(q.get("perpage") or 15)
        recs = self.records("farm-hw-prov-truecms") if q.get("columnId") == str(B_TRUE) and per <= 50 else []
        s, e = int(q.get("startrecord") or 1), int(q.get("endrecord") or per)
        xml = datastore(recs[s - 1:e], "", total=len(recs)) if recs else ""
        cb = re.sub(r"[^\w$.]", "", q.get("callback") or "cb")
        body = "\n\n\ufeff" + f"{cb}({json.dumps({'result': xml}, ensure_ascii=False)})"   # BOM + blank lines
        return Resp(body=body, ctype="application/javascript;charset=UTF-8")

    def detail(self, req: Req, e: Entry) -> Resp:
        cid = b_column(e)
        r = html_resp(self.detail_html(req, e, [(f"/col/col{self.COLS[cid]}/index.html", "政府信息公开年报")],
                                       self.COLS[cid], header=True))
        r.last_modified = e.modified(self.edition)
        return r

    def handle(self, req: Req) -> Resp | None:
        if req.host == B_RS_HOST:
            return fixtures.ruishu_gate(req)
        ua = req.headers.get("user-agent", "")
        if re.search(r"python-requests|scrapy", ua, re.I):
            return html_resp("<html><body><h1>403 Forbidden</h1></body></html>", 403)
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("html")
        if p in ("/", "/index.html"):
            links = "".join(f'<li><a href="/col/col{c}/index.html">{t}</a></li>' for t, c in (
                ("政府信息公开年报", B_COL), ("部门政府信息公开年报", B_JPAAS), ("政府信息公开年度报告", B_TRUE)))
            return html_resp(self.frame(self.site, metas(self.site, self.domain, self.idcode),
                                        f'<ul class="xxgk-nav">{links}<li><a href="http://{B_RS_HOST}:{self.farm.port}/">'
                                        '政务服务</a></li></ul>'))
        if p == f"/col/col{B_COL}/index.html":
            return html_resp(self.column_page())
        if p == f"/col/col{B_JPAAS}/index.html":
            return html_resp(self.jpaas_page())
        if p == f"/col/col{B_TRUE}/index.html":
            return html_resp(self.truecms_page())
        if p == "/module/web/jpage/dataproxy.jsp":
            return self.proxy(req)
        if p == "/api-gateway/jpaas-publish-server/front/page/build/unit":
            return self.jpaas_api(req)
        if p == "/truecms/messageController/getMessage.do":
            return self.truecms_api(req)
        if p == "/truecms/js/list.js":
            return static_js("truecms_list.js")
        if p == "/jpaas/AuthorizedRead/unitbuild.js":
            return static_js("jpaas_unitbuild.js")
        if p.startswith("/module/jslib/jquery/jpage/"):
            return static_js("hanweb_jpage.js")
        e = self.entry_at(p)
        if e is not None:
            return self.detail(req, e)
        return self.files(req)
