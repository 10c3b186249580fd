"""Distributed crawl mode: several worker processes, one Redis, one archive.

`nianbao crawl --redis redis://host:port/db --workers N` is the *coordinator*: it opens the one
`crawl_runs` row, publishes the run in Redis, starts N local worker processes, waits for them
(and for any worker that joined with `nianbao crawl --redis URL --worker`), then closes the run.

What is shared, and where:
- Redis (scrapy-redis): the request queue `<p>:requests` (priority zset) and the dupefilter
  `<p>:dupefilter`, so each request is fetched once whichever worker yields it; the start requests
  are pushed once (the first worker to win `<p>:seed`). `SCHEDULER_PERSIST` is on: a worker that
  closes must not flush what the others still need; the coordinator clears the keys itself.
- The SQLite archive: every worker writes captures, reports and versions directly (WAL,
  `BEGIN IMMEDIATE` per item, 60 s busy timeout: archive/writer.py). The coordinator opens (and
  migrates) the file before any worker starts. Each worker appends to its own WARC file; the
  content-addressed dedup reads the rows the others committed, so identical bytes fetched by two
  workers at the same instant may be written twice (two valid records), never lost.
- The run: ONE `crawl_runs` row per distributed crawl; every capture of every worker carries its
  id. Each worker process has a `crawl_workers` row (run_id, worker, its WARC file, its stats); the
  coordinator closes the run with the workers' summed counters and `nianbao/workers`.
- List completeness (which alone can prove a report gone): list requests in flight, lists read and
  lists failed are counted in Redis across workers, the report URLs each worker met are merged
  there, and the coordinator marks gone reports once every worker finished.

Termination: a worker is idle when Scrapy is (nothing in flight, shared queue empty). It then
marks itself idle and closes only if the start requests are all queued, the queue is empty and no
other live worker is busy; popping a request marks the worker busy in the same Redis script, so
no request can be in flight unseen. A worker whose heartbeat is older than `STALE_S` is ignored
(it died; the requests it had popped are lost for this run, a later crawl fetches them).

Politeness across workers: Scrapy's per-host concurrency and delay are per process, so N workers
would hit a host N times as often. Here the per-host concurrency is divided by the planned worker
count, and (stricter) each request holds a per-host lock in Redis from right before it is sent
until its answer is in, then leaves a cooldown of the local slot's delay (DOWNLOAD_DELAY,
AutoThrottle, robots.txt Crawl-delay and the source's own `download_delay` all land in that
delay): across all workers, one request in flight per host, and the delay between one answer and
the next request. A plain time-slot reservation is not enough: a worker busy extracting a report
sends its reserved request late, bunched with the next worker's. Requests Chromium makes itself
for a rendered page (scripts, XHR) are not paced (the page holds the lock while it renders).
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import subprocess
import time
import warnings
from types import SimpleNamespace
from urllib.parse import urlparse

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from archive.writer import utcnow
from crawler.runstate import RunState
from crawler.spiders.nianbao import NianbaoSpider

# scrapy-redis 0.9.1 still passes `spider=` to the stats collector on every enqueue/dequeue.
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector",
                        category=ScrapyDeprecationWarning)

STALE_S = 30          # a worker silent this long is dead
BEAT_S = 0.5          # heartbeat, and how often an idle worker looks at the shared queue

# Pop the best request and mark the worker busy, atomically (else a peer could see an empty
# queue and an idle worker while a request is on its way).
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 'busy')
return r[1]
"""
# Mark this worker idle; 1 when the whole crawl is done.
_IDLE = """
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
_BEAT = "redis.call('HSET', KEYS[1], ARGV[1], redis.call('TIME')[1]) return 1"
# One request in flight per host across all workers, then a cooldown of the delay before the next
# one may start. 0 = claimed; > 0 = cooling down for that many ms; -1 = in flight elsewhere.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == 'cool' then return math.max(redis.call('PTTL', KEYS[1]), 1) end
return -1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], 'cool', 'PX', ARGV[2])
else redis.call('DEL', KEYS[1]) end
return 1
"""
POLL_S = 0.05   # how often a request waiting for a host held elsewhere asks again


class Keys:
    def __init__(self, prefix: str = "nianbao"):
        p = self.prefix = prefix
        self.run, self.seed, self.seeded = f"{p}:run", f"{p}:seed", f"{p}:seeded"
        self.requests, self.dupefilter = f"{p}:requests", f"{p}:dupefilter"
        self.workers, self.beat = f"{p}:workers", f"{p}:beat"
        self.pending, self.lists_ok, self.lists_failed = f"{p}:lists:pending", f"{p}:lists:ok", f"{p}:lists:failed"

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


def live_workers(server, keys: Keys) -> dict[str, str]:
    """Workers that beat within STALE_S and have not finished: name → busy|idle."""
    now = int(server.time()[0])
    beats = {k.decode(): int(v) for k, v in server.hgetall(keys.beat).items()}
    states = {k.decode(): v.decode() for k, v in server.hgetall(keys.workers).items()}
    return {w: s for w, s in states.items() if s in ("busy", "idle") and now - beats.get(w, 0) < STALE_S}


def _same_archive(info: dict, db_path: str) -> bool:
    return info.get("host") == socket.gethostname() and info.get("db") == os.path.abspath(db_path)


# ---------------------------------------------------------------- worker side
class ClaimingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop also marks the worker busy (one Redis script)."""

    def pop(self, timeout=0):
        settings = self.spider.crawler.settings
        data = self.server.eval(_POP, 2, self.key, keys_of(settings).workers, settings.get("NIANBAO_WORKER_ID"))
        return self._decode_request(data) if data else None


class DistributedRunState(RunState):
    """RunState whose run is the coordinator's and whose list bookkeeping is shared in Redis."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.redis = connect(settings.get("REDIS_URL"))
        self.keys = keys_of(settings)
        self.worker = settings.get("NIANBAO_WORKER_ID")
        raw = self.redis.get(self.keys.run)
        if raw is None:
            raise RuntimeError("no distributed crawl is running on this Redis (start one with "
                               "`nianbao crawl --redis URL --workers N`)")
        self.info = json.loads(raw)
        self.shared_archive = _same_archive(self.info, settings.get("NIANBAO_DB"))
        # In the coordinator's archive the run row is the coordinator's; a worker writing another
        # archive file (another machine) keeps a run row of its own there.
        self.run_id = self.info["run_id"] if self.shared_archive else self.archive.start_run(sorted(self.sources))

    def list_open(self, sid: str) -> None:
        super().list_open(sid)
        self.redis.hincrby(self.keys.pending, sid, 1)

    def list_close(self, sid: str, ok: bool) -> None:
        super().list_close(sid, ok)
        self.redis.hincrby(self.keys.pending, sid, -1)
        self.redis.sadd(self.keys.lists_ok if ok else self.keys.lists_failed, sid)

    def load_interrupted(self) -> None:
        """The coordinator closed the interrupted runs; every worker skips what they archived."""
        runs = self.info.get("interrupted") or [] if self.shared_archive else []
        self.interrupted_runs = list(runs)
        if runs:
            marks = ",".join("?" * len(runs))
            self.resume_urls = {u for (u,) in self.archive.db.execute(
                f"SELECT DISTINCT url FROM captures WHERE outcome = 'ok' AND run_id IN ({marks})", runs).fetchall()}


class DistributedSpider(NianbaoSpider):
    """The nianbao spider; only the worker that wins `<p>:seed` yields the start requests."""

    name = "nianbao"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        # Before any middleware or extension asks for RunState.of(crawler).
        crawler._nianbao_state = DistributedRunState(crawler)
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self):
        state = self.state
        if not state.redis.set(state.keys.seed, state.worker, nx=True):
            return
        async for request in super().start():
            yield request
        # Reached only when the engine asks for more: the last start request is queued by now.
        state.redis.set(state.keys.seeded, state.worker)


class WorkerExtension:
    """One worker's life in the crawl: its `crawl_workers` row, heartbeat, idle/finish protocol."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.loop = None
        self.started = utcnow()
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def state(self) -> DistributedRunState:
        return RunState.of(self.crawler)

    def opened(self, spider):
        st = self.state
        st.load_interrupted()
        with st.archive.transaction() as db:
            db.execute("INSERT INTO crawl_workers (run_id, worker, host, pid, started_at) VALUES (?,?,?,?,?)",
                       [st.run_id, st.worker, socket.gethostname(), os.getpid(), self.started])
        st.redis.eval(_BEAT, 1, st.keys.beat, st.worker)
        st.redis.hset(st.keys.workers, st.worker, "busy")
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(BEAT_S, now=False)

    def tick(self):
        st = self.state
        try:
            st.redis.eval(_BEAT, 1, st.keys.beat, st.worker)
            # Scrapy's own engine heartbeat is 5 s: look at the shared queue more often.
            engine = self.crawler.engine
            if engine and engine._slot and st.redis.zcard(st.keys.requests):
                engine._slot.nextcall.schedule()
        except redis.RedisError as e:   # keep beating; the idle check will fail loudly if Redis is gone
            spider = self.crawler.spider
            if spider:
                spider.logger.warning("redis heartbeat failed: %s", e)

    def idle(self, spider):
        st = self.state
        done = st.redis.eval(_IDLE, 4, st.keys.requests, st.keys.workers, st.keys.beat, st.keys.seeded,
                             st.worker, STALE_S)
        if not done:
            raise DontCloseSpider

    def closed(self, spider, reason):
        st = self.state
        if self.loop and self.loop.running:
            self.loop.stop()
        for sid, urls in st.seen_reports.items():
            if urls:
                st.redis.sadd(st.keys.seen(sid), *urls)
        stats = dict(self.crawler.stats.get_stats())
        stats.update({f"nianbao/{k}": v for k, v in st.counters.items()})
        status = "finished" if reason == "finished" else "aborted"
        warc = st.archive._warc.name if st.archive._warc and st.archive._warc._fh is not None else None
        with st.archive.transaction() as db:
            db.execute("UPDATE crawl_workers SET finished_at = ?, status = ?, finish_reason = ?, warc_file = ?,"
                       " stats = ? WHERE run_id = ? AND worker = ?",
                       [utcnow(), status, reason, warc, st.stats_json(stats), st.run_id, st.worker])
        if not st.shared_archive:
            st.archive.finish_run(st.run_id, status, f"worker of distributed run {st.info['run_id']}: {reason}", stats)
        st.redis.hset(st.keys.workers, st.worker, "done" if status == "finished" else "aborted")
        st.archive.close()


class PacedDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """The project's download handler, holding the host's shared lock while a request is out.

    Claimed right before sending and released (into a cooldown of the local slot's delay) when the
    answer is in, so the next request to the host, from any worker, reaches it only after the
    previous answer plus the delay, however late any process's event loop runs."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pacer_crawler = crawler
        self._redis = connect(crawler.settings.get("REDIS_URL"))
        self._keys = keys_of(crawler.settings)
        self._on = crawler.settings.getbool("NIANBAO_SHARED_PACING", True)
        self._lease_ms = int((crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 60) * 1000)
        self._worker = crawler.settings.get("NIANBAO_WORKER_ID")
        self._n = 0

    async def download_request(self, request, *args, **kwargs):
        if not self._on:
            return await super().download_request(request, *args, **kwargs)
        key = self._keys.pace(urlparse(request.url).hostname or "")
        self._n += 1
        token = f"{self._worker}:{self._n}"
        waited = 0.0
        while (ms := self._redis.eval(_CLAIM, 1, key, token, self._lease_ms)) != 0:
            pause = ms / 1000 if ms > 0 else POLL_S
            waited += pause
            await asyncio.sleep(pause)
        if waited:
            self._pacer_crawler.stats.inc_value("nianbao/shared_pacing_waits")
        try:
            return await super().download_request(request, *args, **kwargs)
        finally:
            downloader = self._pacer_crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            cooldown = int((slot.delay if slot is not None else 0.0) * 1000)
            self._redis.eval(_RELEASE, 1, key, token, cooldown)


def configure_worker(settings, redis_url: str) -> dict:
    """Turn crawl settings into a worker's; returns the published run info."""
    server = connect(redis_url)
    keys = keys_of(settings)
    raw = server.get(keys.run)
    if raw is None:
        raise RuntimeError(f"no distributed crawl is running on {redis_url}")
    info = json.loads(raw)
    planned = max(1, int(info.get("workers") or 1))
    per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions.update({"crawler.extensions.CrawlRunExtension": None, "crawler.distributed.WorkerExtension": 100})
    for k, v in {
        "REDIS_URL": redis_url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ClaimingQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_PERSIST": True,
        "NIANBAO_WORKER_ID": worker_name(),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, math.ceil(per_host / planned)),
        # Nothing to pace when there is no delay at all (`--impolite` benchmarks).
        "NIANBAO_SHARED_PACING": settings.getbool("NIANBAO_SHARED_PACING", True) and (
            settings.getbool("AUTOTHROTTLE_ENABLED") or settings.getfloat("DOWNLOAD_DELAY") > 0),
        "EXTENSIONS": extensions,
        "DOWNLOAD_HANDLERS": {"http": "crawler.distributed.PacedDownloadHandler",
                              "https": "crawler.distributed.PacedDownloadHandler"},
    }.items():
        settings.set(k, v, priority="cmdline")
    return info


def run_worker(settings, redis_url: str) -> None:
    from scrapy.crawler import CrawlerProcess
    configure_worker(settings, redis_url)
    process = CrawlerProcess(settings)
    process.crawl(DistributedSpider)
    process.start()


# ---------------------------------------------------------------- coordinator side
def coordinate(settings, redis_url: str, workers: int, worker_cmd: list[str], echo=print) -> dict:
    """Open the run, start `workers` local worker processes (`worker_cmd`), wait for every worker
    (remote ones included), close the run. Returns the run's summary."""
    server = connect(redis_url)
    keys = keys_of(settings)
    if server.exists(keys.run) and live_workers(server, keys):
        raise RuntimeError(f"a distributed crawl is already running on {redis_url} "
                           f"(workers: {', '.join(sorted(live_workers(server, keys)))})")
    for k in keys.all(server):
        server.delete(k)
    state = RunState(SimpleNamespace(settings=settings))   # opens and migrates the archive first
    archive = state.archive
    state.run_id = archive.start_run(sorted(state.sources))
    state.load_interrupted()
    db_path = os.path.abspath(settings.get("NIANBAO_DB"))
    server.set(keys.run, json.dumps({"run_id": state.run_id, "db": db_path, "host": socket.gethostname(),
                                     "workers": workers, "interrupted": state.interrupted_runs,
                                     "sources": sorted(state.sources), "started_at": utcnow()}))
    started = time.monotonic()
    # Own sessions: a Ctrl-C reaches the coordinator only, which passes one SIGINT (Scrapy's
    # graceful stop) to each worker; a second one would make them stop uncleanly.
    procs = [subprocess.Popen(worker_cmd, start_new_session=True) for _ in range(workers)]
    echo(f"distributed run {state.run_id}: {workers} local workers on {redis_url}")
    interrupted = False
    try:
        codes = [p.wait() for p in procs]
        while live_workers(server, keys):     # workers that joined from elsewhere
            time.sleep(BEAT_S)
    except KeyboardInterrupt:
        interrupted = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(2)
        codes = [p.wait() for p in procs]
    summary = finish(server, keys, archive, state.run_id, codes, interrupted, time.monotonic() - started)
    for k in keys.all(server):
        server.delete(k)
    archive.close()
    from archive import figures
    figures.refresh(db_path)
    return summary


def _sum_stats(rows: list[dict]) -> dict:
    total: dict = {}
    for stats in rows:
        for k, v in stats.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith(("_time", "/max")):
                total[k] = total.get(k, 0) + v
    return total


def finish(server, keys: Keys, archive, run_id: int, codes: list[int], interrupted: bool, seconds: float) -> dict:
    rows = [dict(zip(("worker", "status", "reason", "warc_file", "stats"), r)) for r in archive.db.execute(
        "SELECT worker, status, finish_reason, warc_file, stats FROM crawl_workers WHERE run_id = ? ORDER BY id",
        [run_id]).fetchall()]
    worker_stats = [json.loads(r["stats"] or "{}") for r in rows]
    finished = bool(rows) and not interrupted and all(c == 0 for c in codes) \
        and all(r["status"] == "finished" for r in rows)
    pending = {k.decode(): int(v) for k, v in server.hgetall(keys.pending).items()}
    ok = {m.decode() for m in server.smembers(keys.lists_ok)}
    failed = {m.decode() for m in server.smembers(keys.lists_failed)}
    complete = {sid for sid in ok - failed if not pending.get(sid)}
    gone = []
    if finished:
        # Only lists walked to their end by the workers together can prove a report disappeared.
        for sid in sorted(complete):
            gone += archive.mark_gone(sid, {m.decode() for m in server.smembers(keys.seen(sid))})
    stats = _sum_stats(worker_stats)
    sources = json.loads(archive.db.execute("SELECT sources FROM crawl_runs WHERE id = ?", [run_id]).fetchone()[0])
    stats.update({
        "nianbao/distributed": True, "nianbao/gone": len(gone), "nianbao/complete_lists": sorted(complete),
        "nianbao/incomplete_lists": sorted(set(sources) - complete), "elapsed_time_seconds": round(seconds, 3),
        "nianbao/workers": [{"worker": r["worker"], "status": r["status"], "reason": r["reason"],
                             "warc_file": r["warc_file"],
                             "captures": sum(v for k, v in s.items() if k.startswith("nianbao/outcome/")),
                             "reports_new": s.get("nianbao/report_versions_new", 0),
                             "attachments": s.get("nianbao/attachments", 0)}
                            for r, s in zip(rows, worker_stats)],
        "nianbao/worker_exit_codes": codes,
    })
    reason = "interrupted" if interrupted else "finished" if finished else "worker failed"
    archive.finish_run(run_id, "finished" if finished else "aborted", reason, stats)
    return {"run_id": run_id, "status": "finished" if finished else "aborted", "reason": reason,
            "workers": stats["nianbao/workers"], "gone": len(gone), "seconds": round(seconds, 1)}
