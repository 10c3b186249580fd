"""Hanweb 大汉 JCMS (docs/adapters.md): lists inside `<datastore>` XML in a script,
continued through `dataproxy.jsp` (Zhejiang POST windows or Jiangsu GET pages, the path taken from
`proxyUrl`), jpaas "page build unit" JSON, truecms JSONP. Totals come from `totalRecord` /
`<totalrecord>` / `<totalpage>`, never from `nextgroup` numbers.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urljoin

from crawler import meta as M
from crawler.platforms.base import ListTotal, Platform, entries_in, fingerprinted_list, text_of

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL_RECORD = re.compile(r"totalRecord\s*:\s*['\"]?(\d+)")
_PER_PAGE = re.compile(r"perPage\s*:\s*['\"]?(\d+)")
_PROXY = re.compile(r"proxyUrl\s*:\s*['\"]([^'\"]+)['\"]")
_AJAX = re.compile(r"ajaxParam\s*:\s*\{([^}]*)\}")
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]+)['\"]", re.S)
_XML_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
_XML_PAGES = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>")
_JPAAS = re.compile(r"url=['\"]([^'\"]*jpaas-publish-server/front/page/build/unit)['\"][^>]*queryData=(\"[^\"]+\"|'[^']+')"
                    r"|queryData=(\"[^\"]+\"|'[^']+')[^>]*url=['\"]([^'\"]*jpaas-publish-server/front/page/build/unit)['\"]")
_TRUECMS = re.compile(r"proxyUrl\s*:\s*['\"]([^'\"]*getMessage\.do)['\"]")
_COLUMN_ID = re.compile(r"columnId\s*:\s*['\"]?(\d+)")
WINDOW = 45           # a browser's group: 3 × 15
TRUECMS_PER = 50      # larger windows come back empty on some hosts


def records(text: str, base: str):
    for html in _RECORD.findall(text):
        yield from entries_in(html, base)


def _ajax_params(text: str) -> dict:
    m = _AJAX.search(text)
    out = {}
    if m:
        for k, v in re.findall(r"(\w+)\s*:\s*['\"]?([^,'\"}]*)['\"]?", m.group(1)):
            out[k] = v.strip()
    return out


def _query(href: str) -> dict:
    from urllib.parse import parse_qsl, urlparse
    return dict(parse_qsl(urlparse(href).query, keep_blank_values=True))


class Hanweb(Platform):
    name = "hanweb"

    def matches(self, response) -> bool:
        t = text_of(response)
        return bool(re.search(r"<datastore>|dataproxy\.jsp|jpaas-publish-server|getMessage\.do|/module/xxgk/|"
                              r"大汉版通|i_columnid", t))

    def is_list_page(self, response) -> bool | None:
        # The `<datastore>` record XML and the jpaas page-build unit are list machinery.
        return fingerprinted_list(response, rb"<datastore>|jpaas-publish-server")

    # ------------------------------------------------------------ dispatch
    def parse_list(self, response, source):
        kind = response.meta.get(M.HANWEB)
        if kind == "proxy":
            yield from self.parse_proxy(response)
        elif kind == "jpaas":
            yield from self.parse_jpaas(response)
        elif kind == "truecms":
            yield from self.parse_truecms(response)
        else:
            yield from self.parse_column(response)

    # ------------------------------------------------------------ column page (datastore)
    def parse_column(self, response):
        text = text_of(response)
        jp = _JPAAS.search(text)
        if jp:
            yield self.jpaas_request(response, jp, 1)
            return
        tc = _TRUECMS.search(text)
        if tc:
            col = _COLUMN_ID.search(text)
            yield self.truecms_request(response, urljoin(response.url, tc.group(1)), col.group(1) if col else "", 1)
            return
        inline = list(records(text, response.url))
        yield from inline
        total = _TOTAL_RECORD.search(text)
        proxy = _PROXY.search(text)
        nextgroup = _NEXTGROUP.search(text)
        if total:
            yield ListTotal(items=int(total.group(1)))
        if not total or not (proxy or nextgroup):
            return
        total = int(total.group(1))
        per = int(_PER_PAGE.search(text).group(1)) if _PER_PAGE.search(text) else 15
        path = proxy.group(1) if proxy else nextgroup.group(1).split("?")[0]
        url = urljoin(response.url, path)
        params = {k: v for k, v in _query(nextgroup.group(1)).items() if k not in ("page",)} if nextgroup else {}
        params.update({k: v for k, v in _ajax_params(text).items() if v != ""})
        params.pop("col", None)
        if "/module/web/jpage/" in path or "pageMode:'page'" in text.replace(" ", ""):
            # Jiangsu style: GET page=N of `perpage` records; ask the total pages from page 1.
            q = {**params, "page": 1}
            yield self.request(f"{url}?{urlencode(q)}", response,
                               meta={M.HANWEB: "proxy", M.STYLE: "page", M.PARAMS: params, M.PROXY_URL: url})
            return
        # Zhejiang style: POST windows after the inline group.
        form = {"col": "1", **params}
        for start in range(len(inline) + 1 if inline else 1, total + 1, WINDOW):
            end = min(start + WINDOW - 1, total)
            q = urlencode({"startrecord": start, "endrecord": end, "perpage": per})
            yield self.request(f"{url}?{q}", response, method="POST", body=urlencode(form),
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                                        "X-Requested-With": "XMLHttpRequest"},
                               meta={M.HANWEB: "proxy", M.STYLE: "window"})

    def parse_proxy(self, response):
        text = text_of(response)
        yield from records(text, response.meta.get(M.LIST_REFERER) or response.url)
        meta = response.meta
        total, pages = _XML_TOTAL.search(text), _XML_PAGES.search(text)
        if total or pages:
            yield ListTotal(items=int(total.group(1)) if total else None, pages=int(pages.group(1)) if pages else None)
        if meta.get(M.STYLE) == "page" and not meta.get(M.PAGE_FOLLOWUP):
            n = int(pages.group(1)) if pages else 1
            for k in range(2, n + 1):   # lazy: the spider stops at the page cap
                q = {**meta[M.PARAMS], "page": k}
                yield self.request(f"{meta[M.PROXY_URL]}?{urlencode(q)}", response,
                                   meta={M.HANWEB: "proxy", M.STYLE: "page", M.PAGE_FOLLOWUP: True,
                                         M.LIST_REFERER: meta.get(M.LIST_REFERER), M.PROXY_URL: meta[M.PROXY_URL]})

    # ------------------------------------------------------------ jpaas
    def jpaas_request(self, response, m, page: int):
        api = m.group(1) or m.group(4)
        qd = json.loads((m.group(2) or m.group(3))[1:-1].replace("'", '"'))
        q = {"parseType": "bulidstatic", "webId": qd.get("webId"), "tplSetId": qd.get("tplSetId"),
             "pageType": qd.get("pageType", "column"), "tagId": qd.get("tagId"),
             "editType": qd.get("editType", "null"), "pageId": qd.get("pageId"),
             "paramJson": json.dumps({"pageNo": page, "pageSize": 15}, separators=(",", ":"))}
        return self.request(urljoin(response.url, api) + "?" + urlencode(q), response,
                            meta={M.HANWEB: "jpaas", M.PAGE: page, M.JPAAS: [api, qd],
                                  M.LIST_REFERER: response.meta.get(M.LIST_REFERER) or response.url})

    def parse_jpaas(self, response):
        try:
            data = json.loads(text_of(response))
            html = ((data or {}).get("data") or {}).get("html") or ""
        except ValueError:
            html = ""
        found = entries_in(html, response.meta[M.LIST_REFERER])
        yield from found
        urls = sorted({e.url for e in found})
        if found and urls != response.meta.get(M.PREVIOUS_PAGE):   # an empty or repeated page ends the list
            api, qd = response.meta[M.JPAAS]
            page = response.meta[M.PAGE] + 1
            q = {"parseType": "bulidstatic", "webId": qd.get("webId"), "tplSetId": qd.get("tplSetId"),
                 "pageType": qd.get("pageType", "column"), "tagId": qd.get("tagId"),
                 "editType": qd.get("editType", "null"), "pageId": qd.get("pageId"),
                 "paramJson": json.dumps({"pageNo": page, "pageSize": 15}, separators=(",", ":"))}
            yield self.request(urljoin(response.url, api) + "?" + urlencode(q), response,
                               meta={M.HANWEB: "jpaas", M.PAGE: page, M.JPAAS: [api, qd],
                                     M.LIST_REFERER: response.meta[M.LIST_REFERER], M.PREVIOUS_PAGE: urls})

    # ------------------------------------------------------------ truecms (JSONP, Referer required)
    def truecms_request(self, response, api: str, col: str, start: int):
        q = urlencode({"startrecord": start, "endrecord": start + TRUECMS_PER - 1, "perpage": TRUECMS_PER,
                       "columnId": col, "callback": "cb"})
        return self.request(f"{api}?{q}", response,
                            meta={M.HANWEB: "truecms", M.START: start, M.API: api, M.COLUMN: col,
                                  M.LIST_REFERER: response.meta.get(M.LIST_REFERER) or response.url})

    def parse_truecms(self, response):
        raw = text_of(response).lstrip("\ufeff \r\n\t").replace("\ufeff", "")
        m = re.match(r"^[\w$.]+\((.*)\)\s*;?\s*$", raw, re.S)
        xml = ""
        if m:
            try:
                xml = json.loads(m.group(1)).get("result") or ""
            except ValueError:
                xml = ""
        found = list(records(xml, response.meta[M.LIST_REFERER]))
        yield from found
        total = _XML_TOTAL.search(xml)
        if total:
            yield ListTotal(items=int(total.group(1)))
        start = response.meta[M.START] + TRUECMS_PER
        if found and (not total or start <= int(total.group(1))):
            yield self.truecms_request(response, response.meta[M.API], response.meta[M.COLUMN], start)
