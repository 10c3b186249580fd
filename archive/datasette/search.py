"""Full-text search over reports that also finds two-character words (复议, 公开).

Two indexes (built by archive/search.py): `reports_fts`, FTS5 trigram over title and body
(exact substrings, but silent for queries shorter than 3 characters), and `reports_seg`, FTS5
over jieba-segmented text (words of any length). Both are keyed by rowid = reports.id. SQL
functions registered on every connection let canned queries build the MATCH expressions.
"""
from __future__ import annotations

import re

from datasette.utils.asgi import Response

from archive.datasette.common import archive_database, rows

_jieba = None


def _cut(q: str) -> list[str]:
    global _jieba
    if _jieba is None:
        import jieba
        jieba.setLogLevel(60)
        _jieba = jieba
    return [w.strip() for w in _jieba.cut_for_search(q) if w.strip()]


def fts_phrase(q: str | None) -> str:
    """A trigram MATCH expression for `q` as one exact phrase (quotes escaped)."""
    q = (q or "").strip()
    return '"' + q.replace('"', '""') + '"'


def seg_query(q: str | None) -> str:
    """A MATCH expression for the segmented index: every word of `q` must occur."""
    words = [w for w in _cut(q or "") if re.search(r"\w", w)]
    if not words:
        return '""'
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))


def register_functions(conn) -> None:
    conn.create_function("nianbao_fts_phrase", 1, fts_phrase, deterministic=True)
    conn.create_function("nianbao_seg_query", 1, seg_query, deterministic=True)


def snippet(text: str | None, q: str, width: int = 48) -> list[tuple[str, bool]]:
    """Pieces of `text` around the first hit of `q`: (text, is_hit); the template escapes."""
    text = text or ""
    i = text.find(q)
    if i < 0:
        return [(text[: width * 2] + ("…" if len(text) > width * 2 else ""), False)]
    start = max(0, i - width)
    return [(("…" if start else "") + text[start:i], False), (q, True),
            (text[i + len(q): i + len(q) + width] + "…", False)]


async def find(db, q: str, limit: int = 100) -> tuple[list[dict], list[str]]:
    """Reports matching `q` and the names of the indexes used."""
    ids: dict[int, None] = {}
    used = []
    if len(q) >= 3 and await db.table_exists("reports_fts"):
        used.append("trigram")
        for r in await rows(db, "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? "
                                "LIMIT ?", [fts_phrase(q), limit]):
            ids[r["rowid"]] = None
    if await db.table_exists("reports_seg"):
        used.append("jieba")
        for r in await rows(db, "SELECT rowid FROM reports_seg WHERE reports_seg MATCH ? "
                                "LIMIT ?", [seg_query(q), limit]):
            ids[r["rowid"]] = None
    if not used:  # no index built yet: a plain scan is still correct, only slower
        used.append("like")
        for r in await rows(db, "SELECT id AS rowid FROM reports WHERE title LIKE ? OR "
                                "body_text LIKE ? LIMIT ?", [f"%{q}%", f"%{q}%", limit]):
            ids[r["rowid"]] = None
    if not ids:
        return [], used
    found = await rows(db, "SELECT id, title, agency, report_year, published, body_text, url "
                           f"FROM reports WHERE id IN ({','.join('?' * len(ids))}) "
                           "ORDER BY report_year DESC, agency", list(ids))
    for r in found:
        r["snippet"] = snippet(r.pop("body_text"), q)
    return found[:limit], used


async def search_page(datasette, request):
    db = await archive_database(datasette, request)
    q = (request.args.get("q") or "").strip()[:100]
    results, used = (await find(db, q)) if q else ([], [])
    return Response.html(await datasette.render_template(
        "nianbao_search.html", {"q": q, "results": results, "used": used, "database": db.name},
        request=request, view_name="nianbao_search"))
