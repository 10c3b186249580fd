"""Thin Scrapy item pipelines: fetched item → extraction (pure) → archive writer."""
from __future__ import annotations

from crawler.items import AttachmentItem, ReportItem
from crawler.runstate import RunState
from pipelines.extract.document import extract_document


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        state = RunState.of(self.crawler)
        archive = state.archive
        if isinstance(item, ReportItem):
            if item.not_modified or item.body is None:
                archive.touch_report(item.url)
                state.counters["reports_unchanged"] += 1
                return item
            doc = extract_document(item.body, item.url, item.headers)
            _, _, new = archive.store_document(
                capture_id=item.capture_id, source_id=item.source_id, url=item.url, doc=doc,
                list_title=item.list_title, list_date=item.list_date, kind=item.kind)
            state.counters["report_versions_new" if new else "reports_unchanged"] += 1
        elif isinstance(item, AttachmentItem):
            if item.body is None:
                return item
            doc = extract_document(item.body, item.url, item.headers)
            archive.store_attachment(report_url=item.report_url, capture_id=item.capture_id,
                                     url=item.url, filename=item.filename, doc=doc)
            state.counters["attachments"] += 1
        return item
