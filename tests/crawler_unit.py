"""Helpers for the offline unit tests of the crawler: a Scrapy crawler over a registry and an
archive in a temporary directory, and responses built in the test (no farm, no network)."""
from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from tests.crawl_helpers import write_registry

SOURCE = {"id": "src", "name": "某市 政府信息公开年报", "url": "http://www.example.gov.cn.test/col/col1/index.html",
          "platform": "trs", "render": "static", "region": "浙江省嘉兴市海宁市"}


def settings(tmp: Path, sources: list[dict] | None = None, **extra) -> dict:
    registry = write_registry(tmp / "sources.yml", sources or [SOURCE])
    return {"NIANBAO_DB": str(tmp / "archive.db"), "NIANBAO_WARC_DIR": str(tmp / "warc"),
            "NIANBAO_REGISTRY": str(registry), **extra}


def make_crawler(tmp: Path, spidercls=None, sources: list[dict] | None = None, **extra):
    return get_crawler(spidercls, settings(tmp, sources, **extra))


def html(url: str, body: str | bytes, status: int = 200, meta: dict | None = None,
         headers: dict | None = None) -> HtmlResponse:
    body = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(url, status=status, body=body, encoding="utf-8",
                        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
                        request=Request(url, meta=dict(meta or {})))


def raw(url: str, body: bytes, status: int = 200, meta: dict | None = None, headers: dict | None = None) -> Response:
    return Response(url, status=status, body=body, headers=headers or {}, request=Request(url, meta=dict(meta or {})))
