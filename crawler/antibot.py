"""Recognise anti-bot challenges and block pages, so a blocked page is never read as an empty list.

We record and move on; we do not circumvent (beyond what a real browser does for sources
configured `render: browser`).
"""
from __future__ import annotations

import re

_TS = re.compile(rb"\$_ts\s*=|\$_ts\.nsd|\$_ts\.cd")
_JSL = re.compile(rb"__jsl_clearance")
_WANGFANG = re.compile("网防G01|eventID".encode("utf-8"))
_THROTTLE = re.compile("访问过于频繁|访问频率过高|请求过于频繁".encode("utf-8"))


def detect(status: int, body: bytes) -> str | None:
    """Return the block mode (`ruishu_412`, `jsl_521`, `wangfang_403`, `throttle`) or None."""
    head = body[:20000]
    if status in (412, 202, 200) and _TS.search(head):
        return "ruishu_412"
    if status == 521 or (status == 200 and _JSL.search(head) and len(body) < 5000):
        if _JSL.search(head):
            return "jsl_521"
    if status in (403, 405, 418) and _WANGFANG.search(head):
        return "wangfang_403"
    if status in (403, 429, 503, 200) and _THROTTLE.search(head) and len(body) < 20000:
        return "throttle"
    return None


_SOFT_404 = re.compile("您访问的页面不存在|页面不存在|页面已删除|已被删除|暂无年报|404 Not Found|文件下载失败".encode("utf-8"))


def soft_error(status: int, body: bytes) -> bool:
    """A 200 answer that is really an error page (soft 404): short and saying so."""
    return status == 200 and len(body) < 6000 and bool(_SOFT_404.search(body))
