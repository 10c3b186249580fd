"""Serving the archive with Datasette, read-only and safe for the public.

`serve()` runs `datasette serve` in this process with the settings below; `datasette_args()`
gives the same command line for people who start Datasette themselves (or under systemd).
The nianbao plugin (archive/datasette, an entry point) adds the report page, raw captures,
search, charts and the Content-Security-Policy to any `datasette` run in this environment.
"""
from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Public settings: queries are cut off, results capped, facet suggestions (expensive on
# 100k reports) off. No write plugins are installed; the file is opened immutable or read-only.
SETTINGS = {
    "sql_time_limit_ms": 2000,
    "max_returned_rows": 2000,
    "facet_time_limit_ms": 400,
    "suggest_facets": "off",
    "allow_download": "on",
    "default_cache_ttl": 60,
    "num_sql_threads": 3,
}


def default_metadata() -> Path | None:
    """metadata.yml at the project root (next to the `archive` package), if there."""
    path = Path(__file__).resolve().parent.parent / "metadata.yml"
    return path if path.exists() else None


def has_pending_wal(db_path: str | Path) -> bool:
    """Rows still in the WAL are invisible to immutable mode (it reads the main file only)."""
    wal = Path(str(db_path) + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def datasette_args(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
                   metadata: str | Path | None = None, immutable: bool = True,
                   settings: dict | None = None, inspect_file: str | Path | None = None) -> list[str]:
    """The `datasette serve …` arguments (without the leading program name).

    `inspect_file` only when the caller has just checked it (archive.inspectfile.usable): a
    command line kept for later (systemd) must not carry one, which the next crawl makes stale."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no archive at {db_path}")
    # Immutable for a finished snapshot (cached counts, no locking); a live archive that the
    # crawler still writes (WAL) is opened normally: Datasette's read connections are mode=ro.
    args = ["serve", *(["-i"] if immutable else []), str(db_path), "--host", host,
            "--port", str(port)]
    # A relative "metadata.yml" from another working directory means the project's own.
    if not metadata or not Path(metadata).exists():
        metadata = default_metadata()
    if metadata:
        args += ["-m", str(metadata)]
    for name, value in {**SETTINGS, **(settings or {})}.items():
        args += ["--setting", name, str(value)]
    if inspect_file and immutable:   # Datasette reads hash and counts from it for immutable files only
        args += ["--inspect-file", str(inspect_file)]
    return args


def inspect_file_for(db_path: str | Path, immutable: bool, write: bool) -> Path | None:
    """The inspect file to serve `db_path` with: the one next to it if it still describes the
    file; else, with `write`, a new one (archive/inspectfile.py); else None, and Datasette hashes
    and counts the file itself at its first request. Only for an immutable file."""
    from archive import inspectfile
    if not immutable or has_pending_wal(db_path):
        return None
    found = inspectfile.usable(db_path)
    if found or not write:
        return found
    started = time.monotonic()
    print(f"{db_path}: computing Datasette's inspect data (hash, table counts) once…", flush=True)
    found = inspectfile.ensure(db_path)
    print(f"  {'written to ' + str(found) if found else 'not written (served without)'}"
          f" in {time.monotonic() - started:.1f}s", flush=True)
    return found


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
          metadata: str | Path | None = None, immutable: bool = True,
          settings: dict | None = None, inspect: bool = True) -> None:
    """Serve `db_path` until interrupted (blocks). `immutable=False` for a file being written.
    `inspect=False` leaves hashing and counting to Datasette (at its first request)."""
    from datasette.cli import cli

    # Publishing writes nothing into the archive: derived tables are refreshed by crawl and
    # reextract, and a WAL is not checkpointed from here (a crawl may be writing it) — such a
    # file is served mode=ro. The only file it may write is the inspect file next to it, when
    # the one a run left is missing or stale.
    if immutable and has_pending_wal(db_path):
        print(f"{db_path} has a pending WAL (being written?): serving it read-only, not immutable")
        immutable = False
    found = inspect_file_for(db_path, immutable, write=True) if inspect else None
    args = datasette_args(db_path, host, port, metadata, immutable, settings=settings,
                          inspect_file=found)
    cli.main(args=args, prog_name="datasette", standalone_mode=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS has just handed out (port 0), for a server started right after."""
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def background(db_path: str | Path, metadata: str | Path | None = None, immutable: bool = True,
               plain: bool = False, timeout: float = 30.0, inspect: bool = True,
               ready_path: str = "/-/versions.json") -> Iterator[str]:
    """Run a real `datasette` process on a free port; yields its base URL, stops it after.

    `plain=True` starts it as a user would by hand (`datasette -i db -m metadata.yml`),
    without our settings, to compare with `nianbao serve`. The inspect file next to the
    archive is passed on when it is still valid (never written from here); `inspect=False`
    never. `ready_path` is the first request (Datasette counts an immutable file's tables at
    its first request: "" waits for the port only, leaving that to the caller).
    """
    import socket
    import sys
    import urllib.request

    port = free_port()
    if immutable and has_pending_wal(db_path):
        immutable = False
    if plain:
        args = ["serve", *(["-i"] if immutable else []), str(db_path), "--port", str(port),
                "--host", "127.0.0.1"]
        if metadata:
            args += ["-m", str(metadata)]
    else:
        found = inspect_file_for(db_path, immutable, write=False) if inspect else None
        args = datasette_args(db_path, "127.0.0.1", port, metadata, immutable, inspect_file=found)
    exe = Path(sys.executable).with_name("datasette")
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError("datasette exited: " + proc.stderr.read().decode(errors="replace"))
            try:
                if ready_path:
                    urllib.request.urlopen(url + ready_path, timeout=2).read()
                else:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"datasette did not answer on {url}")
                time.sleep(0.2)
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Ask a served Datasette to end; kill it if it has not within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
