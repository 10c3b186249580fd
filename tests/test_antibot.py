from crawler import antibot
from farm import fixtures
from farm.portals.base import Req


def _req(path="/x"):
    return Req(method="GET", host="h.gov.cn.test", path=path, query={}, headers={})


def test_farm_challenges_are_recognised():
    r = fixtures.ruishu_412(_req())
    assert antibot.detect(r.status, r.data()) == "ruishu_412"
    r = fixtures.jsl_gate(_req(), solvable=False)
    assert antibot.detect(r.status, r.data()) == "jsl_521"
    r = fixtures.wangfang_403(_req())
    assert antibot.detect(r.status, r.data()) == "wangfang_403"
    r = fixtures.throttled()
    assert antibot.detect(r.status, r.data()) == "throttle"


def test_ordinary_pages_are_not_blocked():
    assert antibot.detect(200, "<html><body>青山县2023年政府信息公开工作年度报告</body></html>".encode()) is None
    assert antibot.detect(404, b"<html><body><h1>404 Not Found</h1></body></html>") is None


def test_soft_404():
    r = fixtures.soft_404()
    assert antibot.soft_error(r.status, r.data())
    assert not antibot.soft_error(200, "<html><p>本报告根据条例编制</p></html>".encode())


def test_soft_404_on_list_pages():
    r = fixtures.soft_404()
    assert antibot.soft_error(r.status, r.data(), "list") == "您访问的页面不存在或已被删除"
    # "暂无年报" is an error where a report should be, an honest empty list on a list page
    empty = "<html><title>暂无年报</title><p>暂无年报</p></html>".encode()
    assert antibot.soft_error(200, empty, "detail") == "暂无年报"
    assert antibot.soft_error(200, empty, "list") is None
    # GBK error pages are recognised too; a 404 status is a plain error, not a soft one
    assert antibot.soft_error(200, "<p>您访问的页面不存在！</p>".encode("gbk"), "list")
    assert antibot.soft_error(404, r.data(), "list") is None
