"""How we start Chromium: Debian's binary (never a Playwright download), flags that keep it
quiet on a closed network, and the `*.test` → 127.0.0.1 mapping for the sample portal farm.
Used by the crawler (scrapy-playwright), the browser tests and the screenshot script."""
from __future__ import annotations

import os

from crawler.resolver import LOOPBACK, TEST_SUFFIX

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-gpu",
                 f"--host-resolver-rules=MAP *{TEST_SUFFIX} {LOOPBACK}"]


def launch_options() -> dict:
    """Keyword arguments for Playwright's `chromium.launch`."""
    return {"executable_path": CHROMIUM_PATH, "headless": True, "args": list(CHROMIUM_ARGS)}


def available() -> bool:
    return os.path.exists(CHROMIUM_PATH)
