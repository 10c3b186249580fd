"""The `nianbao` command: everything a user can do, each with --help."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

DEFAULT_DB = "data/archive.db"
DEMO_DB = "data/demo.db"
DEFAULT_REGISTRY = "sources.yml"


class Refused(click.ClickException):
    """A one-line `Error: ...` and exit code 2: bad arguments, registry or archive, no traceback."""
    exit_code = 2


def _existing_archive(ctx, param, value: str) -> str:
    """Commands that read an archive must not create an empty one from a mistyped path, nor
    stumble over a damaged file half-way: it must open and hold the archive's tables."""
    import sqlite3

    path = Path(value)
    if not path.is_file():
        raise Refused(f"no archive at {value} (crawl into it first, or check the path)")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise Refused(f"{value} is not a SQLite archive")
    from archive.schema import open_db
    try:
        db = open_db(path, readonly=True)   # read-only: checking never migrates or writes
        try:
            tables = set(db.table_names())
            if {"reports", "schema_version"} <= tables:
                next(db["reports"].rows_where(limit=1), None)   # reads the table's root page
        finally:
            db.conn.close()
    except sqlite3.DatabaseError as e:
        raise Refused(f"{value} is a damaged SQLite file ({e}); restore it from a backup") from None
    if not {"reports", "schema_version"} <= tables:
        raise Refused(f"{value} is a SQLite file but not a nianbao archive (no reports table)")
    return value


def _registry(path: str, only: tuple[str, ...] = (), need_enabled: bool = False):
    """The sources of the registry, or one line and exit code 2 (crawler/registry.py)."""
    from crawler import registry as reg
    try:
        found = reg.load(path)
    except reg.RegistryError as e:
        raise Refused(str(e)) from None
    if only:
        unknown = sorted(set(only) - {s.id for s in found})
        if unknown:
            raise Refused(f"{path}: unknown source ids: {', '.join(unknown)}")
        found = [s for s in found if s.id in only]
    if need_enabled and not any(s.enabled for s in found):
        which = f"of {', '.join(only)} " if only else ""
        raise Refused(f"{path}: no enabled source {which}to crawl (set `enabled: true`)")
    return found


def _not_yet(what: str):
    click.echo(f"nianbao: {what} is not implemented yet.", err=True)
    sys.exit(3)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main():
    """nianbao — an open archive of 政府信息公开工作年度报告 (government information
    disclosure annual reports): crawl portals, keep every byte, extract the tables, check them,
    publish with Datasette."""


# ---------------------------------------------------------------- crawl
def crawl_settings(db: str, registry: str, only: tuple[str, ...] = (), log_level: str | None = None,
                   polite: bool = True, extra: dict | None = None):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DB", db, priority="cmdline")
    settings.set("NIANBAO_REGISTRY", registry, priority="cmdline")
    if only:
        settings.set("NIANBAO_ONLY", ",".join(only), priority="cmdline")
    if log_level:
        settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if not polite:  # benchmarks against the local farm only
        for k, v in {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                     "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "ROBOTSTXT_OBEY": False}.items():
            settings.set(k, v, priority="cmdline")
    for k, v in (extra or {}).items():
        settings.set(k, v, priority="cmdline")
    return settings


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="Archive SQLite file.")
@click.option("--registry", default=DEFAULT_REGISTRY, show_default=True,
              help="Source registry (YAML) listing the 年报 columns to crawl.")
@click.option("--source", "only", multiple=True, help="Crawl only this source id (repeatable).")
@click.option("--log-level", default=None, help="Scrapy log level (DEBUG, INFO, WARNING).")
@click.option("--impolite", is_flag=True, hidden=True, help="No throttling (local benchmarks only).")
@click.option("-s", "--set", "extra", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting.")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Distributed mode: Redis (redis://host:port/db) holding the shared queue and dupefilter.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="With --redis: worker processes to start here (all write into --db).")
@click.option("--worker", "join", is_flag=True,
              help="With --redis: join the distributed crawl in progress as one more worker.")
@click.option("--progress/--no-progress", default=None,
              help="Print a progress line to stderr every 100 pages or 30 s (default: when stderr is a terminal).")
@click.option("--due", is_flag=True,
              help="Only the sources due by their schedule (cron) or the default policy: daily 1 Jan – 30 Apr, "
                   "weekly otherwise (README, Running on a schedule). Nothing due: says so, exit 0.")
@click.option("--notify", "notify_url", default=None, metavar="URL",
              help="POST a JSON summary of the run (unhealthy sources, new findings) to this webhook afterwards "
                   "(default: the registry's notify: setting). A failed POST is reported, the exit code stays.")
@click.option("--notify-cmd", default=None, metavar="CMD",
              help="Run CMD with the same JSON summary on stdin after the run (docs/operations.md).")
@click.option("--remote", is_flag=True,
              help="With --worker: this machine has no access to the archive; send everything to its writer "
                   "(`nianbao ingest`) through Redis (docs/operations.md).")
def crawl(db, registry, only, log_level, impolite, extra, redis_url, workers, join, progress, due,
          notify_url, notify_cmd, remote):
    """Crawl the 年报 columns of the registry into the archive (incremental, resumable).

    Exit code: 0 every source was read completely and is healthy; 1 the crawl ran but a source
    was incomplete (blocked, unreachable, list errors), not healthy (`nianbao sources health`) or
    items failed; 2 bad arguments or registry; 3 the run
    did not finish; 4 another crawl of the same --db is running (one at a time per archive).

    With --redis, several worker processes share one queue (see README, Distributed crawling)."""
    from scrapy.crawler import CrawlerProcess

    bad = [e for e in extra if "=" not in e]
    if bad:
        raise Refused(f"-s takes NAME=VALUE, not {bad[0]!r}")
    overrides = dict(e.split("=", 1) for e in extra)
    if due and join:
        raise Refused("--due chooses the sources of a crawl; a joining --worker takes the coordinator's")
    if remote and not (join and redis_url):
        raise Refused("--remote goes with --redis URL --worker (a worker without the archive)")
    if remote:
        overrides["NIANBAO_REMOTE_WORKER"] = True
    if not join:   # a joining worker learns what to crawl from the coordinator
        found = _registry(registry, only, need_enabled=True)
        from cli.schedule import due_only, take_lock
        take_lock(db)   # one crawl per archive: exit 4 when another holds it (cli/schedule.py)
        if due:
            only = due_only(db, found)
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        overrides.setdefault("NIANBAO_PROGRESS", True)
    settings = crawl_settings(db, registry, only, log_level, polite=not impolite, extra=overrides)
    if redis_url:
        _crawl_distributed(settings, redis_url, workers, join, db, registry, only, log_level, impolite, extra,
                           notify=(notify_url, notify_cmd))
        return
    process = CrawlerProcess(settings)   # root log handler: LOG_INSTALL_ROOT_HANDLER (default on)
    process.crawl("nianbao")
    process.start()
    from archive.overview import last_run, run_verdict
    code, line = run_verdict(last_run(db))
    click.echo(f"crawl: {line}; archive: {db}")
    from cli.notify import after_crawl
    after_crawl(db, registry, notify_url, notify_cmd, code, line, lambda m: click.echo(m, err=True))
    sys.exit(code)


def _crawl_distributed(settings, redis_url, workers, join, db, registry, only, log_level, impolite, extra,
                       notify=(None, None)):
    from crawler import distributed
    try:
        if join:
            distributed.run_worker(settings, redis_url)
            return
        cmd = [sys.executable, "-m", "cli.main", "crawl", "--db", db, "--registry", registry,
               "--redis", redis_url, "--worker", *[a for sid in only for a in ("--source", sid)],
               *(["--log-level", log_level] if log_level else []), *(["--impolite"] if impolite else []),
               *[a for e in extra for a in ("-s", e)]]
        summary = distributed.coordinate(settings, redis_url, workers, cmd, echo=click.echo)
    except (RuntimeError, OSError, distributed.redis.RedisError) as e:   # no Redis, nothing to join, busy
        click.echo(f"nianbao crawl: {e}", err=True)
        sys.exit(2)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    click.echo(f"crawl {summary['status']}; archive: {db}")
    from archive.overview import last_run, run_verdict
    from cli.notify import after_crawl
    code, line = run_verdict(last_run(db))
    code = 1 if summary["status"] != "finished" else code   # a finished run with unhealthy sources: 1 too
    after_crawl(db, registry, *notify, code, line, lambda m: click.echo(m, err=True))
    if code:
        sys.exit(code)


# ---------------------------------------------------------------- extract
def _read_input(target: str) -> tuple[bytes, str | None, dict]:
    if target.startswith(("http://", "https://")):
        import urllib.request

        from crawler.settings import USER_AGENT
        req = urllib.request.Request(target, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read(), resp.geturl(), {k.lower(): v for k, v in resp.headers.items()}
    return Path(target).read_bytes(), None, {}


@main.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the extract JSON (the contract shape).")
@click.option("--no-cells", is_flag=True, help="Leave out the per-cell list (shorter output).")
def extract(target, as_json, no_cells):
    """Extract one report (file or URL: HTML, text, PDF, DOCX, DOC, XLS, XLSX) to canonical
    cells and run the within-report checks. Exit code 2 when the input cannot be read."""
    from archive.checks import report_checks
    from pipelines.extract.document import extract_document

    try:
        data, url, headers = _read_input(target)
    except (OSError, ValueError) as e:
        doc = {"error": {"code": "unreadable_input", "message": str(e)}}
    else:
        doc = extract_document(data, url or target, headers)
        if not doc.get("error"):
            doc["checks"] = report_checks(doc)
    if no_cells:
        doc.pop("cells", None)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        if doc.get("error"):
            click.echo(f"error: {doc['error'].get('code')}: {doc['error'].get('message')}", err=True)
        else:
            click.echo(f"{doc.get('title')}\n  agency {doc.get('agency')}, year {doc.get('report_year')}, "
                       f"format {doc.get('format')}, published {doc.get('published')}")
            for t, rows in (doc.get("tables") or {}).items():
                n = sum(len(c) for c in rows.values())
                click.echo(f"  {t}: {len(rows)} rows, {n} cells")
            bad = [c for c in doc.get("checks", []) if c.get("status") == "fail"]
            click.echo(f"  checks: {len(doc.get('checks', []))}, failing: {len(bad)}")
    sys.exit(2 if doc.get("error") else 0)


# ---------------------------------------------------------------- reextract / export
@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, callback=_existing_archive,
              help="Archive SQLite file (must exist).")
@click.option("--since-version", default=None,
              help="Only captures whose current extraction is older than this extractor version.")
@click.option("--processes", default=2, show_default=True, help="Extraction worker processes.")
def reextract(db, since_version, processes):
    """Re-run extraction and checks from the archived WARC bytes (no network)."""
    try:
        from pipelines.reextract import reextract as run
    except ImportError:
        _not_yet("reextract")
    import sqlite3
    try:
        stats = run(db, since_version=since_version, processes=processes)
    except sqlite3.DatabaseError as e:   # damage past the pages the opening check reads
        raise Refused(f"{db} is a damaged SQLite file ({e}); restore it from a backup") from None
    click.echo(json.dumps(stats, ensure_ascii=False, indent=2))


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, callback=_existing_archive,
              help="Archive SQLite file (must exist).")
@click.option("--out", "out_dir", default="data/export", show_default=True, help="Output folder.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["csv", "jsonl", "parquet"]),
              help="Formats of the views [default: csv, jsonl]; with --package one format [default: csv].")
@click.option("--package", is_flag=True,
              help="A Frictionless Data Package (datapackage.json): reports, cells, checks, scorecard, provenance.")
@click.option("--report", "report_id", type=int, default=None, help="With --bundle: the report id to bundle.")
@click.option("--bundle", "bundle_dir", default=None,
              help="Write the report's citation bundle here: JSON and its original bytes, sha256-verified.")
def export(db, out_dir, formats, package, report_id, bundle_dir):
    """Export the wide views (t2/t3/t4, report overview) to CSV and JSON Lines, a data package
    (--package), or one report's provenance bundle (--report ID --bundle DIR)."""
    try:
        from archive.export import run
    except ImportError:
        _not_yet("export")
    import sqlite3

    from archive.package import BundleError
    try:
        for path in run(db, out_dir, formats=tuple(formats), package=package, report_id=report_id,
                        bundle_dir=bundle_dir):
            click.echo(path)
    except (ValueError, BundleError) as e:
        raise Refused(str(e)) from None
    except sqlite3.DatabaseError as e:   # damage past the pages the opening check reads
        raise Refused(f"{db} is a damaged SQLite file ({e}); restore it from a backup") from None


# ---------------------------------------------------------------- serve
@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, callback=_existing_archive,
              help="Archive SQLite file (must exist).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True)
@click.option("--metadata", default="metadata.yml", show_default=True)
@click.option("--inspect/--no-inspect", default=True, show_default=True,
              help="Give Datasette the hash and table counts from <db>.inspect.json (written when a "
                   "run ends; rewritten here when missing or stale), so the first page needs no full scan.")
def serve(db, host, port, metadata, inspect):
    """Publish the archive read-only with Datasette."""
    _serve(db, host, port, metadata, inspect)


def _serve(db, host, port, metadata, inspect=True):
    try:
        from archive.serve import serve as run
    except ImportError:
        # Until the publishing module lands: plain read-only Datasette with our metadata.
        cmd = [sys.executable, "-m", "datasette", "serve", "-i", db, "-h", host, "-p", str(port),
               "--setting", "sql_time_limit_ms", "2000"]
        if Path(metadata).exists():
            cmd += ["-m", metadata]
        sys.exit(subprocess.call(cmd))
    run(db, host=host, port=port, metadata=metadata, inspect=inspect)


# ---------------------------------------------------------------- sources
@main.group()
def sources():
    """Manage the source registry (sources.yml)."""


def _register_health():
    from cli.health import make_command
    sources.add_command(make_command(_existing_archive, DEFAULT_DB))


_register_health()


def _register_watch():
    from cli.watch import make_command
    main.add_command(make_command(_existing_archive, DEFAULT_DB))


_register_watch()


def _register_ingest():
    from cli.ingest import make_command
    main.add_command(make_command(crawl_settings, Refused, DEFAULT_DB, DEFAULT_REGISTRY))


_register_ingest()


def _register_discover():
    from cli.discover import make_command
    # _append_source is defined further down: look it up when called
    sources.add_command(make_command(lambda path, entry: _append_source(path, entry), _registry, Refused,
                                     DEFAULT_REGISTRY))


_register_discover()


@sources.command("list")
@click.option("--registry", default=DEFAULT_REGISTRY, show_default=True)
def sources_list(registry):
    """List the configured 年报 columns."""
    for s in _registry(registry):
        flag = "" if s.verified else "  (not verified offline)"
        off = "" if s.enabled else "  (disabled)"
        click.echo(f"{s.id:24} {s.render:8} {s.platform or '-':8} {s.url}{flag}{off}")


HOME_PAGES = {"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp", "/index.php", "/default.html",
              "/default.htm", "/default.aspx"}


def looks_like_home_page(url: str) -> bool:
    """A site root is a portal's home page: the crawler reads a 年报 column's list, never the home page."""
    from urllib.parse import urlsplit
    return urlsplit(url).path.lower() in HOME_PAGES


@sources.command("add")
@click.option("--registry", default=DEFAULT_REGISTRY, show_default=True)
@click.option("--id", "sid", required=True, help="Slug: lower-case letters, digits, - and _.")
@click.option("--name", required=True)
@click.option("--url", required=True, help="The 年报 column (its list page), http(s).")
@click.option("--platform", default=None)
@click.option("--render", type=click.Choice(["static", "browser", "auto"]), default="auto")
@click.option("--region", default=None)
@click.option("--level", default=None)
@click.option("--force", is_flag=True, help="Add a URL that looks like a site's home page all the same.")
def sources_add(registry, sid, name, url, platform, render, region, level, force):
    """Add a 年报 column to the registry, keeping the file's comments and layout."""
    from crawler import registry as reg
    path = Path(registry)
    entry = {k: v for k, v in dict(id=sid, name=name, url=url, platform=platform, render=render,
                                   region=region, level=level, verified=False).items()
             if v is not None}
    existing = {s.id for s in _registry(registry)} if path.exists() else set()
    if sid in existing:
        raise Refused(f"{registry}: id {sid!r} is listed already")
    try:
        reg.parse([entry])   # the same rules as loading: slug id, http(s) URL, known platform
    except reg.RegistryError as e:
        raise Refused(f"cannot add: {str(e).split(': ', 1)[1]}") from None
    if looks_like_home_page(url) and not force:
        raise Refused(f"{url} looks like a home page, not a 年报 column: find the column with "
                      f"`nianbao sources discover {url}` (--add appends it), give the URL of the column's list "
                      "(政府信息公开年报), or --force")
    _append_source(path, entry)
    click.echo(f"added {sid}")


def _append_source(path: Path, entry: dict) -> None:
    """Append with a round-trip YAML writer: comments, quoting and key order of the file stay."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096   # never re-wrap long names and notes
    yaml.indent(mapping=2, sequence=2, offset=0)   # `- id:` under `sources:`, as sources.yml is written
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = yaml.load(text) if text.strip() else None
    if data is None:   # new, empty or comments only: keep what is there, add the list
        out = io.StringIO()
        yaml.dump({"sources": [entry]}, out)
        path.write_text(text + ("\n" if text and not text.endswith("\n") else "") + out.getvalue(), "utf-8")
        return
    seq = data if isinstance(data, list) else data.get("sources")
    if seq is None:
        seq = data["sources"] = CommentedSeq()
    seq.append(CommentedMap(entry))
    out = io.StringIO()
    yaml.dump(data, out)
    path.write_text(out.getvalue(), encoding="utf-8")


@sources.command("check")
@click.option("--registry", default=DEFAULT_REGISTRY, show_default=True)
def sources_check(registry):
    """Validate the registry file (exit code 2 with the first problem found)."""
    found = _registry(registry)
    enabled = sum(s.enabled for s in found)
    click.echo(f"ok: {len(found)} sources ({enabled} enabled)")


# ---------------------------------------------------------------- farm and demo
@main.command()
@click.option("--port", default=0, show_default=True, help="0 lets the OS choose.")
@click.option("--manifest", default=None, help="Write the ground-truth manifest (JSON) here.")
@click.option("--registry", default=None, help="Write a source registry for the farm here.")
def farm(port, manifest, registry):
    """Serve the bundled sample portals (six CMS families) until Ctrl-C."""
    from farm import Farm
    with Farm(port=port) as f:
        _write_farm_files(f, manifest, registry)
        for p in f.manifest()["portals"]:
            click.echo(json.dumps(p, ensure_ascii=False))
        click.echo(f"farm on 127.0.0.1:{f.port} (hosts *.test → 127.0.0.1; crawl it with "
                   "-s NIANBAO_ALLOW_PRIVATE_HOSTS=*.test); Ctrl-C to stop", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _write_farm_files(f, manifest, registry):
    from crawler import registry as reg
    if manifest:
        Path(manifest).write_text(json.dumps(f.manifest(), ensure_ascii=False, indent=1), "utf-8")
    if registry:
        reg.dump(f.sources(), registry)


@main.command()
@click.option("--db", default=DEMO_DB, show_default=True, help="Fresh archive to build.")
@click.option("--serve/--no-serve", default=True, help="Serve Datasette afterwards (until Ctrl-C).")
@click.option("--port", default=8001, show_default=True)
@click.option("--metadata", default="metadata.yml", show_default=True)
def demo(db, serve, port, metadata):
    """Start the sample portals, crawl them into a fresh archive, let them publish a new edition
    (a report edited, one added, one deleted), crawl again, print what the archive holds and what
    changed, serve it."""
    from farm import Farm

    db_path = Path(db)
    for p in [db_path, Path(f"{db}-wal"), Path(f"{db}-shm")]:
        p.unlink(missing_ok=True)
    warc_dir = db_path.parent / "warc"
    for w in warc_dir.glob(f"{db_path.stem}-*.warc.gz"):
        w.unlink()
    from archive.overview import history, summary
    with Farm(port=0) as f, tempfile.TemporaryDirectory() as tmp:
        reg_path = Path(tmp) / "farm-sources.yml"
        _write_farm_files(f, None, reg_path)
        click.echo(f"sample portals on 127.0.0.1:{f.port}: "
                   + ", ".join(s["id"] for s in f.sources()))
        _demo_crawl(db, reg_path)
        # The portals move on: a report edited in place, one published, one taken down (farm/portals/base.py).
        f.set_edition(1)
        changes = f.manifest()["changes"]
        click.echo("the sample portals publish a new edition: " + ", ".join(
            f"{len(urls)} report{'s' * (len(urls) != 1)} {what}" for what, urls in changes.items())
            + "; crawling again")
        _demo_crawl(db, reg_path)
    out = summary(db)
    # What the archive says changed, beside the farm's ground truth it should agree with.
    out["history"] = {**history(db), "farm_changes": changes}
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    if serve:
        click.echo(f"Datasette on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        _serve(db, "127.0.0.1", port, metadata)


def _demo_crawl(db: str, reg_path: Path) -> None:
    # Scrapy's reactor runs once per process: crawl in a child, keep the farm here.
    code = subprocess.call([sys.executable, "-m", "cli.main", "crawl", "--db", db, "--progress",
                            "--registry", str(reg_path), "--log-level", "WARNING",
                            # the farm's *.test hosts are 127.0.0.1: allowed explicitly (crawler/scope.py)
                            "-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"])
    if code not in (0, 1):   # 1: the sample farm has blocked and robots-denied sources on purpose
        click.echo(f"crawl failed with exit code {code}", err=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
