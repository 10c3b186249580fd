from farm import fixtures
from farm.portals.base import Req

from crawler import antibot


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
