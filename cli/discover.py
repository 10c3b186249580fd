"""`nianbao sources discover URL`: from a portal's home page to its 年报 column (crawler/discover.py).

Built by a factory so cli/main.py can hand in its registry helpers without an import cycle.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import click


def candidate_lines(result) -> list[str]:
    out = []
    for i, c in enumerate(result.candidates, 1):
        out.append(f"{i}. [{c.score}] {c.title}  {c.url}")
        out += [f"     - {e}" for e in c.evidence]
    return out


def make_command(append_source, load_registry, refused, default_registry: str) -> click.Command:
    @click.command("discover")
    @click.argument("url")
    @click.option("--json", "as_json", is_flag=True, help='Print [{"url","title","score","evidence"}], best first.')
    @click.option("--add", is_flag=True, help="Append the best candidate (or --pick N) to the registry.")
    @click.option("--pick", type=click.IntRange(min=1), default=None, help="With --add: the N-th candidate instead.")
    @click.option("--registry", default=default_registry, show_default=True)
    @click.option("--id", "sid", default=None, help="With --add: the source id (default: from the host name).")
    @click.option("--name", default=None, help="With --add: the source name (default: site name + column name).")
    @click.option("--allow-private", multiple=True, metavar="PATTERN",
                  help="Host patterns allowed to be private addresses (the farm: '*.test'); "
                       "NIANBAO_ALLOW_PRIVATE_HOSTS is read too.")
    @click.option("--max-pages", default=40, show_default=True, type=click.IntRange(min=1))
    @click.option("--delay", default=0.5, show_default=True, type=click.FloatRange(min=0),
                  help="Seconds between requests (robots.txt Crawl-delay wins when longer).")
    @click.option("--no-browser", is_flag=True, help="Never render a page in Chromium.")
    @click.option("-v", "--verbose", is_flag=True, help="Log each page fetched (stderr).")
    def discover(url, as_json, add, pick, registry, sid, name, allow_private, max_pages, delay, no_browser, verbose):
        """Walk a portal from its home page URL (same host, robots.txt, depth ≤ 3) and rank the
        candidate 年报 columns, with the evidence for each.

        Exit code 0 when a candidate was found, 1 when none was (or the home page could not be
        fetched), 2 for bad arguments (a private host not allowed, a bad registry)."""
        from crawler import discover as d
        allow = list(allow_private) + [p for p in os.environ.get("NIANBAO_ALLOW_PRIVATE_HOSTS", "").split(",") if p.strip()]
        if pick and not add:
            raise refused("--pick goes with --add")
        log = (lambda m: click.echo(m, err=True)) if verbose else None
        try:
            result = d.discover(url, allow_private=allow, delay=delay, max_pages=max_pages, browser=not no_browser, log=log)
        except d.DiscoverError as e:
            if e.kind == "refused":
                raise refused(str(e)) from None
            click.echo(f"cannot discover: {e}", err=True)
            raise SystemExit(1) from None
        summary = (f"walked {result.fetched} pages from {result.home}"
                   f" ({result.rendered} rendered in Chromium)")
        if as_json:
            click.echo(json.dumps([c.as_dict() for c in result.candidates], ensure_ascii=False, indent=2))
            click.echo(summary, err=True)
        else:
            for line in candidate_lines(result):
                click.echo(line)
            click.echo(summary)
        if not result.candidates:
            click.echo("no 年报 column found", err=as_json)
            raise SystemExit(1)
        if add:
            if (pick or 1) > len(result.candidates):
                raise refused(f"--pick {pick}: only {len(result.candidates)} candidates")
            c = result.candidates[(pick or 1) - 1]
            _add(c, result, registry, sid, name)

    def _add(c, result, registry, sid, name):
        from crawler import discover as d
        from crawler import registry as reg
        path = Path(registry)
        existing = {s.id for s in load_registry(registry)} if path.exists() else set()
        if sid is None:
            base = sid = d.slug_for(urlsplit(c.url).hostname or "")
            n = 2
            while sid in existing:
                sid, n = f"{base}-{n}", n + 1
        elif sid in existing:
            raise refused(f"{registry}: id {sid!r} is listed already")
        if any(getattr(s, "url", None) == c.url for s in (load_registry(registry) if path.exists() else [])):
            raise refused(f"{registry}: {c.url} is listed already")
        site = d.site_name(result.site)
        entry = {"id": sid, "name": name or " ".join(x for x in (site, c.title) if x) or c.url,
                 "url": c.url, "render": "auto", "verified": False}
        try:
            reg.parse([entry])
        except reg.RegistryError as e:
            raise refused(f"cannot add: {str(e).split(': ', 1)[-1]}") from None
        append_source(path, entry)
        click.echo(f"added {sid}: {c.url}", err=True)

    return discover
