"""One crawl at a time per archive (archive/lock.py): a second `nianbao crawl` of the same --db
exits with code 4 and names the running one; the lock goes with its holder, however it dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from archive.lock import ArchiveBusy, ArchiveLock, lock_path
from tests.crawl_helpers import FAST, NIANBAO, ROOT, q, write_registry

HOLD = [sys.executable, "-c",
        "import sys, time; from archive.lock import ArchiveLock; ArchiveLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); time.sleep(600)"]


def _holder(db):
    proc = subprocess.Popen([*HOLD, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_names_its_holder_and_dies_with_it(tmp_path):
    db = tmp_path / "sub" / "a.db"
    proc = _holder(db)
    try:
        try:
            ArchiveLock(db).acquire()
            raise AssertionError("a second holder got the lock")
        except ArchiveBusy as e:
            assert e.pid == proc.pid and f"another crawl of {db} is running (pid {proc.pid})" == str(e)
        # trying did not erase the holder's pid
        assert lock_path(db).read_text().strip() == str(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)   # no clean-up at all: the kernel drops the lock
        proc.wait()
    with ArchiveLock(db) as lock:
        assert lock.held and lock_path(db).read_text().strip() == str(os.getpid())
    assert lock_path(db).read_text() == ""   # released: no pid left to blame
    ArchiveLock(db).acquire().release()


def _crawl(db, registry, *args):
    return subprocess.run(NIANBAO + ["crawl", "--db", str(db), "--registry", str(registry), *FAST, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_second_crawl_of_an_archive_exits_4_while_the_first_runs(tmp_path):
    from farm import Farm
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources() if s["id"] == "farm-yl"]
        registry = write_registry(tmp_path / "r.yml", sources)
        db, other = tmp_path / "archive.db", tmp_path / "other.db"
        first = subprocess.Popen(NIANBAO + ["crawl", "--db", str(db), "--registry", str(registry),
                                            "--log-level", "WARNING", *FAST],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not (lock_path(db).exists() and lock_path(db).read_text().strip()):
                assert first.poll() is None, first.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            second = _crawl(db, registry)
            assert first.poll() is None, "the first crawl ended before the second started: the test proves nothing"
            assert second.returncode == 4, second.stderr[-2000:]
            assert f"another crawl of {db} is running (pid {first.pid})" in second.stderr
            # the coordinator of a distributed crawl takes the same lock (before reaching Redis)
            coord = _crawl(db, registry, "--redis", "redis://127.0.0.1:9/0")
            assert coord.returncode == 4 and f"(pid {first.pid})" in coord.stderr
            # another archive is another lock
            assert _crawl(other, registry, "--log-level", "WARNING").returncode == 0
        finally:
            out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err[-2000:]
        assert q(db, "SELECT COUNT(*) FROM crawl_runs") == [(1,)]   # the refused starts opened no run
        # once the first is done, the archive is free again
        assert _crawl(db, registry, "--log-level", "WARNING").returncode == 0


def test_scrapy_crawl_takes_the_lock_too(tmp_path):
    """`scrapy crawl nianbao` (and so a scrapyd job) opens no run while another crawl holds the archive."""
    db = tmp_path / "a.db"
    registry = write_registry(tmp_path / "r.yml", [{"id": "x", "name": "X", "url": "http://www.x.gov.cn.test:9/col/"}])
    proc = _holder(db)
    try:
        busy = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "nianbao", "-s", f"NIANBAO_DB={db}",
                               "-s", f"NIANBAO_REGISTRY={registry}"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert busy.returncode != 0 and f"another crawl of {db} is running (pid {proc.pid})" in busy.stderr
    assert q(db, "SELECT COUNT(*) FROM crawl_runs") == [(0,)]
