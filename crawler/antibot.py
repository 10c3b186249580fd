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


# A soft 404: an error page served with 200. "暂无…" and download failures only mean an error on a
# page that should carry a report or a file; on a list page "暂无" is an honest empty list.
_SOFT_404_PAGE = re.compile(r"您访问的页面不存在[^<。！!]{0,12}|页面不存在|页面已删除|已被删除|页面未找到"
                            r"|找不到(该|您要访问的)?页面|404 Not Found")
_SOFT_404_ITEM = re.compile(r"暂无年报|暂无(相关)?(信息|数据|内容)|文件下载失败|附件不存在")
SOFT_404_MAX = 6000   # real lists and reports are longer; error pages are short


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", "replace")


def soft_error(status: int, body: bytes, role: str | None = "detail") -> str | None:
    """The error a short 200 answer states (e.g. "您访问的页面不存在或已被删除"), or None.
    `role`: list pages are only errors when they say the page is missing."""
    if status != 200 or not body or len(body) >= SOFT_404_MAX:
        return None
    text = _text(body)
    m = _SOFT_404_PAGE.search(text) or (role != "list" and _SOFT_404_ITEM.search(text))
    return m.group(0) if m else None
