"""Security headers for every answer: a Content-Security-Policy without 'unsafe-inline' scripts.

Datasette 0.65 ships a few fixed inline scripts; they are allowed by their sha256 hashes,
computed here from Datasette's own template files, so a script that came in with crawled
content (were it ever unescaped) has no hash and does not run.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import datasette

_TEMPLATES = Path(datasette.__file__).parent / "templates"
_INLINE = re.compile(r"<script>(.*?)</script>", re.S)


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def inline_script_hashes() -> list[str]:
    hashes = []
    for name in ("_codemirror_foot.html", "_close_open_menus.html"):
        path = _TEMPLATES / name
        if path.exists():
            hashes += [_hash(s) for s in _INLINE.findall(path.read_text())]
    # table.html: <script>DATASETTE_ALLOW_FACET = {{ datasette_allow_facet }};</script>
    hashes += [_hash(f"DATASETTE_ALLOW_FACET = {v};") for v in ("true", "false")]
    return hashes


def policy(allow_eval: bool = False) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(inline_script_hashes())
        + (" 'unsafe-eval'" if allow_eval else ""),
        "style-src 'self' 'unsafe-inline'",   # Datasette templates use style="" attributes
        "img-src 'self' data:",
        "object-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def headers(allow_eval: bool = False) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", policy(allow_eval).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"SAMEORIGIN"),
    ]


def wrap(app, allow_eval: bool = False):
    """ASGI middleware adding security headers to every HTTP response that lacks them."""
    HEADERS = headers(allow_eval)

    async def with_headers(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(event):
            if event["type"] == "http.response.start":
                present = {k.lower() for k, _ in event.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                event = {**event, "headers": list(event.get("headers", [])) + extra}
            await send(event)

        await app(scope, receive, send_with_headers)

    return with_headers
