"""The one generic spider: registry → platform adapter → list pages → details → attachments.

It yields what it fetched; it never parses report tables (that is pipelines/).
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlparse

import scrapy

from crawler import classify, platforms
from crawler.items import AttachmentItem, ReportItem
from crawler.platforms.base import ListEntry
from crawler.runstate import RunState

ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|ofd|et|zip|rar)(?:$|[?#])", re.I)


def _headers(response) -> dict:
    return {k.decode("latin-1").lower(): response.headers.get(k).decode("utf-8", "replace")
            for k in response.headers.keys()}


class NianbaoSpider(scrapy.Spider):
    name = "nianbao"
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    @property
    def state(self) -> RunState:
        return RunState.of(self.crawler)

    async def start(self):
        for source in self.state.sources.values():
            yield scrapy.Request(source.url, callback=self.parse_list, errback=self.failed,
                                 meta={"source_id": source.id, "role": "list",
                                       "playwright": source.render == "browser"})

    # ------------------------------------------------------------ lists
    def parse_list(self, response):
        source = self.state.sources[response.meta["source_id"]]
        if response.meta.get("outcome") != "ok":
            self.state.counters[f"list_{response.meta.get('outcome')}"] += 1
            return
        adapter = platforms.by_name(source.platform) or platforms.detect(response)
        for out in adapter.parse_list(response, source):
            if isinstance(out, ListEntry):
                yield from self.follow_entry(response, source, out)
            else:
                out.meta.setdefault("source_id", source.id)
                out.meta.setdefault("role", "list")
                out.meta["is_followup"] = True
                yield out.replace(callback=out.callback or self.parse_list, errback=self.failed)
        self.state.complete_lists.add(source.id)

    def follow_entry(self, response, source, entry: ListEntry):
        kind = classify.classify(entry.title)
        if kind == "noise":
            self.state.counters["skipped_noise"] += 1
            return
        self.state.seen_reports[source.id].add(entry.url)
        meta = {"source_id": source.id, "role": "detail", "list_title": entry.title,
                "list_date": entry.date, "kind": kind}
        yield scrapy.Request(entry.url, callback=self.parse_detail, errback=self.failed, meta=meta,
                             headers={"Referer": response.url})

    # ------------------------------------------------------------ details and attachments
    def parse_detail(self, response):
        meta = response.meta
        if meta.get("outcome") not in ("ok", "not_modified"):
            return
        yield ReportItem(source_id=meta["source_id"], url=response.request.url,
                         capture_id=meta.get("capture_id"),
                         body=response.body if meta["outcome"] == "ok" else None,
                         headers=_headers(response), list_title=meta.get("list_title"),
                         list_date=meta.get("list_date"), kind=meta.get("kind"),
                         not_modified=meta["outcome"] == "not_modified")
        if meta["outcome"] != "ok":
            return
        for a in response.css("a[href]"):
            href = a.attrib["href"].strip()
            url = urljoin(response.url, href)
            if urlparse(url).scheme in ("http", "https") and ATTACHMENT_EXT.search(url):
                name = (" ".join(a.css("::text").getall()).strip()
                        or unquote(urlparse(url).path.rsplit("/", 1)[-1]))
                yield scrapy.Request(url, callback=self.parse_attachment, errback=self.failed,
                                     headers={"Referer": response.url},
                                     meta={"source_id": meta["source_id"], "role": "attachment",
                                           "report_url": response.request.url, "filename": name})

    def parse_attachment(self, response):
        meta = response.meta
        if meta.get("outcome") not in ("ok", "not_modified"):
            return
        yield AttachmentItem(source_id=meta["source_id"], report_url=meta["report_url"],
                             url=response.request.url, capture_id=meta.get("capture_id"),
                             body=response.body if meta["outcome"] == "ok" else None,
                             headers=_headers(response), filename=meta.get("filename"),
                             not_modified=meta["outcome"] == "not_modified")

    def failed(self, failure):
        request = failure.request
        self.state.counters["request_failures"] += 1
        self.logger.warning("failed %s: %s", request.url, failure.value)
