"""What the workers and the coordinator share in Redis: the key names, the Lua scripts that keep
claiming, idling and host pacing atomic, heartbeats and who is alive, and the claiming queue
(see crawler/distributed/__init__.py for the protocol)."""
from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import asdict

import redis
from scrapy_redis.queue import PriorityQueue

from crawler import registry

STALE_S = 30          # a worker silent this long is dead
BEAT_S = 0.5          # heartbeat, and how often an idle worker looks at the shared queue
POLL_S = 0.05         # how often a request waiting for a host held elsewhere asks again

# Pop the best request and mark the worker busy, atomically (else a peer could see an empty
# queue and an idle worker while a request is on its way).
POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 'busy')
return r[1]
"""
# Mark this worker idle; 1 when the whole crawl is done.
IDLE = """
redis.call('HSET', KEYS[2], ARGV[1], 'idle')
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local now = tonumber(redis.call('TIME')[1])
local states = redis.call('HGETALL', KEYS[2])
for i = 1, #states, 2 do
  if states[i + 1] == 'busy' then
    local beat = tonumber(redis.call('HGET', KEYS[3], states[i]) or '0')
    if now - beat < tonumber(ARGV[2]) then return 0 end
  end
end
return 1
"""
BEAT = "redis.call('HSET', KEYS[1], ARGV[1], redis.call('TIME')[1]) return 1"
# One request in flight per host across all workers, then a cooldown of the delay before the next
# one may start. 0 = claimed; > 0 = cooling down for that many ms; -1 = in flight elsewhere.
CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == 'cool' then return math.max(redis.call('PTTL', KEYS[1]), 1) end
return -1
"""
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], 'cool', 'PX', ARGV[2])
else redis.call('DEL', KEYS[1]) end
return 1
"""


class Keys:
    def __init__(self, prefix: str = "nianbao"):
        p = self.prefix = prefix
        self.run, self.seed, self.seeded = f"{p}:run", f"{p}:seed", f"{p}:seeded"
        self.requests, self.dupefilter = f"{p}:requests", f"{p}:dupefilter"
        self.workers, self.beat = f"{p}:workers", f"{p}:beat"
        self.pending, self.lists_ok, self.lists_failed = f"{p}:lists:pending", f"{p}:lists:ok", f"{p}:lists:failed"
        # Remote workers → the one writer (crawler/distributed/stream.py): the bounded stream, the
        # bytes it holds (bodies included), and the archive's conditional-request state for them.
        self.stream, self.stream_bytes = f"{p}:ingest", f"{p}:ingest:bytes"
        # entries the writer holds back (an attachment waiting for its page): {n, bytes}
        self.stream_parked = f"{p}:ingest:parked"
        self.conditional = f"{p}:conditional"

    def blob(self, name: str) -> str:
        return f"{self.prefix}:blob:{name}"

    def seen(self, sid: str) -> str:
        return f"{self.prefix}:seen:{sid}"

    def pace(self, host: str) -> str:
        return f"{self.prefix}:pace:{host}"

    def all(self, server) -> list:
        return list(server.scan_iter(match=f"{self.prefix}:*", count=1000))


def keys_of(settings) -> Keys:
    return Keys(settings.get("NIANBAO_REDIS_PREFIX") or "nianbao")


def connect(url: str) -> redis.Redis:
    server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30)
    server.ping()
    return server


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def beat(server, keys: Keys, worker: str) -> None:
    server.eval(BEAT, 1, keys.beat, worker)


def live_workers(server, keys: Keys) -> dict[str, str]:
    """Workers that beat within STALE_S and have not finished: name → busy|idle."""
    now = int(server.time()[0])
    beats = {k.decode(): int(v) for k, v in server.hgetall(keys.beat).items()}
    states = {k.decode(): v.decode() for k, v in server.hgetall(keys.workers).items()}
    return {w: s for w, s in states.items() if s in ("busy", "idle") and now - beats.get(w, 0) < STALE_S}


def crawl_done(server, keys: Keys, worker: str) -> bool:
    """Mark `worker` idle; True when the whole crawl is done (start requests all queued, queue
    empty, no live worker busy)."""
    return bool(server.eval(IDLE, 4, keys.requests, keys.workers, keys.beat, keys.seeded, worker, STALE_S))


def claim_recheck(server, keys: Keys, run_id: int, url: str) -> bool:
    """True for the one worker that asks again for an unlisted report in run `run_id`: every
    worker finds the same unlisted URLs when the crawl falls idle, and each worker's captures
    reach the archive only when its writer commits, so the archive cannot tell them apart."""
    key = f"{keys.prefix}:recheck:{run_id}"
    pipe = server.pipeline()
    pipe.sadd(key, url)
    pipe.expire(key, 7 * 24 * 3600)
    return bool(pipe.execute()[0])


def same_archive(info: dict, db_path: str) -> bool:
    """Does this worker write the coordinator's archive file (same host, same path)?"""
    return info.get("host") == socket.gethostname() and info.get("db") == os.path.abspath(db_path)


def lists(server, keys: Keys) -> dict[str, set[str]]:
    """The lists every worker together read to their end, with the report URLs they showed."""
    pending = {k.decode(): int(v) for k, v in server.hgetall(keys.pending).items()}
    ok = {m.decode() for m in server.smembers(keys.lists_ok)}
    failed = {m.decode() for m in server.smembers(keys.lists_failed)}
    complete = {sid for sid in ok - failed if not pending.get(sid)}
    return {sid: {m.decode() for m in server.smembers(keys.seen(sid))} for sid in complete}


class ClaimingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop also marks the worker busy (one Redis script)."""

    def pop(self, timeout=0):
        settings = self.spider.crawler.settings
        data = self.server.eval(POP, 2, self.key, keys_of(settings).workers, settings.get("NIANBAO_WORKER_ID"))
        return self._decode_request(data) if data else None


def source_entries(sources) -> list[dict]:
    """Registry entries of the run's sources, published in the run info for remote workers."""
    return [{k: v for k, v in asdict(s).items() if v not in (None, [], {})} for s in sources]


def write_registry(info: dict) -> str:
    """The run's sources as the coordinator published them, in a registry file of this worker's own
    (a remote worker reads no file of the archive's machine)."""
    fd, path = tempfile.mkstemp(prefix="nianbao-remote-", suffix=".yml")
    os.close(fd)
    registry.dump(info.get("source_entries") or [], path)
    return path
