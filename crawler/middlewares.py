"""Downloader middlewares: every response and failure becomes a `captures` row (+ WARC record)."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from crawler import antibot
from crawler.runstate import RunState


def _headers(h) -> list[tuple[str, str]]:
    out = []
    for k, vs in h.items():
        for v in vs:
            out.append((k.decode("latin-1"), v.decode("utf-8", "replace")))
    return out


class CaptureMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        state = RunState.of(self.crawler)
        blocked = antibot.detect(response.status, response.body)
        if response.status == 304:
            outcome = "not_modified"
        elif blocked:
            outcome = "blocked"
        elif response.status >= 400:
            outcome = "error"
        else:
            outcome = "ok"
        rendered = "playwright" in response.flags or bool(request.meta.get("playwright"))
        capture = state.archive.add_capture(
            run_id=state.run_id, source_id=request.meta.get("source_id"), url=request.url,
            final_url=response.url, status=response.status,
            headers=_headers(response.headers), body=response.body if outcome != "not_modified" else None,
            request_headers=_headers(request.headers), method=request.method, rendered=rendered,
            outcome=outcome, error=f"blocked: {blocked}" if blocked else
            (f"HTTP {response.status}" if outcome == "error" else None),
            role=request.meta.get("role"), referer=request.headers.get("Referer", b"").decode() or None)
        request.meta["capture_id"] = capture.id
        request.meta["outcome"] = outcome
        request.meta["blocked"] = blocked
        state.counters[f"outcome/{outcome}"] += 1
        if rendered:
            state.counters["rendered_pages"] += 1
        return response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, IgnoreRequest):
            return None
        state = RunState.of(self.crawler)
        text = f"{type(exception).__name__}: {exception}"
        outcome = "too_large" if "maxsize" in text.lower() or "max size" in text.lower() else "error"
        capture = state.archive.add_capture(
            run_id=state.run_id, source_id=request.meta.get("source_id"), url=request.url,
            request_headers=_headers(request.headers), method=request.method,
            rendered=bool(request.meta.get("playwright")), outcome=outcome, error=text,
            role=request.meta.get("role"))
        request.meta["capture_id"] = capture.id
        state.counters[f"outcome/{outcome}"] += 1
        return None
