"""Serving the archive with Datasette, read-only and safe for the public.

`serve()` runs `datasette serve` in this process with the settings below; `datasette_args()`
gives the same command line for people who start Datasette themselves (or under systemd).
The nianbao plugin (archive/datasette, an entry point) adds the report page, raw captures,
search, charts and the Content-Security-Policy to any `datasette` run in this environment.
"""
from __future__ import annotations

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
                   settings: dict | None = None) -> list[str]:
    """The `datasette serve …` arguments (without the leading program name)."""
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
    return args


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
          metadata: str | Path | None = None, immutable: bool = True,
          settings: dict | None = None) -> None:
    """Serve `db_path` until interrupted (blocks). `immutable=False` for a file being written."""
    from datasette.cli import cli

    # Publishing writes nothing: derived tables are refreshed by crawl and reextract, and a WAL
    # is not checkpointed from here (a crawl may be writing it) — such a file is served mode=ro.
    if immutable and has_pending_wal(db_path):
        print(f"{db_path} has a pending WAL (being written?): serving it read-only, not immutable")
        immutable = False
    args = datasette_args(db_path, host, port, metadata, immutable, settings=settings)
    cli.main(args=args, prog_name="datasette", standalone_mode=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS has just handed out (port 0), for a server started right after."""
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def background(db_path: str | Path, metadata: str | Path | None = None, immutable: bool = True,
               plain: bool = False, timeout: float = 30.0) -> Iterator[str]:
    """Run a real `datasette` process on a free port; yields its base URL, stops it after.

    `plain=True` starts it as a user would by hand (`datasette -i db -m metadata.yml`),
    without our settings, to compare with `nianbao serve`.
    """
    import subprocess
    import sys
    import time
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
        args = datasette_args(db_path, "127.0.0.1", port, metadata, immutable)
    exe = Path(sys.executable).with_name("datasette")
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError("datasette exited: " + proc.stderr.read().decode(errors="replace"))
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"datasette did not answer on {url}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
