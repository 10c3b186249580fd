"""`/-/search?q=`: full-text search over reports that also finds two-character words.

The indexes and the term logic live in archive/search.py (trigram FTS5 for terms of three or
more characters, a jieba word index for shorter ones, every hit confirmed on the text); this
page only runs it in Datasette's SQL thread and shows titles with a highlighted snippet.
"""
from __future__ import annotations

from datasette.utils.asgi import Response

from archive import search as archive_search
from archive.datasette.common import archive_database, rows


def snippet(text: str | None, q: str, width: int = 48) -> list[tuple[str, bool]]:
    """Pieces of `text` around the first hit of `q`: (text, is_hit); the template escapes."""
    text = text or ""
    i = text.find(q)
    if i < 0:
        return [(text[: width * 2] + ("…" if len(text) > width * 2 else ""), False)]
    start = max(0, i - width)
    return [(("…" if start else "") + text[start:i], False), (q, True),
            (text[i + len(q): i + len(q) + width] + "…", False)]


async def find(db, q: str, limit: int = 100) -> list[dict]:
    """Reports containing every term of `q`, newest year first, with a snippet."""
    found = await db.execute_fn(lambda conn: archive_search.search(conn, q, limit=limit))
    if not found:
        return []
    ids = [r["id"] for r in found]
    bodies = {r["id"]: r for r in await rows(
        db, f"SELECT id, published, body_text FROM reports WHERE id IN ({','.join('?' * len(ids))})",
        ids)}
    first = q.split()[0]
    for r in found:
        extra = bodies.get(r["id"], {})
        r["published"] = extra.get("published")
        r["snippet"] = snippet(extra.get("body_text") or r.get("title"), first)
    return found


async def search_page(datasette, request):
    db = await archive_database(datasette, request)
    q = (request.args.get("q") or "").strip()[:100]
    results = (await find(db, q)) if q else []
    return Response.html(await datasette.render_template(
        "nianbao_search.html", {"q": q, "results": results, "database": db.name},
        request=request, view_name="nianbao_search"))
