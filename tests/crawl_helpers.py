"""Shared helpers for the crawl tests: a farm in the test process, crawls as subprocesses."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-m", "cli.main"]
# Politeness stays on (robots, Crawl-delay, AutoThrottle, 2 per host); only the base delay is short.
# The farm's *.test hosts resolve to 127.0.0.1, which crawler/scope.py refuses unless allowed.
FARM_SCOPE = ["-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"]
FAST = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_START_DELAY=0.05", *FARM_SCOPE]


def write_registry(path: Path, sources: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def crawl(db: Path, registry: Path, *args: str, timeout: int = 900, check: bool = True,
          incomplete: bool = False) -> subprocess.CompletedProcess:
    """Crawl into `db`; with `check`, the exit code must say complete (0), or — `incomplete` for
    registries with blocked or broken sources — "finished, some source incomplete" (1)."""
    cmd = NIANBAO + ["crawl", "--db", str(db), "--registry", str(registry), "--log-level", "WARNING", *FAST, *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and proc.returncode != (1 if incomplete else 0):
        raise AssertionError(f"crawl failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def q(db: Path, sql: str, args=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def last_run_stats(db: Path) -> dict:
    (stats,), = q(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return json.loads(stats)


def report_by_url(db: Path) -> dict[str, tuple]:
    """URL → (agency, report_year, kind), through every URL a report was reached by."""
    rows = q(db, "SELECT ru.url, r.agency, r.report_year, r.kind FROM report_urls ru "
                 "JOIN reports r ON r.id = ru.report_id")
    out = {u: rest for u, *rest in rows}
    out.update({u: tuple(rest) for u, *rest in q(db, "SELECT url, agency, report_year, kind FROM reports")})
    return {u: tuple(v) for u, v in out.items()}
