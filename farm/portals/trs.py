"""Mock C — TRS WCM static publishing (portals.md §2.4, §4.3), host www.trs-site.gov.cn.test.

Column `/zwgk/zfxxgk/zfxxgknb/` = `index.html`; page k+1 is `index_k.html` (0-based suffix), the
page count only in the inline `createPageHTML(countPage, currentPage, "index", "html")` call.
Details `./YYYYMM/tYYYYMMDD_ID.html`; attachments `./P0YYYYMMDD<12>.ext` next to the detail page,
served only with a Referer from this portal (else 501); the `OLDSRC="/protect/…"` twin is dead.
"""
from __future__ import annotations

import re

from farm import fixtures
from farm.portals.base import (FOOTER, READING_AIDS, Entry, Req, Resp, digits, esc, fmt_date, fmt_dt,
                               html_resp, metas, not_found, page)
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
    ),
    noise=9, seed=3, id_base=534000)

NAV = ("政府信息公开指南", "zfxxgkzn"), ("政府信息公开制度", "zfxxgkzd"), ("法定主动公开内容", "fdzdgknr"), \
      ("依申请公开", "ysqgk"), ("政府信息公开年报", "zfxxgknb")


class TrsPortal(Portal):
    id = "farm-trs"
    name = "青山县人民政府 政府信息公开年报"
    platform = "trs"
    hosts = (HOST,)
    region = "青山县"
    level = "county"
    site = "青山县人民政府"
    idcode = "3301220001"

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    # -- URL shapes
    def detail_path(self, e: Entry) -> str:
        d = e.published
        return f"{COL}{d:%Y%m}/t{d:%Y%m%d}_{e.num}.html"

    def att_href(self, e: Entry, kind: str, filename: str, index: int) -> str:
        d = e.published
        ext = filename.rsplit(".", 1)[-1].lower()
        prefix = "W0" if kind == "IMAGE" else "P0"
        return f"./{prefix}{d:%Y%m%d}{digits(12, e.num, kind, index)}.{ext}"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": COL, "render": "static"}]

    def pages(self) -> list[list[Entry]]:
        items = self.live()
        return [items[i:i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [[]]

    def list_pages(self, edition):
        n = len(self.pages())
        return {self.id: [(HOST, COL)] + [(HOST, f"{COL}index_{k}.html") for k in range(1, n)]}

    def blocked(self):
        return [{"url": self.base() + "/zwgk/zcwj/", "mode": "wangfang_403", "portal": self.id},
                {"url": self.base() + "/zwgk/zcwj/index.html", "mode": "wangfang_403", "portal": self.id}]

    def broken(self):
        out = [{"url": self.base() + "/protect/P0202401/P020240101/P020240101000000000000.pdf",
                "reason": "404", "portal": self.id}]
        for e in self.live():
            if e.x.get("pdf_is_html"):
                for kind, name, p in self.attachment_paths(e):
                    out.append({"url": self.base() + p, "reason": "pdf_is_html", "portal": self.id})
        return out

    def excluded_attachments(self, e):
        return {a.filename for a in e.gen(self.edition).attachments} if e.x.get("pdf_is_html") else set()

    # -- pages
    def head(self, column: str | None, title: str | None = None, e: Entry | None = None, url: str = "") -> str:
        if e is None:
            return metas(self.site, "www.trs-site.gov.cn", self.idcode, column=column, coltype="信息公开")
        return metas(self.site, "www.trs-site.gov.cn", self.idcode, column="政府信息公开年报",
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
        links = "".join(f'<li><a href="/zwgk/zfxxgk/{p}/">{t}</a></li>' for t, p in NAV)
        return self.frame("政府信息公开", self.head("政府信息公开"),
                          f'<div class="xxgk-nav"><ul>{links}<li><a href="/zwgk/zcwj/">政策文件</a></li></ul></div>')

    def list_page(self, k: int) -> str:
        pages = self.pages()
        lis = "".join(
            f'<li trs-attr="chip"><a href="./{e.published:%Y%m}/t{e.published:%Y%m%d}_{e.num}.html" '
            f'target="_blank" title="{esc(self.title(e))}">{esc(self.title(e))}'
            f'<span>{fmt_date(e.published)}</span></a></li>\n' for e in pages[k])
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/zfxxgk/">政府信息公开</a>'
                f' &gt; 政府信息公开年报</div>\n<div class="overview_right">\n<ul>\n{lis}</ul>\n</div>\n'
                f'{CREATE_PAGE_JS}\n<div class="page" id="page_div">\n<script type="text/javascript">\n'
                f'  var currentPage = {k};   // 所在页，从0开始\n  var countPage = {len(pages)};     // 共多少页\n'
                f'  var dataCount = "{len(self.live())}";\n'
                f'  createPageHTML(countPage, currentPage, "index", "html");\n</script>\n</div>')
        return self.frame("政府信息公开年报", self.head("政府信息公开年报"), main)

    def detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        url = req.url_base + self.detail_path(e)
        body = self.body(e)
        body = re.sub(r'href="(\./P0(\d{6})(\d{2})(\d+)\.(\w+))"',
                      lambda m: (f'href="{m.group(1)}" appendix="true" data-appendix="true" needdownload="true" '
                                 f'OLDSRC="/protect/P0{m.group(2)}/P0{m.group(2)}{m.group(3)}/'
                                 f'P0{m.group(2)}{m.group(3)}{m.group(4)}.{m.group(5)}"'), body)
        newer = (e.report_year or e.published.year) >= 2022
        container = ('<div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">{}</div>' if newer else
                     '<div id="zoom"><div class="TRS_Editor"><style>.TRS_Editor P{{margin-top:0;margin-bottom:12px;'
                     'line-height:1.8;font-family:宋体;font-size:12pt;}}</style>{}</div></div>')
        d = fmt_date(e.published)
        header = (f'<div class="xxgk_table"><table cellpadding="0" cellspacing="0">'
                  f'<tr><td class="t">索 引 号：</td><td>000014349/{e.published.year}-{e.num % 100000:05d}</td>'
                  f'<td class="t">主题分类：</td><td>综合政务\\政务公开</td></tr>'
                  f'<tr><td class="t">发文机关：</td><td>{esc(e.agency)}</td><td class="t">成文日期：</td><td>{d}</td></tr>'
                  f'<tr><td class="t">标　　题：</td><td colspan="3">{esc(title)}</td></tr>'
                  f'<tr><td class="t">发文字号：</td><td></td><td class="t">发布日期：</td><td>{d}</td></tr>'
                  f'</table></div>')
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/zfxxgk/">政府信息公开</a> &gt; '
                f'<a href="{COL}">政府信息公开年报</a></div>\n{header}\n<h1 class="article-title">{esc(title)}</h1>\n'
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
            resp = html_resp(text)
        resp.last_modified = e.modified(self.edition)
        return resp

    # -- routing
    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("permissive")
        if p in ("/", "/index.html"):
            return html_resp(self.home())
        if p in ("/zwgk/zfxxgk/", "/zwgk/zfxxgk/index.html"):
            return html_resp(self.landing())
        if p.startswith("/zwgk/zcwj/"):
            return fixtures.wangfang_403(req)
        if p.startswith("/protect/"):
            return not_found()
        if p == "/zwgk/jgxx/":
            return fixtures.js_redirect_shell("./jgxx_2044/")
        if p.startswith("/zwgk/old/"):
            return fixtures.removed_column()
        if p in (COL, COL + "index.html"):
            return html_resp(self.list_page(0))
        m = re.fullmatch(re.escape(COL) + r"index_(\d+)\.html", p)
        if m:
            k = int(m.group(1))
            if 1 <= k < len(self.pages()):
                return html_resp(self.list_page(k))
            return not_found()
        for t, sub in NAV[:-1]:
            if p in (f"/zwgk/zfxxgk/{sub}/", f"/zwgk/zfxxgk/{sub}/index.html"):
                return html_resp(self.frame(t, self.head(t), f"<div class=\"main\"><h2>{t}</h2><p>（栏目内容）</p></div>"))
        e = self.entry_at(p)
        if e is not None:
            return self.detail(req, e)
        if re.fullmatch(re.escape(COL) + r"\d{6}/[PW]0\d+\.\w+", p):
            return self.attachment(req)
        return None

    def attachment(self, req: Req) -> Resp | None:
        ref = req.headers.get("referer", "")
        if not re.match(r"https?://" + re.escape(HOST) + r"(:\d+)?/", ref):
            return html_resp("<html><body><h1>501 Not Implemented</h1></body></html>", 501)
        hit = self.attachment_at(req.path)
        if hit is None:
            return None
        e, data, mime = hit
        if e.x.get("pdf_is_html"):
            r = fixtures.pdf_error_page()
            return r
        return Resp(body=data, ctype=mime, last_modified=e.modified(self.edition))
