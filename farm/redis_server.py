"""A throwaway redis-server on a free local port, for the tests and benchmarks of the distributed
crawl and the remote stream (real Redis, not a stand-in): no persistence, its data and an
optional verbose log in `directory`."""
from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from archive.serve import free_port


class RedisNotStarted(RuntimeError):
    pass


@contextmanager
def redis_server(directory: Path, log: bool = False):
    """Start redis-server, wait until it answers PING (10 s at most) and yield its URL; stop it
    afterwards. `log`: `--loglevel verbose` into `directory/redis.log`, for a hung run's diagnosis."""
    import redis
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", str(directory)]
    if log:
        cmd += ["--loglevel", "verbose", "--logfile", str(Path(directory) / "redis.log")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RedisNotStarted(f"redis-server exited with {proc.returncode}") from None
                time.sleep(0.1)
        else:
            raise RedisNotStarted("redis-server did not answer within 10 s")
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
