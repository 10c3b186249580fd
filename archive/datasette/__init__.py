"""The nianbao Datasette plugin (registered as the `nianbao` entry point in pyproject.toml).

Routes: `/-/report/<id>` (a report as a reader knows it), `/-/capture/<id>` (archived bytes,
served so they cannot run), `/-/agency/<agency_key>` (one agency across the years),
`/-/search?q=` (search that finds two-character words), `/-/charts` (trends) and
`/-/scorecard` (agencies of a region ranked by their indicators, with `.csv`). Every answer
gets a CSP via `asgi_wrapper`, and CSV downloads a UTF-8 BOM (downloads.py). The index page
opens with the archive's key figures (templates/index.html). metadata.yml describes the
database named `archive`; any other archive file name gets the same descriptions.
"""
from __future__ import annotations

import contextvars
import copy
from functools import lru_cache
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive.datasette import downloads, security
from archive.datasette.agency import agency_page, agency_path
from archive.datasette.capture import capture_bytes
from archive.datasette.charts import charts_page
from archive.datasette.common import archive_database, rows
from archive.datasette.report_page import check_link, report_page
from archive.datasette.scorecard import scorecard_csv, scorecard_page
from archive.datasette.search import search_page
from archive.datasette.sources import source_page, watch_page
from archive.datasette.sqlfunctions import register_functions
from nianbao import canon

METADATA_DB = "archive"   # the database key used in metadata.yml


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/report/(?P<id>[^/]+)$", report_page),
        (r"^/-/check/(?P<id>[^/]+)$", check_link),
        (r"^/-/capture/(?P<id>[^/]+)$", capture_bytes),
        (r"^/-/agency/(?P<key>.+)$", agency_page),
        (r"^/-/search$", search_page),
        (r"^/-/charts$", charts_page),
        (r"^/-/scorecard$", scorecard_page),
        (r"^/-/scorecard\.csv$", scorecard_csv),
        (r"^/-/go/(?P<target>[a-z]+)$", go),
        (r"^/-/source/(?P<id>[^/]+)$", source_page),
        (r"^/-/watch$", watch_page),
    ]


_GO = {"overview": "/report_overview", "failing": "/checks?status=fail&is_current=1",
       "queries": "#queries", "reports": "/reports", "figures": "/report_figures",
       "agencies": "/agencies?q="}


async def go(datasette, request):
    """Stable links for metadata.yml that work whatever the archive file is called."""
    target = _GO.get(request.url_vars["target"])
    if target is None:
        raise NotFound("unknown link")
    db = await archive_database(datasette, request)
    return Response.redirect(datasette.urls.database(db.name) + target)


def _vega_enabled(datasette) -> bool:
    return bool((datasette.plugin_config("nianbao") or {}).get("vega"))


@hookimpl
def asgi_wrapper(datasette):
    allow_eval = _vega_enabled(datasette)
    return lambda app: security.wrap(downloads.wrap(app), allow_eval=allow_eval)


@hookimpl
def startup(datasette):
    """datasette-vega 0.6.2 evaluates strings as code when its bundle loads, which our CSP
    forbids (every page would log an error). Unless metadata.yml sets `plugins.nianbao.vega:
    true` (which also relaxes the CSP with 'unsafe-eval'), it is left out; /-/charts draws the
    trends without script."""
    if not _vega_enabled(datasette):
        from datasette.plugins import pm
        vega = pm.get_plugin("vega")
        if vega is not None:
            pm.unregister(vega)


@hookimpl
def prepare_connection(conn, database, datasette):
    register_functions(conn)


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins("nianbao", "nianbao.css")]


@hookimpl
def menu_links(datasette, actor, request):
    return [
        {"href": datasette.urls.path("/-/search"), "label": "全文搜索 Search"},
        {"href": datasette.urls.path("/-/go/agencies"), "label": "机构 Agencies"},
        {"href": datasette.urls.path("/-/charts"), "label": "趋势图 Charts"},
        {"href": datasette.urls.path("/-/watch"), "label": "催报 Overdue reports"},
        {"href": datasette.urls.path("/-/scorecard"), "label": "评分表 Scorecard"},
    ]


_REPORT_LINK_TABLES = {"reports", "report_overview"}


_AGENCY_COLUMNS = {"agency", "agency_display"}
_HEALTH_TABLES = {"source_health", "source_health_latest"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Report titles link to the report page, agency names (in rows that carry their
    agency_key) to the agency page; whole-number REAL counts show as integers. Text stays
    escaped."""
    if isinstance(value, float):
        # report_figures and the wide views store counts as REAL (SUM over cells.value).
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else None
    if value is None or not isinstance(value, str):
        return None
    keys = row.keys()
    if column == "source_id" and (table in _HEALTH_TABLES or table is None and "status" in keys):
        # a source's health rows (and the canned query over them) lead to its page (/-/source/<id>)
        href = datasette.urls.path("/-/source/" + quote(value, safe=""))
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column in _AGENCY_COLUMNS and "agency_key" in keys and isinstance(row["agency_key"], str) \
            and row["agency_key"]:
        href = agency_path(datasette, row["agency_key"])
        return Markup('<a class="agency" href="{}">{}</a>').format(href, value)
    if column != "title":
        return None
    rid = None
    if table in _REPORT_LINK_TABLES and "id" in keys:
        rid = row["id"]
    elif "report_id" in keys:
        rid = row["report_id"]
    elif table is None and "id" in keys and "report_year" in keys:
        rid = row["id"]
    if not isinstance(rid, int):
        return None
    href = datasette.urls.path(f"/-/report/{rid}")
    return Markup('<a href="{}">{}</a>').format(href, escape(str(value)))


@hookimpl
def extra_template_vars(template, database, view_name, request, datasette):
    """The archive's key figures for the index page (templates/index.html)."""
    if view_name != "index":
        return {}

    async def inner():
        return {"nianbao_facts": await facts(datasette)}
    return inner


async def facts(datasette) -> dict | None:
    """Counts a researcher asks first: reports, agencies, years, portals, failing checks."""
    db = None
    for name, candidate in datasette.databases.items():
        if not name.startswith("_") and await candidate.table_exists("reports"):
            db = candidate
            break
    if db is None:
        return None
    out = {"database": db.name, "figures": await db.table_exists("report_figures")}
    if out["figures"]:
        row = (await rows(db, "SELECT COUNT(*) AS reports, SUM(counted) AS counted, "
                              "COUNT(DISTINCT agency_key) AS agencies, "
                              "COUNT(DISTINCT report_year) AS years, MIN(report_year) AS first_year, "
                              "MAX(report_year) AS last_year, SUM(failing_checks > 0) AS failing_reports, "
                              "SUM(failing_checks) AS failing_checks, SUM(late) AS late, "
                              "SUM(has_tables) AS with_tables FROM report_figures"))[0]
    else:
        row = (await rows(db, "SELECT COUNT(*) AS reports, COUNT(DISTINCT agency_key) AS agencies, "
                              "COUNT(DISTINCT report_year) AS years, MIN(report_year) AS first_year, "
                              "MAX(report_year) AS last_year FROM reports"))[0]
        row["failing_checks"] = (await rows(
            db, "SELECT COUNT(*) AS n FROM checks WHERE status = 'fail' AND is_current = 1"))[0]["n"]
    out.update({k: int(v) if isinstance(v, float) else v for k, v in row.items()})
    out["portals"] = (await rows(db, "SELECT COUNT(*) AS n FROM sources"))[0]["n"]
    return out


_WIDE_COMMON = {
    "report_id": "报告编号（/-/report/<id>）", "version_id": "版本编号（当前版本）",
    "agency": "报告机构", "report_year": "报告年度", "format": "表格格式",
    "row_key": "规范行键", "report_url": "原文地址",
}


@lru_cache(maxsize=1)
def wide_view_columns() -> dict:
    """Column descriptions of t2_wide/t3_wide/t4_wide: the official header of each column."""
    tables = {}
    for tbl in canon.TABLES:
        cols = {k.key.replace(".", "_"): k.label for k in canon.COLS[tbl]}
        tables[f"{tbl}_wide"] = {"columns": {**_WIDE_COMMON, **cols}}
    return tables


_reading_metadata: contextvars.ContextVar[bool] = contextvars.ContextVar("nianbao_metadata", default=False)


@hookimpl
def get_metadata(datasette, key, database, table):
    """Labels from canon.py for the wide views, and the `archive` block of metadata.yml for
    an archive file with another name (demo.db…)."""
    if database and database.startswith("_") or _reading_metadata.get():
        return {}
    # The public datasette.metadata() calls this hook again: the flag makes that call see only
    # the metadata file and the other plugins, which is what we read here.
    token = _reading_metadata.set(True)
    try:
        local = datasette.metadata() or {}
    finally:
        _reading_metadata.reset(token)
    dbs = local.get("databases") or {}
    block = dbs.get(METADATA_DB) or {}
    names = [database] if database else [n for n in datasette.databases if not n.startswith("_")]
    out = {}
    for name in names:
        # Fresh copies: Datasette merges metadata sources by mutating them in place.
        views = copy.deepcopy(wide_view_columns())
        entry = {"tables": views}
        if block and name != METADATA_DB and name not in dbs:
            entry = copy.deepcopy(block)
            tables = entry.setdefault("tables", {})
            for view, meta in views.items():
                tables[view] = {**tables.get(view, {}), **meta}
        out[name] = entry
    return {"databases": out}
