"""Links a page shows after its scripts ran in real Chromium (farm list pages are JS-built)."""
from __future__ import annotations

import asyncio

import pytest

from crawler import browser as chromium


def rendered_links(urls: dict[str, str], wait_ms: int = 2500,
                   selector: str = "a[href]") -> dict[str, set[str]]:
    """{name: url} → {name: absolute hrefs matching `selector` once the page settled}."""
    if not chromium.available():
        pytest.skip("Debian chromium not installed")
    from playwright.async_api import async_playwright

    async def run():
        got = {}
        async with async_playwright() as p:
            b = await p.chromium.launch(**chromium.launch_options())
            pg = await b.new_page()
            for name, url in urls.items():
                await pg.goto(url)
                await pg.wait_for_timeout(wait_ms)
                got[name] = set(await pg.eval_on_selector_all(selector, "els => els.map(e => e.href)"))
            await b.close()
        return got

    return asyncio.run(run())
