"""`/-/search?q=`: full-text search over reports that also finds two-character words.

The indexes are built by archive/search.py: `reports_fts` (trigram FTS5, terms of three or more
characters) and `reports_seg` (jieba words plus their two-character pieces, for 复议, 公开).
Results come from the small `report_figures` rows (archive/figures.py) so that a word
found in every report still answers quickly; bodies are read only for the snippets shown.
"""
from __future__ import annotations

from datasette.utils.asgi import Response

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


def _term_sql(term: str) -> tuple[str, str]:
    """The id query for one term. Terms of three or more characters use the trigram index;
    two-character terms the word index, whose tokens (jieba words and their two-character
    pieces, archive/search.py) are substrings of the text, so a hit needs no re-check against
    the body (which would read every body on a common word); one character: titles only."""
    if len(term) >= 3:
        return ("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                '"' + term.replace('"', '""') + '"')
    if len(term) == 2:
        return ("SELECT rowid FROM reports_seg WHERE reports_seg MATCH ?",
                '"' + term.replace('"', '""') + '"')
    return "SELECT report_id FROM report_figures WHERE instr(title, ?) > 0", term


async def find(db, q: str, limit: int = 100) -> list[dict]:
    """Reports containing every term of `q`, newest first, with a snippet of the first term."""
    terms = list(dict.fromkeys(t for t in q.split() if t))[:5]
    if not terms:
        return []
    if not await db.table_exists("report_figures"):  # not prepared by `nianbao serve`
        from archive import search as archive_search
        found = await db.execute_fn(lambda conn: archive_search.search(conn, q, limit=limit))
        for r in found:
            r["published"] = None
            r["snippet"] = snippet(r.get("title"), terms[0])
        return found
    parts, params = [], []
    for t in terms:
        sql, arg = _term_sql(t)
        parts.append(sql)
        params.append(arg)
    ids_sql = " INTERSECT ".join(parts)
    found = await rows(db, "SELECT report_id AS id, title, agency, report_year, published, url "
                           f"FROM report_figures WHERE report_id IN ({ids_sql}) "
                           "ORDER BY report_id DESC LIMIT ?", [*params, limit])
    if not found:
        return []
    ids = [r["id"] for r in found]
    bodies = {r["id"]: r["body_text"] for r in await rows(
        db, f"SELECT id, body_text FROM reports WHERE id IN ({','.join('?' * len(ids))})", ids)}
    for r in found:
        r["snippet"] = snippet(bodies.get(r["id"]) or r.get("title"), terms[0])
    return found


async def search_page(datasette, request):
    db = await archive_database(datasette, request)
    q = (request.args.get("q") or "").strip()[:100]
    results = (await find(db, q)) if q else []
    return Response.html(await datasette.render_template(
        "nianbao_search.html", {"q": q, "results": results, "database": db.name},
        request=request, view_name="nianbao_search"))
