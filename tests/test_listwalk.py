"""The pure parts of the browser's list walk (crawler/listwalk.py): list payloads recognised in JSON
answers of several real shapes, page parameters found by name or by diffing two requests (query,
form, JSON body, a JSON string wrapped in a field), replays with the page advanced, and the walk's
stop rules."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlparse

from crawler.listwalk import Exchange, find_payload, learn, page_of, page_spot, replay

BASE = "http://www.example.gov.cn.test/xxgk/002004/govinfo_list.html"


def epoint(k: int, total: int = 44, per: int = 10):
    n = max(0, min(per, total - k * per))
    return {"custom": {"total": total, "data": [
        {"infoid": f"id{k}-{i}", "title": f"2023年某市局{k}{i}政府信息公开工作年度报…",
         "realtitle": f"2023年某市局{k}{i}政府信息公开工作年度报告", "infodate": "2024-01-20",
         "infourl": f"/xxgk/002004/20240120/id{k}-{i}.html"} for i in range(n)]}, "status": {"code": 200}}


def wrapped(k: int) -> bytes:
    p = {"siteGuid": "g", "categorynum": "002004", "pageIndex": k, "pageSize": 10}
    return json.dumps({"params": json.dumps(p)}).encode()


def ex(url, body=b"", method="POST", answer=None, ctype="application/json;charset=UTF-8", status=200):
    return Exchange(url, method, {"content-type": ctype} if body else {}, body, status,
                    {"content-type": "application/json"}, json.dumps(answer, ensure_ascii=False).encode())


API = "http://www.example.gov.cn.test/EWB-FRONT/rest/lightfrontaction/getgovinfolist"


def test_payload_shapes():
    p = find_payload(epoint(0))
    assert (p.path, p.title_key, p.url_key, p.date_key, p.total) == (("custom", "data"), "title", "infourl", "infodate", 44)
    e = p.entries(BASE)
    assert len(e) == 10 and e[0].title.endswith("年度报告") and e[0].date == "2024-01-20"   # the whole title wins
    assert e[0].url == "http://www.example.gov.cn.test/xxgk/002004/20240120/id0-0.html"
    gk = {"total": 120, "offset": 0, "articles": [{"id": i, "title": f"某县{i}2023年政府信息公开工作年度报告",
                                                    "url": f"http://www.example.gov.cn.test/gkmlpt/content/{i}.html",
                                                    "create_time": 1706000000} for i in range(100)]}
    p = find_payload(gk)
    assert p.path == ("articles",) and p.total == 120 and len(p.items) == 100
    hunan = {"data": {"total": 3, "results": [{"title": "x局2023年政府信息公开工作年度报告", "url": "/a/1.html",
                                               "publishedTimeStr": "2024-01-02 10:00:00"}]}}
    p = find_payload(hunan)
    assert p.path == ("data", "results") and p.total == 3 and p.entries(BASE)[0].date == "2024-01-02"


def test_not_payloads():
    assert find_payload({"status": {"code": 200}, "data": []}) is None
    assert find_payload({"menu": [{"name": "首页", "id": 1}, {"name": "政务公开", "id": 2}]}) is None   # no URLs
    assert find_payload([1, 2, 3]) is None


def test_wrapped_json_parameter_by_name_and_replay():
    e0 = ex(API, wrapped(0), answer=epoint(0))
    spot = page_spot(e0, find_payload(epoint(0)))
    assert (spot.where, spot.wrapper, spot.name, spot.base, page_of(spot)) == ("wrapped", "params", "pageIndex", 0, 1)
    url, method, body = replay(e0, spot, 3)
    inner = json.loads(json.loads(body)["params"])
    assert method == "POST" and url == API and inner["pageIndex"] == 2 and inner["categorynum"] == "002004"


def test_form_query_and_offsets():
    form = ex(API, b"datas%5B0%5D%5Bkey%5D=status&page=1&_pageSize=20", ctype="application/x-www-form-urlencoded",
              answer=epoint(0))
    s = page_spot(form)
    assert (s.where, s.name, s.base) == ("form", "page", 1)
    assert dict(parse_qsl(replay(form, s, 4)[2].decode()))["page"] == "4"
    q = ex("http://h.test/api/list?sid=3&pageNo=1&pageSize=15", method="GET", answer=epoint(0))
    s = page_spot(q)
    assert s.where == "query" and dict(parse_qsl(urlparse(replay(q, s, 2)[0]).query))["pageNo"] == "2"
    off = ex("http://h.test/api/list?start=0&limit=20", method="GET", answer=epoint(0, per=20))
    s = page_spot(off, find_payload(epoint(0, per=20)))
    assert (s.name, s.step) == ("start", 20)
    assert dict(parse_qsl(urlparse(replay(off, s, 3)[0]).query))["start"] == "40"


def test_page_parameter_by_diffing_two_requests():
    """An unknown name (`pi`) is found because the pager's second request differs only there."""
    a = ex(API, json.dumps({"cat": "9", "pi": 1, "ts": "x"}).encode(), answer=epoint(0))
    b = ex(API, json.dumps({"cat": "9", "pi": 2, "ts": "x"}).encode(), answer=epoint(1))
    assert page_spot(a) is None
    s = page_spot(a, other=b)
    assert (s.where, s.name, s.base) == ("json", "pi", 1)
    learned = learn([a, b], BASE)
    assert learned is not None and sorted(learned.seen_pages) == [1, 2] and learned.total == 44


def test_learn_picks_the_list_not_a_widget_and_notices_the_end():
    widget = ex("http://www.example.gov.cn.test/api/hot?n=3", method="GET", answer={"list": [
        {"title": "热点新闻", "url": "/news/1.html"}]})
    pages = [ex(API, wrapped(k), answer=epoint(k)) for k in range(5)] + [ex(API, wrapped(5), answer=epoint(5))]
    learned = learn([widget] + pages, BASE)
    assert learned.exchange.url == API and learned.total == 44 and learned.per_page == 10
    assert learned.last_seen() == 5 and learned.ended      # the page's own script reached an empty page
    assert sum(len(v) for v in learned.seen_pages.values()) == 44
    assert learn([widget.__class__(API, "POST", {}, wrapped(0), 500, {}, b"oops")], BASE) is None
