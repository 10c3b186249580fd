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


def _damaged_archive(tmp_path):
    """A real archive whose reports table pages are overwritten: the header and schema still read."""
    from archive.schema import open_db
    path = tmp_path / "damaged.db"
    db = open_db(path)
    db["sources"].insert({"id": "s", "name": "S", "url": "http://s.test/"}, alter=True)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.execute("PRAGMA journal_mode=DELETE")
    root = db.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reports'").fetchone()[0]
    page = db.conn.execute("PRAGMA page_size").fetchone()[0]
    db.conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page:root * page] = b"\xff" * page
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("command", ["reextract", "export", "serve"])
@pytest.mark.parametrize("kind", ["garbage", "other", "damaged"])
def test_a_corrupt_or_foreign_database_is_one_line_and_exit_2(tmp_path, command, kind):
    import sqlite3
    if kind == "garbage":   # the SQLite header, then noise
        db = tmp_path / "g.db"
        db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
        words = ["damaged SQLite file", "file is not a database"]
    elif kind == "other":   # a healthy SQLite file of something else
        db = tmp_path / "o.db"
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        words = ["not a nianbao archive"]
    else:
        db = _damaged_archive(tmp_path)
        words = ["damaged SQLite file", "malformed"]
    before = db.read_bytes()
    res = CliRunner().invoke(main, [command, "--db", str(db)])
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    for w in words:
        assert w in res.output, res.output
    assert db.read_bytes() == before   # the check opens read-only: nothing migrated or repaired


def test_a_healthy_archive_passes_the_check(tmp_path):
    from archive.schema import open_db
    from cli.main import _existing_archive
    path = tmp_path / "ok.db"
    open_db(path).conn.close()
    assert _existing_archive(None, None, str(path)) == str(path)


def test_bad_registry_is_one_line_and_exit_2_from_every_command(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("sources:\n- id: a\n  name: n\n   url: http://a.test/\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["crawl", "--db", str(tmp_path / "a.db")], ["sources", "list"], ["sources", "check"],
                 ["sources", "add", "--id", "b", "--name", "B", "--url", "http://b.test/nb/"]):
        res = runner.invoke(main, args + ["--registry", str(bad)])
        assert res.exit_code == 2, (args, res.output)
        assert res.output.strip().count("\n") == 0 and "line 4" in res.output, (args, res.output)
        assert "Traceback" not in res.output
    assert not (tmp_path / "a.db").exists()
    typo = tmp_path / "typo.yml"
    typo.write_text("sources:\n- id: a\n  name: n\n  url: http://a.test/nb/\n  enabeld: false\n", encoding="utf-8")
    res = runner.invoke(main, ["sources", "check", "--registry", str(typo)])
    assert res.exit_code == 2 and "did you mean enabled?" in res.output


def test_crawl_refuses_a_registry_with_nothing_to_crawl(tmp_path):
    off = tmp_path / "off.yml"
    off.write_text("sources:\n- id: a\n  name: n\n  url: http://a.test/nb/\n  enabled: false\n"
                   "- id: b\n  name: m\n  url: http://b.test/nb/\n", encoding="utf-8")
    runner = CliRunner()
    db = tmp_path / "a.db"
    res = runner.invoke(main, ["crawl", "--db", str(db), "--registry", str(off), "--source", "a"])
    assert res.exit_code == 2 and "no enabled source of a" in res.output
    res = runner.invoke(main, ["crawl", "--db", str(db), "--registry", str(off), "--source", "zz"])
    assert res.exit_code == 2 and "unknown source ids: zz" in res.output
    (tmp_path / "empty.yml").write_text("sources: []\n", encoding="utf-8")
    res = runner.invoke(main, ["crawl", "--db", str(db), "--registry", str(tmp_path / "empty.yml")])
    assert res.exit_code == 2 and "no enabled source" in res.output
    res = runner.invoke(main, ["crawl", "--db", str(db), "--registry", str(off), "-s", "LOG_LEVEL"])
    assert res.exit_code == 2 and "NAME=VALUE" in res.output
    assert not db.exists()


REGISTRY_WITH_COMMENTS = """\
# my registry: comments and layout are mine
sources:
# ---- zhejiang
- id: zj-a
  name: 甲 年报
  url: http://www.a.gov.cn/col/col1/index.html
  platform: hanweb
  politeness: {download_delay: 2}   # they throttle
  notes: "list #in_list > li"
"""


def test_sources_add_keeps_comments_and_layout(tmp_path):
    reg = tmp_path / "s.yml"
    reg.write_text(REGISTRY_WITH_COMMENTS, encoding="utf-8")
    res = CliRunner().invoke(main, ["sources", "add", "--registry", str(reg), "--id", "zj-b", "--name", "乙 年报",
                                    "--url", "https://www.b.gov.cn/zfxxgk/nb/", "--region", "浙江省"])
    assert res.exit_code == 0, res.output
    text = reg.read_text(encoding="utf-8")
    assert text.startswith(REGISTRY_WITH_COMMENTS)   # byte for byte, the new entry after it
    added = text[len(REGISTRY_WITH_COMMENTS):]
    assert added.startswith("- id: zj-b\n") and "url: https://www.b.gov.cn/zfxxgk/nb/" in added
    from crawler import registry
    got = {s.id: s for s in registry.load(reg)}
    assert got["zj-b"].region == "浙江省" and got["zj-b"].verified is False
    assert got["zj-a"].notes == "list #in_list > li"


@pytest.mark.parametrize("url, words", [
    ("http://www.b.gov.cn/", ["looks like a home page"]),
    ("http://www.b.gov.cn", ["looks like a home page"]),
    ("https://www.b.gov.cn/index.html", ["looks like a home page"]),
    ("ftp://www.b.gov.cn/nb/", ["http:// or https://"]),
    ("www.b.gov.cn/nb/", ["http:// or https://"]),
])
def test_sources_add_refuses_bad_urls(tmp_path, url, words):
    reg = tmp_path / "s.yml"
    reg.write_text(REGISTRY_WITH_COMMENTS, encoding="utf-8")
    res = CliRunner().invoke(main, ["sources", "add", "--registry", str(reg), "--id", "zj-b", "--name", "乙",
                                    "--url", url])
    assert res.exit_code == 2, res.output
    for w in words:
        assert w in res.output
    assert reg.read_text(encoding="utf-8") == REGISTRY_WITH_COMMENTS


def test_sources_add_home_page_with_force_and_a_column_below_the_root(tmp_path):
    reg = tmp_path / "s.yml"
    runner = CliRunner()
    ok = runner.invoke(main, ["sources", "add", "--registry", str(reg), "--id", "c", "--name", "C",
                              "--url", "http://www.c.gov.cn/col/col9/index.html"])
    assert ok.exit_code == 0, ok.output   # index.html below the root is a column's list
    forced = runner.invoke(main, ["sources", "add", "--registry", str(reg), "--id", "d", "--name", "D",
                                  "--url", "http://www.d.gov.cn/", "--force"])
    assert forced.exit_code == 0, forced.output
    for bad, word in ((["--id", "Bad Id"], "slug"), (["--id", "e", "--platform", "wordpress"], "platform")):
        res = runner.invoke(main, ["sources", "add", "--registry", str(reg), "--name", "E",
                                   "--url", "http://www.e.gov.cn/nb/", *bad])
        assert res.exit_code == 2 and word in res.output, res.output
    from crawler import registry
    assert [s.id for s in registry.load(reg)] == ["c", "d"]
