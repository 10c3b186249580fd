"""Progress lines of long crawls (crawler/progress.py), driven through Scrapy's real signals."""
import io

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.progress import ProgressExtension


def _extension(**settings):
    crawler = get_crawler(settings_dict={"NIANBAO_PROGRESS": True, "NIANBAO_PROGRESS_SECONDS": 0, **settings})
    ext = ProgressExtension.from_crawler(crawler)
    ext.stream = io.StringIO()
    return crawler, ext


def test_off_unless_asked():
    with pytest.raises(NotConfigured):
        ProgressExtension.from_crawler(get_crawler(settings_dict={}))


def test_a_line_every_n_pages_and_a_last_one_with_the_counts():
    crawler, ext = _extension(NIANBAO_PROGRESS_PAGES=3)
    send = crawler.signals.send_catch_log
    ext.opened()   # no timer (NIANBAO_PROGRESS_SECONDS 0), so no reactor needed
    stats = crawler.stats
    for n in range(7):
        if n == 4:
            stats.set_value("nianbao/report_versions_new", 4)
            stats.set_value("nianbao/reports_not_modified", 2)
            stats.set_value("log_count/ERROR", 1)
        send(signal=signals.response_received, response=None, request=None, spider=None)
    lines = ext.stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("crawl progress: 3 pages fetched, 0 reports stored, 0 unchanged, 0 errors")
    assert lines[1].startswith("crawl progress: 6 pages fetched, 4 reports stored, 2 unchanged, 1 errors")
    ext.closed(reason="finished")
    last = ext.stream.getvalue().splitlines()[-1]
    assert last.startswith("crawl done: 7 pages fetched, 4 reports stored")


def test_a_line_after_a_quiet_interval_but_not_before():
    """The timer's tick (the looping call itself runs in real crawls: the demo's progress lines)."""
    crawler, ext = _extension(NIANBAO_PROGRESS_SECONDS=30)
    ext.tick()
    assert ext.stream.getvalue() == ""          # nothing said yet, but 30 s have not passed
    ext.last_line -= 31
    ext.tick()
    assert ext.stream.getvalue().startswith("crawl progress: 0 pages fetched")
    ext.tick()
    assert len(ext.stream.getvalue().splitlines()) == 1   # the clock starts again from that line
