"""The nianbao Datasette plugin (registered as the `nianbao` entry point in pyproject.toml).

Routes: `/-/report/<id>` (a report as a reader knows it), `/-/capture/<id>` (archived bytes,
served so they cannot run), `/-/search?q=` (search that finds two-character words) and
`/-/charts` (trends). Every answer gets a CSP via `asgi_wrapper`. metadata.yml describes the
database named `archive`; any other archive file name gets the same descriptions.
"""
from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from archive.datasette import security
from archive.datasette.capture import capture_bytes
from archive.datasette.charts import charts_page
from archive.datasette.report_page import report_page
from archive.datasette.search import register_functions, search_page

METADATA_DB = "archive"   # the database key used in metadata.yml


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/report/(?P<id>[^/]+)$", report_page),
        (r"^/-/capture/(?P<id>[^/]+)$", capture_bytes),
        (r"^/-/search$", search_page),
        (r"^/-/charts$", charts_page),
    ]


@hookimpl
def asgi_wrapper(datasette):
    return security.wrap


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
        {"href": datasette.urls.path("/-/charts"), "label": "趋势图 Charts"},
    ]


_REPORT_LINK_TABLES = {"reports", "report_overview"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Report titles link to the report page; text stays escaped."""
    if value is None or column != "title":
        return None
    keys = row.keys()
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
def get_metadata(datasette, key, database, table):
    """Give an archive file with another name (demo.db…) the `archive` descriptions."""
    if not database or database == METADATA_DB or database.startswith("_"):
        return {}
    local = datasette._metadata_local or {}
    dbs = local.get("databases") or {}
    block = dbs.get(METADATA_DB)
    if not block or database in dbs:
        return {}
    return {"databases": {database: block}}
