"""The scrapyd deploy target works: a real scrapyd on 127.0.0.1 (its own config file in a tmp dir),
the project deployed with scrapyd-client's `scrapyd-deploy` from scrapy.cfg's [deploy] target
(its URL pointed at the test's port), the spider scheduled through schedule.json with the
archive and registry as `setting=` parameters, and the farm's reports found in the archive."""
from __future__ import annotations

import configparser
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.crawl_helpers import ROOT, q, write_registry

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SOURCE = "farm-hw-prov-jpaas"
# What scrapyd-deploy packs: the files setup.py / pyproject.toml build the egg from.
PROJECT_FILES = ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md")
PACKAGES = ("nianbao", "crawler", "pipelines", "archive", "cli")
EGG_MARK = "nianbao-deployed-egg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url: str, fields: list[tuple[str, str]]) -> dict:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as r:
        return json.loads(r.read())


def _project_copy(dest: Path, port: int) -> Path:
    """The checkout's project files in a tmp dir (the egg build writes build/ and *.egg-info next
    to setup.py), with the [deploy] target's URL moved to the test's scrapyd."""
    dest.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    cfg = configparser.ConfigParser()
    cfg.read(dest / "scrapy.cfg")
    assert cfg["deploy"]["url"] == "http://127.0.0.1:6800/" and cfg["deploy"]["project"] == "nianbao"
    text = (dest / "scrapy.cfg").read_text()
    (dest / "scrapy.cfg").write_text(text.replace("http://127.0.0.1:6800/", f"http://127.0.0.1:{port}/"))
    # a mark only the deployed copy carries: the job's log shows the spider ran from the egg
    settings = (dest / "crawler" / "settings.py").read_text()
    assert settings.count('BOT_NAME = "nianbao"') == 1
    (dest / "crawler" / "settings.py").write_text(settings.replace('BOT_NAME = "nianbao"', f'BOT_NAME = "{EGG_MARK}"'))
    return dest


def _run_job(base: str, home: Path, fields: list[tuple[str, str]]) -> str:
    """Schedule the spider, wait until scrapyd lists the job as finished, return its log."""
    job = _post(base + "schedule.json", fields)
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 600
    while True:
        jobs = _get(base + "listjobs.json?project=nianbao")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    return (home / "logs" / "nianbao" / "nianbao" / f"{job['jobid']}.log").read_text("utf-8")


def test_deploy_and_schedule_on_a_real_scrapyd(tmp_path):
    from farm import Farm
    port = _free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home / 'eggs'}
logs_dir = {home / 'logs'}
dbs_dir = {home / 'dbs'}
items_dir =
max_proc = 1
poll_interval = 0.5
""")
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(base + "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "scrapyd did not start"
                time.sleep(0.2)

        project = _project_copy(tmp_path / "project", port)
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "--version", "test-1"], cwd=project,
                                capture_output=True, text=True, timeout=300)
        assert deploy.returncode == 0, deploy.stderr + deploy.stdout
        assert json.loads(deploy.stdout)["status"] == "ok"
        assert _get(base + "listspiders.json?project=nianbao")["spiders"] == ["nianbao"]

        with Farm(port=0) as farm:
            registry = write_registry(tmp_path / "sources.yml", [s for s in farm.sources() if s["id"] == SOURCE])
            db = tmp_path / "data" / "archive.db"
            settings = {"NIANBAO_DB": str(db), "NIANBAO_REGISTRY": str(registry),
                        "NIANBAO_ALLOW_PRIVATE_HOSTS": "*.test",      # the farm's hosts are 127.0.0.1
                        "DOWNLOAD_DELAY": "0.05", "AUTOTHROTTLE_START_DELAY": "0.05", "LOG_LEVEL": "INFO"}
            fields = [("project", "nianbao"), ("spider", "nianbao"), *[("setting", f"{k}={v}") for k, v in settings.items()]]
            # while another crawl holds the archive's lock, a scrapyd job refuses to start a run
            holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from archive.lock import ArchiveLock; "
                                       "ArchiveLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(600)",
                                       str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            try:
                assert holder.stdout.readline().strip() == "held"
                busy = _run_job(base, home, fields)
                assert f"another crawl of {db} is running (pid {holder.pid})" in busy, busy[-3000:]
                assert q(db, "SELECT COUNT(*) FROM crawl_runs") == [(0,)]
            finally:
                holder.kill()
                holder.wait()
            log = _run_job(base, home, fields)
            expected = {r["url"] for r in farm.manifest()["reports"] if r["portal"] == SOURCE}

        assert "] ERROR:" not in log and "log_count/ERROR" not in log, log[-4000:]
        # the spider ran from the deployed egg, not from the checkout
        assert (home / "eggs" / "nianbao" / "test-1.egg").exists() and f"'BOT_NAME': '{EGG_MARK}'" in log
        assert q(db, "SELECT status, sources FROM crawl_runs") == [("finished", f'["{SOURCE}"]')]
        got = {u for (u,) in q(db, "SELECT url FROM reports WHERE source_id = ?", (SOURCE,))}
        got |= {u for (u,) in q(db, "SELECT ru.url FROM report_urls ru JOIN reports r ON r.id = ru.report_id"
                                     " WHERE r.source_id = ?", (SOURCE,))}
        assert expected and expected <= got, sorted(expected - got)[:5]
        assert q(db, "SELECT COUNT(*) FROM cells")[0][0] > 0
        assert list((db.parent / "warc").glob("*.warc.gz"))
    finally:
        server.terminate()
        server.wait(timeout=30)
