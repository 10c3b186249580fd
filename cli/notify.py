"""Alerts after a crawl: a JSON summary POSTed to a webhook and/or piped into a command.

The summary (docs/operations.md, "Alerts") is archive.health.run_summary plus the crawl's exit code
and verdict line. Delivery never changes the crawl's exit code: a webhook that is down or a
command that fails is reported on stderr and the crawl's own verdict stands.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import urllib.error
import urllib.request

SCHEMA = "nianbao.run-summary/1"
TIMEOUT_S = 30


def payload(db: str, run_id: int | None = None, exit_code: int | None = None, verdict: str | None = None) -> dict:
    """The summary of run `run_id` (default the newest run) of the archive `db`."""
    from archive import health
    from archive.schema import open_db
    conn = open_db(db).conn
    try:
        if run_id is None:
            row = conn.execute("SELECT MAX(id) FROM crawl_runs").fetchone()
            run_id = row[0] if row else None
            if run_id is None:
                raise ValueError(f"{db}: no crawl run recorded")
        out = health.run_summary(conn, run_id)
    finally:
        conn.close()
    return {"schema": SCHEMA, "archive": str(db), "exit_code": exit_code, "verdict": verdict, **out}


def post(url: str, data: dict, timeout: float = TIMEOUT_S) -> str | None:
    """POST `data` as JSON to `url`; None on a 2xx answer, else what went wrong."""
    body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "nianbao-notify"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:   # noqa: S310 - the operator's own URL
            if not 200 <= resp.status < 300:
                return f"HTTP {resp.status}"
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"{type(e).__name__}: {getattr(e, 'reason', e)}"
    return None


def run_command(cmd: str, data: dict, timeout: float = TIMEOUT_S) -> str | None:
    """Run `cmd` (split like a shell would, but without a shell) with the JSON on stdin; None when
    it exits 0, else what went wrong."""
    try:
        argv = shlex.split(cmd)
    except ValueError as e:
        return f"cannot parse the command: {e}"
    if not argv:
        return "empty command"
    try:
        proc = subprocess.run(argv, input=json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{type(e).__name__}: {e}"
    if proc.returncode:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"exit code {proc.returncode}" + (f": {err[-1]}" if err else "")
    return None


def deliver(data: dict, url: str | None = None, cmd: str | None = None) -> list[str]:
    """Send the summary to the webhook and the command that are set; the problems, one line each."""
    problems = []
    if url:
        why = post(url, data)
        if why:
            problems.append(f"webhook {url}: {why}")
    if cmd:
        why = run_command(cmd, data)
        if why:
            problems.append(f"notify command {cmd!r}: {why}")
    return problems


def after_crawl(db: str, registry: str, url: str | None, cmd: str | None, exit_code: int, verdict: str,
                echo) -> list[str]:
    """Send the summary of the crawl that just ended to `url`/`cmd`, or, when neither is given, to
    the registry's `notify:` setting. Problems are echoed (stderr) and returned; never raised."""
    if not url and not cmd:
        from crawler import registry as reg
        try:
            target = reg.load_notify(registry)
        except reg.RegistryError as e:   # it was checked before the crawl; a file edited meanwhile
            echo(f"nianbao crawl: notify: {e}")
            return [str(e)]
        url, cmd = target.get("url"), target.get("cmd")
    if not url and not cmd:
        return []
    try:
        data = payload(db, exit_code=exit_code, verdict=verdict)
    except Exception as e:  # noqa: BLE001 - an alert about a broken run must still go out
        data = {"schema": SCHEMA, "archive": str(db), "exit_code": exit_code, "verdict": verdict,
                "error": f"the run summary could not be read: {type(e).__name__}: {e}"}
    problems = deliver(data, url, cmd)
    for p in problems:
        echo(f"nianbao crawl: notify failed (the exit code is the crawl's own): {p}")
    return problems
