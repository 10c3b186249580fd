"""Adversarial behaviour shared by the portals (docs/adapters.md): anti-bot challenges, throttling,
robots.txt variants, soft errors, lying charsets. Each is a small function returning a Resp.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import defaultdict, deque

from farm.portals.base import Req, Resp, html_resp, redirect

# ------------------------------------------------------------------ robots.txt variants
ROBOTS_PERMISSIVE = "User-agent: *\nDisallow: /protect/\n"
ROBOTS_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
ROBOTS_CRAWL_DELAY = "User-agent: *\nCrawl-delay: 2\nDisallow: /web/admin/\n"


def robots(kind: str) -> Resp:
    """missing (404) | html (200 HTML error page) | permissive | disallow_all | crawl_delay."""
    if kind == "missing":
        return html_resp("<html><body><h1>404 Not Found</h1></body></html>", 404)
    if kind == "html":
        return html_resp("<!DOCTYPE html><html><head><title>错误页面</title></head><body>"
                         "<div class=\"error\">对不起，您访问的页面不存在或已删除！</div></body></html>")
    text = {"permissive": ROBOTS_PERMISSIVE, "disallow_all": ROBOTS_DISALLOW_ALL,
            "crawl_delay": ROBOTS_CRAWL_DELAY}[kind]
    return Resp(body=text, ctype="text/plain")


# ------------------------------------------------------------------ anti-bot challenges
RUISHU_COOKIE_S = "X5mockS"
RUISHU_COOKIE_T = "X5mockT"


def ruishu_412(req: Req) -> Resp:
    """Ruishu-like challenge: 412 + $_ts bootstrap; the T cookie needs a JS engine, so it never passes."""
    seed = hashlib.sha256(req.path.encode()).hexdigest() * 4
    body = (f"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
            f"<meta id=\"mXq7Ba\" content=\"{seed[:200]}\" r='m'>"
            "<script r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;"
            f"$_ts.cd=\"{seed[:120]}\";</script>"
            "<script type=\"text/javascript\" charset=\"utf-8\" src=\"/aBcD/eFgH.b4c45da.js\" r='m'></script>"
            "</head><body><script type=\"text/javascript\" r='m'>$_ts.l__(1);</script></body></html>")
    return Resp(status=412, body=body, headers=[("Set-Cookie", f"{RUISHU_COOKIE_S}={seed[:40]}; Path=/; HttpOnly")])


def ruishu_gate(req: Req) -> Resp | None:
    if RUISHU_COOKIE_T in req.cookies and req.cookies.get(RUISHU_COOKIE_T) == "computed-by-js":
        return None  # unreachable for a crawler without a JS engine: no page ever sets this value
    return ruishu_412(req)


JSL_COOKIE = "__jsl_clearance_s"


def jsl_value(path: str) -> str:
    return "1700000000.123|0|" + hashlib.md5(path.encode()).hexdigest()


def jsl_gate(req: Req, solvable: bool) -> Resp | None:
    """加速乐 521. The solvable variant states the cookie literally, so a middleware can copy it."""
    want = jsl_value(req.path)
    if solvable and req.cookies.get(JSL_COOKIE) == want:
        return None
    value = want if solvable else "' + (function(){return Math.random().toString(36)})() + '"
    body = (f"<script>document.cookie='{JSL_COOKIE}={value};max-age=3600;path=/';"
            "location.href=location.pathname+location.search</script>")
    return Resp(status=521, body=body, headers=[("Set-Cookie", f"__jsluid_h={want[-16:]}; Path=/")])


def wangfang_403(req: Req) -> Resp:
    event = uuid.uuid5(uuid.NAMESPACE_URL, req.host + req.path)
    body = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>403</title></head><body>"
            "<div class=\"wzws\"><h2>您的访问请求可能对网站造成安全威胁，请求已被拦截</h2>"
            f"<p>网防G01 安全防护</p><p>eventID: {event}</p></div></body></html>")
    return Resp(status=403, body=body, headers=[("Set-Cookie", "wzws_sessionid=gA1b2c3d4e5f; Path=/")])


# ------------------------------------------------------------------ throttling
class Throttle:
    """More than `rate` requests in any 1-second window from one client to one host → 403
    访问过于频繁 until `penalty` seconds have passed without a new burst."""

    def __init__(self, rate: int = 5, penalty: float = 2.0):
        self.rate, self.penalty = rate, penalty
        self.hits: dict[str, deque] = defaultdict(deque)
        self.until: dict[str, float] = {}
        self.lock = threading.Lock()
        self.enabled = True

    def check(self, req: Req) -> Resp | None:
        if not self.enabled:
            return None
        now = time.monotonic()
        who = (req.client, req.host)
        with self.lock:
            q = self.hits[who]
            q.append(now)
            while q and q[0] < now - 1.0:
                q.popleft()
            if self.until.get(who, 0) > now:
                return throttled()
            if len(q) > self.rate:
                self.until[who] = now + self.penalty
                return throttled()
        return None


def throttled() -> Resp:
    return html_resp("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>访问受限</title></head>"
                     "<body><h2>访问过于频繁，请稍后再试。</h2></body></html>", 403)


# ------------------------------------------------------------------ soft errors
def soft_404() -> Resp:
    return html_resp("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>提示信息</title></head>"
                     "<body><div class=\"error-page\"><p>您访问的页面不存在或已被删除！</p>"
                     "<a href=\"/\">返回首页</a></div></body></html>", 200)


def removed_column() -> Resp:
    return redirect("/", 301)


def js_redirect_shell(target: str) -> Resp:
    return html_resp(f"<html><head><script>location.replace('{target}')</script></head><body></body></html>")


def directory_403() -> Resp:
    return html_resp("<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1>"
                     "<p>You don't have permission to access this resource.</p></body></html>", 403)


def pdf_error_page() -> Resp:
    """An error page served as 200 under a .pdf URL (magic-byte trap)."""
    return Resp(status=200, body="<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>系统提示</title></head>"
                "<body><p>文件下载失败：附件不存在或已过期，请联系网站管理员。</p></body></html>",
                ctype="text/html")


def gbk_page(text: str, header_charset: bool = False) -> Resp:
    """GBK bytes; header without charset unless asked (the meta in the page says gb2312)."""
    data = text.replace("charset=utf-8", "charset=gb2312").encode("gb18030")
    return Resp(body=data, ctype="text/html; charset=GBK" if header_charset else "text/html")


def lying_meta_page(text: str) -> Resp:
    """UTF-8 bytes whose meta claims gb2312, header without charset."""
    return Resp(body=text.replace("charset=utf-8", "charset=gb2312").encode("utf-8"), ctype="text/html")
