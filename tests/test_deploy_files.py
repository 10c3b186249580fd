"""The files in deploy/ are what the README says: a systemd service + timer pair and a crontab line
that run `nianbao crawl --due`. They are parsed, checked by `systemd-analyze verify` when it is
installed, and their exact commands are run (the install path /opt/nianbao replaced by a tmp dir)
against the farm."""
from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from croniter import croniter

from tests.crawl_helpers import FAST, ROOT, q, write_registry

DEPLOY = ROOT / "deploy"
INSTALL = "/opt/nianbao"
SOURCE = "farm-hw-prov-truecms"     # two reports: a short crawl


def unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str            # systemd keys are case-sensitive
    cp.read_string((DEPLOY / name).read_text("utf-8"))
    return cp


def install_dir(tmp_path: Path, farm) -> Path:
    """A stand-in for /opt/nianbao: the checkout's .venv and a registry of one farm source."""
    app = tmp_path / "app"
    app.mkdir()
    (app / ".venv").symlink_to(ROOT / ".venv")
    write_registry(app / "sources.yml", [s for s in farm.sources() if s["id"] == SOURCE])
    return app


def with_farm_flags(cmd: str) -> str:
    """The farm's *.test hosts are 127.0.0.1, which the crawler refuses unless told (crawler/scope.py)."""
    assert cmd.count("--log-level WARNING") == 1
    return cmd.replace("--log-level WARNING", "--log-level WARNING " + shlex.join(FAST))


def test_the_service_and_timer_say_what_the_readme_says():
    service, timer = unit("nianbao-crawl.service"), unit("nianbao-crawl.timer")
    s = service["Service"]
    assert s["Type"] == "oneshot" and s["WorkingDirectory"] == INSTALL
    argv = shlex.split(s["ExecStart"])
    assert argv[0] == f"{INSTALL}/.venv/bin/nianbao" and argv[1:3] == ["crawl", "--due"]
    assert argv[argv.index("--db") + 1].startswith(INSTALL) and argv[argv.index("--registry") + 1].startswith(INSTALL)
    assert s["SuccessExitStatus"] == "4"         # busy (another crawl holds the lock) is not a failure
    t = timer["Timer"]
    assert t["OnCalendar"] == "hourly" and t["Persistent"] == "true" and t["Unit"] == "nianbao-crawl.service"
    assert t["RandomizedDelaySec"] and timer["Install"]["WantedBy"] == "timers.target"


def _crontab_line() -> str:
    lines = [ln for ln in (DEPLOY / "crontab").read_text("utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 1
    return lines[0]


def test_the_crontab_line_is_a_valid_hourly_schedule():
    fields = _crontab_line().split(None, 5)
    assert croniter.is_valid(" ".join(fields[:5])) and fields[1:5] == ["*"] * 4   # every hour
    assert "nianbao crawl --due" in fields[5]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verifies_the_units(tmp_path):
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "bin" / "nianbao").symlink_to(ROOT / ".venv" / "bin" / "nianbao")
    for name in ("nianbao-crawl.service", "nianbao-crawl.timer"):
        (tmp_path / name).write_text((DEPLOY / name).read_text("utf-8").replace(INSTALL, str(app)), "utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", "nianbao-crawl.service", "nianbao-crawl.timer"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and "nianbao-crawl" not in proc.stderr, proc.stderr
    # and it does catch a broken unit (so the pass above means something)
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("nianbao-crawl.service", "nianbao-crawl.timer"):
        (broken / name).write_text((tmp_path / name).read_text("utf-8").replace("/.venv/bin/nianbao", "/.venv/bin/nianbo"))
    proc = subprocess.run(["systemd-analyze", "verify", "nianbao-crawl.service", "nianbao-crawl.timer"],
                          cwd=broken, capture_output=True, text=True)
    assert proc.returncode != 0 and "nianbo" in proc.stderr


def _check_crawled(db: Path) -> None:
    assert q(db, "SELECT status, sources FROM crawl_runs") == [("finished", f'["{SOURCE}"]')]
    assert q(db, "SELECT COUNT(*) FROM reports WHERE source_id = ?", (SOURCE,))[0][0] >= 1


def test_the_service_execstart_runs(tmp_path):
    from farm import Farm
    s = unit("nianbao-crawl.service")["Service"]
    assert "%" not in s["ExecStart"]           # no systemd specifiers: shlex splits it as systemd does
    with Farm(port=0) as farm:
        app = install_dir(tmp_path, farm)
        argv = shlex.split(with_farm_flags(s["ExecStart"].replace(INSTALL, str(app))))
        proc = subprocess.run(argv, cwd=s["WorkingDirectory"].replace(INSTALL, str(app)), capture_output=True,
                              text=True, timeout=600, env={k: v for k, v in os.environ.items() if k != "NIANBAO_NOW"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        _check_crawled(app / "data" / "archive.db")
        assert f"due     {SOURCE}: never crawled" in proc.stderr
        # the next hourly start: nothing due, exit 0 (a success for the unit)
        proc = subprocess.run(argv, cwd=app, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 and "nothing is due" in proc.stdout
        assert len(q(app / "data" / "archive.db", "SELECT id FROM crawl_runs")) == 1


def test_the_crontab_command_runs(tmp_path):
    from farm import Farm
    command = _crontab_line().split(None, 5)[5]
    with Farm(port=0) as farm:
        app = install_dir(tmp_path, farm)
        # cron runs the command with /bin/sh from the user's home, with a minimal environment
        proc = subprocess.run(["/bin/sh", "-c", with_farm_flags(command.replace(INSTALL, str(app)))],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"})
        log = (app / "data" / "crawl.log").read_text("utf-8")
        assert proc.returncode == 0, log[-3000:]
        _check_crawled(app / "data" / "archive.db")
        assert "crawl: run 1 finished" in log
