"""Mock C — TRS WCM static publishing (docs/adapters.md), host www.trs-site.gov.cn.test.

Column `/zwgk/zfxxgk/zfxxgknb/` = `index.html`; page k+1 is `index_k.html` (0-based suffix), the
page count only in the inline `createPageHTML(countPage, currentPage, "index", "html")` call.
Details `./YYYYMM/tYYYYMMDD_ID.html`; attachments `./P0YYYYMMDD<12>.ext` next to the detail page,
served only with a Referer from this portal (else 501); the `OLDSRC="/protect/…"` twin is dead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from farm import fixtures
from farm.portals.base import (
    FOOTER,
    READING_AIDS,
    Entry,
    Req,
    Resp,
    digits,
    esc,
    fmt_date,
    fmt_dt,
    hexname,
    html_resp,
    metas,
    not_found,
    page,
)
from farm.portals.catalog import Plan
from farm.portals.common import Portal

HOST = "www.trs-site.gov.cn.test"
COL = "/zwgk/zfxxgk/zfxxgknb/"
PER_PAGE = 20

CREATE_PAGE_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("<span class=\\"current\\">首页</span>&nbsp;");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;");
  if(nCurrIndex > 0){
    var prev = (nCurrIndex == 1) ? _sPageName + "." + _sPageExt : _sPageName + "_" + (nCurrIndex - 1) + "." + _sPageExt;
    document.write("<a href=\\"" + prev + "\\">上一页</a>&nbsp;");
  }
  for(var i = 0; i < _nPageCount; i++){
    var href = (i == 0) ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt;
    if(i == nCurrIndex) document.write("<span class=\\"current\\">" + (i + 1) + "</span>&nbsp;");
    else document.write("<a href=\\"" + href + "\\">" + (i + 1) + "</a>&nbsp;");
  }
  if(nCurrIndex < _nPageCount - 1)
    document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\\">下一页</a>&nbsp;");
  document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "\\">尾页</a>");
}
</script>"""

# Sichuan-style pager: createPageHTML('page_div', nPageCount, nCurrIndex (1-based), 'index', 'html', nRecordCount)
ONE_BASED_JS = """<script type="text/javascript">
function createPageHTML(divId, nPageCount, nCurrIndex, sPageName, sPageExt, nRecordCount){
  var el = document.getElementById(divId); if(!el || nPageCount <= 1){ return; }
  var h = '<div class="pagination_index">';
  for(var i = 1; i <= nPageCount; i++){
    var href = (i == 1) ? sPageName + '.' + sPageExt : sPageName + '_' + i + '.' + sPageExt;
    h += (i == nCurrIndex) ? '<span class="current">' + i + '</span>' : '<a href="' + href + '">' + i + '</a>';
  }
  h += '<span>共' + nRecordCount + '条</span><input id="pagination_input" size="3">'
     + '<a href="javascript:pagination_go(' + nPageCount + ')">GO</a></div>';
  el.innerHTML = h;
}
function pagination_go(n){ var v = parseInt(document.getElementById('pagination_input').value, 10);
  if(v >= 1 && v <= n){ location.href = (v == 1) ? 'index.html' : 'index_' + v + '.html'; } }
</script>"""

# Chongqing-style pager: createPage(nPageCount, nCurrIndex (0-based), "index", "html")
CHONGQING_JS = """<script type="text/javascript">
function createPage(n, cur, name, ext){
  if(n <= 1){ return; }
  for(var i = 0; i < n; i++){
    var href = (i == 0) ? name + "." + ext : name + "_" + i + "." + ext;
    document.write(i == cur ? "<span>" + (i + 1) + "</span> " : "<a href=\\"" + href + "\\">" + (i + 1) + "</a> ");
  }
}
</script>"""

PLAN = Plan(
    portal="farm-trs", place="青山县", years=(2020, 2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "t0", "t1", "t2", "t3"),
    specials=(
        {"unit": "d1", "year": 2022, "layout": "attachment_only", "attachment": "pdf"},
        {"unit": "d2", "year": 2021, "layout": "attachment_only", "attachment": "docx"},
        {"unit": "d3", "year": 2023, "layout": "attachment_only", "attachment": "pdf", "x": {"pdf_is_html": True}},
        {"unit": "gov", "year": 2023, "add": True, "layout": "graphic"},
        {"unit": "t0", "year": 2022, "layout": "traditional"},
        {"unit": "d4", "year": 2021, "layout": "word", "breaks": ("T3-BAL",)},
        {"unit": "d5", "year": 2022, "layout": "editor", "blanks": True},
        {"unit": "gov", "year": 2022, "add": True, "layout": "word", "correction": True},
        {"unit": "t1", "year": 2023, "late": True},
        {"unit": "office", "year": 2023, "layout": "word", "edited": True},
        {"unit": "d6", "year": 2020, "deleted": True},
        {"unit": "t5", "year": 2023, "add": True, "layout": "editor", "added": True},
        {"unit": "gov", "year": 2020, "layout": "word", "x": {"enc": "gbk"}},
        {"unit": "office", "year": 2020, "layout": "editor", "x": {"enc": "lying"}},
        # edition 1 publishes a 更正 of d6's 2023 report, whose table 三 did not balance: the
        # correction reprints it balanced and becomes the counted edition (archive/editions.py)
        {"unit": "d6", "year": 2023, "breaks": ("T3-BAL",)},
        {"unit": "d6", "year": 2023, "add": True, "layout": "word", "correction": True, "breaks": (), "added": True},
    ),
    noise=9, seed=3, id_base=534000)

NAV = ("政府信息公开指南", "zfxxgkzn"), ("政府信息公开制度", "zfxxgkzd"), ("法定主动公开内容", "fdzdgknr"), \
      ("依申请公开", "ysqgk"), ("政府信息公开年报", "zfxxgknb")


@dataclass(frozen=True)
class TrsVariant:
    """Opt-in template variants of Mock C (docs/adapters.md); the default is the plain county site."""
    suffix: str = "html"          # html | shtml (Wuhan/Kunming) | htm (Fujian)
    paging: str = "zero_based"    # zero_based (index_1 = page 2) | one_based (Sichuan) | chongqing (createPage)
    layout: str = "list"          # list (div.overview_right ul) | table (old td list, body in td.heise)
    encoding: str = "utf-8"       # utf-8 | gbk (every page GBK, meta gb2312, header without charset)
    hex_ids: bool = False         # Shanghai-style /nw12344/YYYYMMDD/<32hex>.html, body #ivs_content
    soft404: bool = False         # stale page count: the last advertised page is a 200 soft 404
    waf_detail: bool = False      # one listed detail page sits behind 网防G01 (403)


class TrsPortal(Portal):
    id = "farm-trs"
    name = "青山县人民政府 政府信息公开年报"
    platform = "trs"
    hosts = (HOST,)
    region = "青山县"
    level = "county"
    site = "青山县人民政府"
    idcode = "3301220001"
    col = COL
    per_page = PER_PAGE
    variant = TrsVariant()
    plan = PLAN
    # A switch (tests/test_gone.py): list pages sent as GBK bytes declared UTF-8 (header and meta),
    # as a misconfigured server does; every title then reads as mojibake.
    list_charset_lie = False

    def __init__(self, farm):
        super().__init__(farm, self.plan)

    @property
    def host(self) -> str:
        return self.hosts[0]

    @property
    def domain(self) -> str:
        return self.host.removesuffix(".test")

    # -- URL shapes
    def detail_path(self, e: Entry) -> str:
        d, sfx = e.published, self.variant.suffix
        if self.variant.hex_ids:
            return f"{self.col}{d:%Y%m%d}/{hexname(self.id, e.num)}.{sfx}"
        return f"{self.col}{d:%Y%m}/t{d:%Y%m%d}_{e.num}.{sfx}"

    def att_href(self, e: Entry, kind: str, filename: str, index: int) -> str:
        d = e.published
        ext = filename.rsplit(".", 1)[-1].lower()
        prefix = "W0" if kind == "IMAGE" else "P0"
        return f"./{prefix}{d:%Y%m%d}{digits(12, e.num, kind, index)}.{ext}"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": self.col, "render": "static"}]

    def pages(self) -> list[list[Entry]]:
        items = self.live()
        n = self.per_page
        return [items[i:i + n] for i in range(0, len(items), n)] or [[]]

    def page_name(self, k: int) -> str:
        """File name of list page k (0-based page index)."""
        sfx = self.variant.suffix
        if k == 0:
            return f"index.{sfx}"
        return f"index_{k + 1 if self.variant.paging == 'one_based' else k}.{sfx}"

    def advertised_pages(self) -> int:
        """The page count the pager script states (one too many on the stale soft-404 variant)."""
        return len(self.pages()) + (1 if self.variant.soft404 else 0)

    def list_pages(self, edition):
        n = len(self.pages())
        return {self.id: [(self.host, self.col)] + [(self.host, self.col + self.page_name(k)) for k in range(1, n)]}

    def withheld(self, e: Entry) -> bool:
        return bool(e.x.get("waf"))

    def blocked_sources(self):
        if self.variant != TrsVariant():
            return []
        return [{"id": "farm-blocked-wangfang", "name": "青山县 政策文件（网防G01 403）", "url": self.base() + "/zwgk/zcwj/",
                 "mode": "wangfang_403"}]

    def blocked(self):
        out = super().blocked()
        out += [{"url": self.base() + self.detail_path(e), "mode": "wangfang_403", "portal": self.id}
                for e in self.live() if self.withheld(e)]
        return out

    def broken(self):
        # The dead OLDSRC twins (/protect/…) are only attributes, and robots.txt disallows /protect/:
        # a polite crawl never requests them, so they are not listed.
        out = []
        for e in self.live():
            if e.x.get("pdf_is_html"):
                for kind, name, p in self.attachment_paths(e):
                    out.append({"url": self.base() + p, "reason": "pdf_is_html", "portal": self.id})
        if self.variant.soft404:
            out.append({"url": self.base() + self.col + self.page_name(len(self.pages())), "reason": "soft_404",
                        "portal": self.id})
        return out

    def excluded_attachments(self, e):
        return {a.filename for a in e.gen(self.edition).attachments} if e.x.get("pdf_is_html") else set()

    def out(self, text: str, status: int = 200) -> Resp:
        """An HTML page in the variant's encoding."""
        if self.variant.encoding == "gbk":
            r = fixtures.gbk_page(text)
            r.status = status
            return r
        return html_resp(text, status)

    # -- pages
    def head(self, column: str | None, title: str | None = None, e: Entry | None = None, url: str = "") -> str:
        if e is None:
            return metas(self.site, self.domain, self.idcode, column=column, coltype="信息公开")
        return metas(self.site, self.domain, self.idcode, column="政府信息公开年报",
                     coltype="政府信息公开年报", title=title, pubdate=fmt_dt(e.published),
                     source=e.agency, url=url)

    def frame(self, title, head, main) -> str:
        top = (f'<div class="header"><a href="/">{self.site}</a> {READING_AIDS}</div>'
               '<div class="nav"><a href="/">首页</a> <a href="/zwgk/zfxxgk/">政府信息公开</a> '
               '<a href="/zwgk/zcwj/">政策文件</a></div>')
        return page(title, head, top + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def home(self) -> str:
        return self.frame(self.site, self.head(None), '<div class="main"><a href="/zwgk/zfxxgk/">政府信息公开</a></div>')

    def landing(self) -> str:
        links = "".join(f'<li><a href="/zwgk/zfxxgk/{p}/">{t}</a></li>' for t, p in NAV[:-1])
        links += f'<li><a href="{self.col}">政府信息公开年报</a></li>'
        return self.frame("政府信息公开", self.head("政府信息公开"),
                          f'<div class="xxgk-nav"><ul>{links}<li><a href="/zwgk/zcwj/">政策文件</a></li></ul></div>')

    def rel(self, e: Entry) -> str:
        """The list's link to a detail page, relative to the column directory."""
        return "./" + self.detail_path(e)[len(self.col):]

    def pager(self, k: int) -> str:
        n, v = self.advertised_pages(), self.variant
        if v.paging == "one_based":
            return (f'{ONE_BASED_JS}\n<div class="page" id="page_div"></div>\n<script type="text/javascript">\n'
                    f"  createPageHTML('page_div', {n}, {k + 1}, 'index', '{v.suffix}', {len(self.live())});\n</script>")
        if v.paging == "chongqing":
            return (f'{CHONGQING_JS}\n<div class="page">\n<script type="text/javascript">\n'
                    f'  createPage({n}, {k}, "index", "{v.suffix}");\n</script>\n</div>')
        return (f'{CREATE_PAGE_JS}\n<div class="page" id="page_div">\n<script type="text/javascript">\n'
                f'  var currentPage = {k};   // 所在页，从0开始\n  var countPage = {n};     // 共多少页\n'
                f'  var dataCount = "{len(self.live())}";\n'
                f'  createPageHTML(countPage, currentPage, "index", "{v.suffix}");\n</script>\n</div>')

    def list_page(self, k: int) -> str:
        pages = self.pages()
        if self.variant.layout == "table":
            rows = "".join(f'<tr><td class="bt"><a href="{self.rel(e)}" target="_blank">{esc(self.title(e))}</a></td>'
                           f'<td class="huise" width="90">{fmt_date(e.published)}</td></tr>\n' for e in pages[k])
            items = (f'<table width="100%" border="0" cellspacing="0" cellpadding="0" class="list">\n{rows}</table>\n')
        else:
            lis = "".join(
                f'<li trs-attr="chip"><a href="{self.rel(e)}" '
                f'target="_blank" title="{esc(self.title(e))}">{esc(self.title(e))}'
                f'<span>{fmt_date(e.published)}</span></a></li>\n' for e in pages[k])
            items = f'<div class="overview_right">\n<ul>\n{lis}</ul>\n</div>\n'
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/zfxxgk/">政府信息公开</a>'
                f' &gt; 政府信息公开年报</div>\n{items}{self.pager(k)}')
        return self.frame("政府信息公开年报", self.head("政府信息公开年报"), main)

    def detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        url = req.url_base + self.detail_path(e)
        body = self.body(e)
        body = re.sub(r'href="(\./P0(\d{6})(\d{2})(\d+)\.(\w+))"',
                      lambda m: (f'href="{m.group(1)}" appendix="true" data-appendix="true" needdownload="true" '
                                 f'OLDSRC="/protect/P0{m.group(2)}/P0{m.group(2)}{m.group(3)}/'
                                 f'P0{m.group(2)}{m.group(3)}{m.group(4)}.{m.group(5)}"'), body)
        d = fmt_date(e.published)
        header = (f'<div class="xxgk_table"><table cellpadding="0" cellspacing="0">'
                  f'<tr><td class="t">索 引 号：</td><td>000014349/{e.published.year}-{e.num % 100000:05d}</td>'
                  f'<td class="t">主题分类：</td><td>综合政务\\政务公开</td></tr>'
                  f'<tr><td class="t">发文机关：</td><td>{esc(e.agency)}</td><td class="t">成文日期：</td><td>{d}</td></tr>'
                  f'<tr><td class="t">标　　题：</td><td colspan="3">{esc(title)}</td></tr>'
                  f'<tr><td class="t">发文字号：</td><td></td><td class="t">发布日期：</td><td>{d}</td></tr>'
                  f'</table></div>')
        crumb = (f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/zfxxgk/">政府信息公开</a> &gt; '
                 f'<a href="{self.col}">政府信息公开年报</a></div>\n')
        if self.variant.layout == "table":
            main = (crumb + '<table width="100%" border="0" cellspacing="0" cellpadding="0" class="detail">'
                    f'<tr><td class="title" align="center">{esc(title)}</td></tr>'
                    f'<tr><td class="huise" align="center">发布时间：{fmt_dt(e.published)} 来源：{esc(e.agency)}</td></tr>'
                    f'<tr><td class="heise">{body}</td></tr></table>')
        elif self.variant.hex_ids:
            main = (crumb + f'<div class="Article"><h2 id="ivs_title" class="Article-title">{esc(title)}</h2>'
                    f'<small class="PBtime">{fmt_dt(e.published)} 来源：{esc(e.agency)}</small>'
                    f'<div class="Article_content" id="ivs_content">{body}</div></div>')
        else:
            newer = (e.report_year or e.published.year) >= 2022
            container = ('<div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">{}</div>' if newer else
                         '<div id="zoom"><div class="TRS_Editor"><style>.TRS_Editor P{{margin-top:0;margin-bottom:12px;'
                         'line-height:1.8;font-family:宋体;font-size:12pt;}}</style>{}</div></div>')
            main = (crumb + f'{header}\n<h1 class="article-title">{esc(title)}</h1>\n'
                    f'<div class="pages-date">{fmt_dt(e.published)} <span class="font">来源：{esc(e.agency)}</span></div>\n'
                    + container.format(body) +
                    '\n<div class="bottom-bar"><a href="javascript:window.print()">打印</a> '
                    '<a href="javascript:window.close()">关闭</a></div>')
        text = self.frame(title, self.head(None, title, e, url), main)
        enc = e.x.get("enc")
        if enc == "gbk":
            resp = fixtures.gbk_page(text)
        elif enc == "lying":
            resp = fixtures.lying_meta_page(text)
        else:
            resp = self.out(text)
        resp.last_modified = e.modified(self.edition)
        return resp

    # -- routing
    def list_index(self, p: str) -> int | None:
        """0-based page index for a list path of this column, -1 for a path past the end, None otherwise."""
        sfx = self.variant.suffix
        if p in (self.col, f"{self.col}index.{sfx}"):
            return 0
        m = re.fullmatch(re.escape(self.col) + rf"index_(\d+)\.{sfx}", p)
        if not m:
            return None
        k = int(m.group(1)) - (1 if self.variant.paging == "one_based" else 0)
        return k if k >= 1 else -1

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("permissive")
        if p in ("/", "/index.html"):
            return self.out(self.home())
        if p in ("/zwgk/zfxxgk/", "/zwgk/zfxxgk/index.html"):
            return self.out(self.landing())
        if p.startswith("/zwgk/zcwj/"):
            return fixtures.wangfang_403(req)
        if p.startswith("/protect/"):
            return not_found()
        if p == "/zwgk/jgxx/":
            return fixtures.js_redirect_shell("./jgxx_2044/")
        if p.startswith("/zwgk/old/"):
            return fixtures.removed_column()
        k = self.list_index(p)
        if k is not None:
            n = len(self.pages())
            if 0 <= k < n:
                if self.list_charset_lie:
                    return Resp(body=self.list_page(k).encode("gb18030"), ctype="text/html; charset=utf-8")
                return self.out(self.list_page(k))
            if self.variant.soft404 and k == n:
                return fixtures.soft_404()
            return not_found()
        for t, sub in NAV[:-1]:
            if p in (f"/zwgk/zfxxgk/{sub}/", f"/zwgk/zfxxgk/{sub}/index.html"):
                return self.out(self.frame(t, self.head(t), f"<div class=\"main\"><h2>{t}</h2><p>（栏目内容）</p></div>"))
        e = self.entry_at(p)
        if e is not None:
            if self.withheld(e):
                return fixtures.wangfang_403(req)
            return self.detail(req, e)
        if p.startswith(self.col) and re.search(r"/[PW]0\d+\.\w+$", p):
            return self.attachment(req)
        return None

    def attachment(self, req: Req) -> Resp | None:
        ref = req.headers.get("referer", "")
        if not re.match(r"https?://" + re.escape(self.host) + r"(:\d+)?/", ref):
            return html_resp("<html><body><h1>501 Not Implemented</h1></body></html>", 501)
        hit = self.attachment_at(req.path)
        if hit is None:
            return None
        e, data, mime = hit
        if e.x.get("pdf_is_html"):
            r = fixtures.pdf_error_page()
            return r
        return Resp(body=data, ctype=mime, last_modified=e.modified(self.edition))


# ------------------------------------------------------------------ opt-in variants, each on its own host
def variant_plan(pid: str, place: str, seed: int, id_base: int, specials: tuple = ()) -> Plan:
    """A smaller catalogue (3 years × 7 units + 8 noise items → 4 list pages of 8)."""
    return Plan(portal=pid, place=place, years=(2021, 2022, 2023),
                units=("gov", "office", "d0", "d1", "d2", "t0", "t1"),
                specials=({"unit": "d1", "year": 2022, "layout": "attachment_only", "attachment": "pdf"},) + specials,
                noise=8, seed=seed, id_base=id_base)


# id suffix, host label, place, switches, column path
VARIANTS = (
    ("shtml", "白沙县", TrsVariant(suffix="shtml"), COL),
    ("htm", "红石县", TrsVariant(suffix="htm"), "/xxgk/zfxxgkzl/gknb/"),
    ("onebased", "金川县", TrsVariant(paging="one_based"), "/zwgk/zfxxgknb/"),
    ("chongqing", "绿水县", TrsVariant(paging="chongqing"), "/zwgk/zfxxgkzl/fdzdgknr/zfxxgknb/"),
    ("table", "云台县", TrsVariant(layout="table"), "/zfxxgk/ndbg/"),
    ("gbk", "紫溪县", TrsVariant(encoding="gbk"), COL),
    ("hexids", "长岭县", TrsVariant(hex_ids=True), "/nw12344/"),
    ("soft404", "黄岗县", TrsVariant(soft404=True), COL),
    ("waf", "碧溪县", TrsVariant(waf_detail=True), COL),
)


def variant_portals(farm) -> list[TrsPortal]:
    out = []
    for i, (key, place, v, col) in enumerate(VARIANTS):
        pid = f"farm-trs-{key}"
        specials = ({"unit": "d2", "year": 2022, "x": {"waf": True}},) if v.waf_detail else ()
        attrs = {"id": pid, "name": f"{place}人民政府 政府信息公开年报（TRS {key}）", "hosts": (f"www.trs-{key}.gov.cn.test",),
                 "region": place, "site": f"{place}人民政府", "idcode": f"33012{i + 3:02d}001", "col": col,
                 "per_page": 8, "variant": v, "plan": variant_plan(pid, place, 60 + i, 610000 + 20000 * i, specials),
                 "extra": True}
        out.append(type(f"Trs{key.title()}Portal", (TrsPortal,), attrs)(farm))
    return out
