"""`nianbao ingest`: the one writer of a crawl whose workers run on other machines.

Built by a factory so cli/main.py can hand in its settings builder and its refusal without an
import cycle. The command is the coordinator with no local worker (crawler/distributed/
coordinator.py): it opens the run in the archive, publishes it in Redis (with the sources, so a
remote worker needs no file from here), writes what `nianbao crawl --redis URL --worker --remote`
workers send through the stream, waits for every worker, then closes the run (gone reports,
checks, figures) like any crawl. Run it on the machine that holds the archive.
"""
from __future__ import annotations

import json
import sys

import click


def make_command(crawl_settings, refused, default_db: str, default_registry: str) -> click.Command:
    @click.command("ingest")
    @click.option("--redis", "redis_url", required=True, metavar="URL",
                  help="The Redis every worker reaches (redis://[:password@]host:port/db).")
    @click.option("--db", default=default_db, show_default=True, help="Archive SQLite file (on this machine).")
    @click.option("--registry", default=default_registry, show_default=True,
                  help="Source registry: what the run crawls (published to the workers).")
    @click.option("--source", "only", multiple=True, help="Crawl only this source id (repeatable).")
    @click.option("--wait", "wait_join", default=600.0, show_default=True, type=click.FloatRange(min=0),
                  help="Seconds to wait for a first worker to join before giving up.")
    @click.option("-s", "--set", "extra", multiple=True, metavar="NAME=VALUE",
                  help="Override a setting (e.g. NIANBAO_REDIS_PREFIX).")
    @click.option("--log-level", default=None, help="Log level (DEBUG, INFO, WARNING).")
    def ingest(redis_url, db, registry, only, wait_join, extra, log_level):
        """Be the one writer of a distributed crawl whose workers run elsewhere
        (`nianbao crawl --redis URL --worker --remote`): open the run, write what the workers
        send into --db and its WARC files, close the run when every worker is done.

        Exit code: 0 the run finished and every source was read completely; 1 it ran to its end
        but fell short (a source incomplete or unhealthy, messages that could not be written);
        2 bad arguments, registry or no Redis; 3 the run did not finish (a worker failed or was
        killed, no worker joined, interrupted): crawl again, nothing sent is lost; 4 another
        crawl of --db is running."""
        import logging

        from crawler import distributed
        from crawler import registry as reg

        bad = [e for e in extra if "=" not in e]
        if bad:
            raise refused(f"-s takes NAME=VALUE, not {bad[0]!r}")
        try:
            found = reg.load(registry)
        except reg.RegistryError as e:
            raise refused(str(e)) from None
        unknown = sorted(set(only) - {s.id for s in found})
        if unknown:
            raise refused(f"{registry}: unknown source ids: {', '.join(unknown)}")
        if not any(s.enabled and (not only or s.id in only) for s in found):
            raise refused(f"{registry}: no enabled source to crawl")
        from cli.schedule import take_lock
        take_lock(db)   # the writer is this archive's one crawl: exit 4 when another holds it
        logging.basicConfig(level=(log_level or "INFO").upper(), format="%(asctime)s %(name)s %(levelname)s: %(message)s")
        settings = crawl_settings(db, registry, only, log_level, extra=dict(e.split("=", 1) for e in extra))
        try:
            summary = distributed.coordinate(settings, redis_url, 0, [], echo=lambda m: click.echo(m, err=True),
                                             wait_join=wait_join)
        except (RuntimeError, OSError, distributed.redis.RedisError) as e:
            click.echo(f"nianbao ingest: {e}", err=True)
            sys.exit(2)
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        from archive.overview import last_run, run_verdict
        code, line = run_verdict(last_run(db))
        click.echo(f"ingest: {line}; archive: {db}")
        sys.exit(code)

    return ingest
