"""`/-/search?q=`: full-text search over reports that also finds two-character words.

One index, `reports_seg` (archive/search.py), finds terms of every length: a term is the
phrase of its two-character pieces (复议, 行政复议), one character a prefix query.
Results come from the small `report_figures` rows (archive/figures.py) so that a word
found in every report still answers quickly; bodies are read only for the snippets shown.

Parameters: `q` (terms separated by spaces, all required), `year`, `region` (part of the
name), `agency` (an agency key or part of the display name), `sort` (`relevance`, the FTS5
bm25 score with title hits weighted ×10, or `newest`), `page` and `size` (20 a page, at
most 100). The count is
the true number of matching reports, not capped.
"""
from __future__ import annotations

from urllib.parse import urlencode

from datasette.utils.asgi import NotFound, Response

from archive import search as archive_search
from archive.datasette.capture import parse_id
from archive.datasette.common import archive_database, rows

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_TERMS = 5


def _terms_sql(terms: list[str]) -> tuple[str, list]:
    """(SELECT id, score …, its arguments) for all the terms at once: one MATCH of the phrases of
    their pieces joined by AND in `reports_seg` (archive/search.py). One query, because a join
    of one FTS query per term costs seconds when the terms are common (复议 不予公开 on 100k
    reports: 10 s joined, 0.15 s as one MATCH). A term of CJK ideographs and digits is found
    exactly by the index; one with letters (the index folds case) or punctuation is re-checked
    with instr on the report. A term with no letter, digit or ideograph (%, ——) is looked for
    in titles only. The score is bm25 (smaller is better), title weighted ×10."""
    exprs = [(t, archive_search.match_expr(t)) for t in terms]
    indexed = [(t, e) for t, e in exprs if e is not None]
    titles_only = [t for t, e in exprs if e is None]
    if indexed:
        sql = ("SELECT rowid AS id, bm25(reports_seg, 10.0, 1.0) AS score FROM reports_seg "
               "WHERE reports_seg MATCH ?")
        params: list = [" AND ".join(e for _, e in indexed)]
        recheck = [t for t, _ in indexed if not archive_search.exact(t)]
    else:
        sql, params, recheck = "SELECT report_id AS id, 0.0 AS score FROM report_figures", [], []
    if not recheck and not titles_only:
        return sql, params
    conds = ["(instr(r.title, ?) > 0 OR instr(r.body_text, ?) > 0)"] * len(recheck)
    conds += ["instr(r.title, ?) > 0"] * len(titles_only)
    for t in recheck:
        params += [t, t]
    params += titles_only
    return (f"SELECT s.id, s.score FROM ({sql}) s JOIN reports r ON r.id = s.id WHERE "
            + " AND ".join(conds)), params


def parse_terms(q: str) -> list[str]:
    return list(dict.fromkeys(t for t in q.split() if t))[:MAX_TERMS]


def filters(args: dict) -> tuple[str, list]:
    """SQL conditions on report_figures `f` for the year, region and agency filters."""
    where, params = [], []
    year = (args.get("year") or "").strip()
    if year:
        if not year.isdigit() or len(year) != 4:
            raise NotFound("年度无效")
        where.append("f.report_year = ?")
        params.append(int(year))
    if (args.get("region") or "").strip():
        where.append("instr(f.region, ?) > 0")
        params.append(args["region"].strip())
    if (args.get("agency") or "").strip():
        where.append("(f.agency_key = ? OR instr(f.agency_display, ?) > 0)")
        params += [args["agency"].strip()] * 2
    return "".join(f" AND {w}" for w in where), params


def search_sql(terms: list[str], where: str, count: bool, newest: bool) -> tuple[str, list]:
    found, params = _terms_sql(terms)
    head = f"WITH t AS ({found}) "
    body = f"FROM t JOIN report_figures f ON f.report_id = t.id WHERE 1{where}"
    if count:
        return head + "SELECT COUNT(*) AS n " + body, params
    order = ("f.report_year DESC, f.report_id DESC" if newest
             else "t.score, f.report_year DESC, f.report_id DESC")
    return (head + "SELECT f.report_id AS id, f.title, f.agency, f.agency_display, f.agency_key, "
            f"f.report_year, f.published, f.url, f.kind, f.region, t.score AS score "
            f"{body} ORDER BY {order} LIMIT ? OFFSET ?"), params


async def find(db, q: str, args: dict | None = None, page: int = 1,
               page_size: int = PAGE_SIZE) -> tuple[int, list[dict]]:
    """(number of matching reports, the reports of page `page`) for `q` and the filters."""
    args = args or {}
    terms = parse_terms(q)
    if not terms:
        return 0, []
    offset = (page - 1) * page_size
    if not await db.table_exists("report_figures"):  # an archive not prepared by a crawl
        found = await db.execute_fn(lambda conn: archive_search.search(conn, q))
        total, shown = len(found), found[offset: offset + page_size]
        for r in shown:
            r["published"] = None
            r["agency_display"] = r["agency"]
    else:
        where, fparams = filters(args)
        newest = args.get("sort") == "newest"
        sql, params = search_sql(terms, where, count=True, newest=newest)
        total = (await rows(db, sql, params + fparams))[0]["n"]
        sql, params = search_sql(terms, where, count=False, newest=newest)
        shown = await rows(db, sql, params + fparams + [page_size, offset]) if offset < total else []
    if shown:
        ids = [r["id"] for r in shown]
        bodies = {r["id"]: r["body_text"] for r in await rows(
            db, f"SELECT id, body_text FROM reports WHERE id IN ({','.join('?' * len(ids))})", ids)}
        for r in shown:
            r["snippets"] = archive_search.snippets(bodies.get(r["id"]), terms)
            r["title_hit"] = any(t in (r.get("title") or "") for t in terms)
    return total, shown


async def search_page(datasette, request):
    db = await archive_database(datasette, request)
    q = (request.args.get("q") or "").strip()[:100]
    page = parse_id(request.args.get("page") or "1")
    size = parse_id(request.args.get("size") or str(PAGE_SIZE))
    if page is None or size is None or size > MAX_PAGE_SIZE:
        raise NotFound("页码无效")
    args = {k: (request.args.get(k) or "").strip()[:100]
            for k in ("year", "region", "agency", "sort")}
    total, results = (await find(db, q, args, page, size)) if q else (0, [])
    pages = max(1, -(-total // size))
    keep = {k: v for k, v in {"q": q, **args}.items() if v}
    if size != PAGE_SIZE:
        keep["size"] = size

    def page_url(n: int) -> str:
        return datasette.urls.path("/-/search") + "?" + urlencode({**keep, "page": n})

    years = []
    if await db.table_exists("report_figures"):
        years = [r["report_year"] for r in await rows(
            db, "SELECT DISTINCT report_year FROM report_figures WHERE report_year IS NOT NULL "
                "ORDER BY report_year DESC")]
    context = {
        "q": q, "results": results, "total": total, "page": page, "pages": pages,
        "first": (page - 1) * size + 1, "args": args, "years": years,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "database": db.name,
    }
    return Response.html(await datasette.render_template(
        "nianbao_search.html", context, request=request, view_name="nianbao_search"))
