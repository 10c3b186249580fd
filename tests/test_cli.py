import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli.main import main

COMMANDS = ["crawl", "extract", "reextract", "serve", "demo", "sources", "export", "farm"]


def test_every_command_explains_itself():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    for name in COMMANDS:
        assert name in top.output
        res = runner.invoke(main, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Usage:" in res.output and len(res.output.splitlines()) > 3, name
    for sub in ["list", "add", "check"]:
        assert runner.invoke(main, ["sources", sub, "--help"]).exit_code == 0


def test_sources_add_validates_and_writes(tmp_path):
    reg = tmp_path / "s.yml"
    runner = CliRunner()
    args = ["sources", "add", "--registry", str(reg), "--id", "x", "--name", "X 年报",
            "--url", "http://x.test/col/index.html"]
    assert runner.invoke(main, args).exit_code == 0
    dup = runner.invoke(main, args)
    assert dup.exit_code != 0  # the same id twice is refused
    listed = runner.invoke(main, ["sources", "list", "--registry", str(reg)])
    assert "http://x.test/col/index.html" in listed.output
    assert runner.invoke(main, ["sources", "check", "--registry", str(reg)]).exit_code == 0


def test_scrapy_sees_the_spider_from_the_repo_root():
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["nianbao"]


@pytest.mark.parametrize("payload", [b"", b"\x00\xff\x13garbage", b"<html><body><table><tr>"])
def test_extract_never_tracebacks(tmp_path, payload):
    f = tmp_path / "in.bin"
    f.write_bytes(payload)
    res = CliRunner().invoke(main, ["extract", str(f), "--json"])
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.exit_code in (0, 2)
    assert "Traceback" not in res.output


def test_extract_reads_a_url_served_locally(tmp_path):
    """`nianbao extract URL` sends a real request (the User-Agent must be a valid header)."""
    import http.server
    import threading
    from pathlib import Path

    seed = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))[0].read_bytes()
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen["ua"] = self.headers.get("User-Agent")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(seed)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        res = CliRunner().invoke(main, ["extract", f"http://127.0.0.1:{server.server_port}/r.txt", "--json"])
    finally:
        server.shutdown()
    assert res.exit_code == 0, res.output
    assert "nianbao" in seen["ua"]
    doc = __import__("json").loads(res.output)
    assert doc["report_year"] and doc["cells"]


@pytest.mark.parametrize("command", ["reextract", "export", "serve"])
def test_a_missing_archive_is_an_error_not_a_new_file(tmp_path, command):
    missing = tmp_path / "typo.db"
    res = CliRunner().invoke(main, [command, "--db", str(missing)])
    assert res.exit_code == 2 and "no archive at" in res.output
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    res = CliRunner().invoke(main, [command, "--db", str(junk)])
    assert res.exit_code == 2 and "not a SQLite archive" in res.output
