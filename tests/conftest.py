"""Fixtures shared by test modules.

`redis_url`: a real redis-server, one per test module (the distributed crawl, the remote stream),
on a free port and without persistence; its verbose log stays beside its data so that a hung run
can show it (tests/test_remote.py `_diagnose`)."""
from __future__ import annotations

import subprocess
import time

import pytest

from archive.serve import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    import redis
    tmp = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp), "--loglevel", "verbose",
                             "--logfile", str(tmp / "redis.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited with {proc.returncode}")
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("redis-server did not answer within 10 s")
    yield url
    client.close()
    proc.terminate()
    proc.wait(timeout=10)
