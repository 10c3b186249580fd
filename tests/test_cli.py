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
