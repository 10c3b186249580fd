"""ArchivePipeline on items built here (extraction inline): its own archive connection, counters
in crawler.stats, the CPU time of the store calls."""
from __future__ import annotations

import asyncio

import pytest

from archive.ledger import Ledger
from nianbao.identity import Seen
from nianbao.items import AttachmentItem, ReportItem
from pipelines.scrapy_pipelines import ArchivePipeline
from tests.crawl_helpers import q
from tests.crawler_unit import make_crawler

URL = "http://www.example.gov.cn.test/col/col1/202401/t20240120_1.html"
TITLE = "海宁市人民政府2023年政府信息公开工作年度报告"
PAGE = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1><p>一、总体情况</p></body></html>".encode()
HEADERS = {"content-type": "text/html; charset=utf-8"}


@pytest.fixture
def setup(tmp_path):
    crawler = make_crawler(tmp_path, NIANBAO_EXTRACT_PROCESSES=0)
    crawler.stats.open_spider()
    ledger = Ledger(tmp_path / "archive.db", tmp_path / "warc")
    ledger.sync_sources([{"id": "src", "name": "src", "url": "http://www.example.gov.cn.test/"}])
    run = ledger.start_run(["src"])
    pipeline = ArchivePipeline.from_crawler(crawler)
    assert pipeline.pool is None
    yield crawler, ledger, run, pipeline
    pipeline.closed()
    ledger.close()


def _capture(ledger, run, url, body):
    return ledger.add_capture(run_id=run, source_id="src", url=url, status=200,
                              headers=list(HEADERS.items()), body=body, role="detail").id


def _report(cid, **kw):
    return ReportItem(**{"source_id": "src", "url": URL, "capture_id": cid, "body": PAGE, "headers": HEADERS,
                         "seen": Seen(list_title=TITLE, list_kind="report", region="浙江省嘉兴市海宁市"), **kw})


def test_report_then_unchanged_then_not_modified(setup):
    crawler, ledger, run, pipeline = setup
    item = _report(_capture(ledger, run, URL, PAGE))
    assert asyncio.run(pipeline.process_item(item)) is item
    stats = crawler.stats
    assert stats.get_value("nianbao/report_versions_new") == 1
    assert ledger.report_archived(URL)
    assert q(ledger.path, "SELECT title, kind FROM reports") == [(TITLE, "report")]
    asyncio.run(pipeline.process_item(_report(_capture(ledger, run, URL, PAGE))))
    assert stats.get_value("nianbao/reports_unchanged") == 1
    asyncio.run(pipeline.process_item(_report(None, body=None, not_modified=True)))
    assert stats.get_value("nianbao/reports_not_modified") == 1
    assert stats.get_value("nianbao/store_cpu_seconds") > 0


def test_attachment_after_its_page(setup):
    crawler, ledger, run, pipeline = setup
    asyncio.run(pipeline.process_item(_report(_capture(ledger, run, URL, PAGE))))
    url = URL.replace(".html", ".txt")
    body = f"{TITLE}\n一、总体情况\n".encode()
    att = AttachmentItem(source_id="src", report_url=URL, url=url, capture_id=_capture(ledger, run, url, body),
                         body=body, headers={"content-type": "text/plain; charset=utf-8"}, filename="报告.txt")
    asyncio.run(pipeline.process_item(att))
    assert crawler.stats.get_value("nianbao/attachments") == 1
    assert ledger.attachment_archived(url)
    asyncio.run(pipeline.process_item(AttachmentItem(source_id="src", report_url=URL, url=url, capture_id=None,
                                                     body=None, not_modified=True)))
    assert crawler.stats.get_value("nianbao/attachments_not_modified") == 1
