"""One worker of a distributed crawl: its run state (lists shared in Redis), its spider (only the
first worker seeds the start requests), its extension (worker row, heartbeat, idle/finish
protocol), the download handler that paces each host across workers, and its settings."""
from __future__ import annotations

import asyncio
import json
import math
import os
import warnings
from urllib.parse import urlparse

import redis
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, ScrapyDeprecationWarning
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from twisted.internet import task

from archive.ledger import utcnow
from crawler import meta as M
from crawler.distributed import protocol
from crawler.distributed.protocol import BEAT_S, POLL_S, connect, keys_of
from crawler.runstate import RunState
from crawler.spiders.nianbao import NianbaoSpider

# scrapy-redis 0.9.1 still passes `spider=` to the stats collector on every enqueue/dequeue.
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector",
                        category=ScrapyDeprecationWarning)


class DistributedRunState(RunState):
    """RunState whose run is the coordinator's and whose list bookkeeping is shared in Redis."""

    def __init__(self, settings):
        super().__init__(settings)
        self.redis = connect(settings.get("REDIS_URL"))
        self.keys = keys_of(settings)
        self.worker = settings.get("NIANBAO_WORKER_ID")
        raw = self.redis.get(self.keys.run)
        if raw is None:
            raise RuntimeError("no distributed crawl is running on this Redis (start one with "
                               "`nianbao crawl --redis URL --workers N`)")
        self.info = json.loads(raw)
        self.shared_archive = self.shares_archive(settings)
        # In the coordinator's archive the run row is the coordinator's; a worker writing another
        # archive file (another machine) keeps a run row of its own there.
        self.run_id = self.info["run_id"] if self.shared_archive else self.ledger.start_run(sorted(self.sources))

    def shares_archive(self, settings) -> bool:
        """Does this worker write the coordinator's archive (and run)?"""
        return protocol.same_archive(self.info, settings.get("NIANBAO_DB"))

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
        self.resume_urls = self.ledger.resume_urls(runs)


class DistributedSpider(NianbaoSpider):
    """The nianbao spider; only the worker that wins `<p>:seed` yields the start requests."""

    name = "nianbao"

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
        self.state: DistributedRunState = RunState.of(crawler)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.drop_wake, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        st = self.state
        st.load_interrupted()
        st.ledger.add_worker(st.run_id, st.worker, self.started)
        protocol.beat(st.redis, st.keys, st.worker)
        st.redis.hset(st.keys.workers, st.worker, "busy")
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(BEAT_S, now=False)

    def tick(self):
        st = self.state
        try:
            protocol.beat(st.redis, st.keys, st.worker)
            # Scrapy's own engine heartbeat is 5 s: look at the shared queue more often.
            if st.redis.zcard(st.keys.requests):
                self.wake()
        except redis.RedisError as e:   # keep beating; the idle check will fail loudly if Redis is gone
            spider = self.crawler.spider
            if spider:
                spider.logger.warning("redis heartbeat failed: %s", e)

    def wake(self):
        """Make the engine ask the scheduler for requests now. Scrapy has no public call for
        that; `engine.crawl()` schedules one, and this placeholder request is dropped by
        `drop_wake` (a request_scheduled handler) before it reaches the scheduler."""
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        try:
            engine.crawl(scrapy.Request("data:,", meta={M.WAKE: True}, dont_filter=True))
        except (RuntimeError, AttributeError):   # the engine is closing
            pass

    def drop_wake(self, request, spider=None):
        if request.meta.get(M.WAKE):
            raise IgnoreRequest

    def idle(self, spider):
        st = self.state
        if not protocol.crawl_done(st.redis, st.keys, st.worker):
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
        st.ledger.finish_worker(st.run_id, st.worker, status, reason, stats)
        if not st.shared_archive:
            st.ledger.finish_run(st.run_id, status, f"worker of distributed run {st.info['run_id']}: {reason}", stats)
        st.redis.hset(st.keys.workers, st.worker, "done" if status == "finished" else "aborted")
        st.ledger.close()


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
        while (ms := self._redis.eval(protocol.CLAIM, 1, key, token, self._lease_ms)) != 0:
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
            self._redis.eval(protocol.RELEASE, 1, key, token, cooldown)


def configure_worker(settings, redis_url: str, remote: bool = False) -> dict:
    """Turn crawl settings into a worker's (`remote`: one without the archive, which sends what
    it fetched and extracted to the writer: crawler/distributed/remote.py); returns the published
    run info."""
    server = connect(redis_url)
    keys = keys_of(settings)
    raw = server.get(keys.run)
    if raw is None:
        raise RuntimeError(f"no distributed crawl is running on {redis_url}")
    info = json.loads(raw)
    planned = max(1, int(info.get("workers") or 1))
    per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions.update({"crawler.extensions.CrawlRunExtension": None,
                       "crawler.distributed.worker.WorkerExtension": 100})
    for k, v in {
        "REDIS_URL": redis_url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.protocol.ClaimingQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_PERSIST": True,
        "NIANBAO_WORKER_ID": protocol.worker_name(),
        "NIANBAO_RUN_STATE": "crawler.distributed.worker.DistributedRunState",
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, math.ceil(per_host / planned)),
        # Nothing to pace when there is no delay at all (`--impolite` benchmarks).
        "NIANBAO_SHARED_PACING": settings.getbool("NIANBAO_SHARED_PACING", True) and (
            settings.getbool("AUTOTHROTTLE_ENABLED") or settings.getfloat("DOWNLOAD_DELAY") > 0),
        "EXTENSIONS": extensions,
        "DOWNLOAD_HANDLERS": {"http": "crawler.distributed.worker.PacedDownloadHandler",
                              "https": "crawler.distributed.worker.PacedDownloadHandler"},
    }.items():
        settings.set(k, v, priority="cmdline")
    if remote:
        for k, v in {
            "NIANBAO_RUN_STATE": "crawler.distributed.remote.RemoteRunState",
            "ITEM_PIPELINES": {"crawler.distributed.remote.RemotePipeline": 300},
            # the run's sources as the coordinator published them, not a file of this machine
            "NIANBAO_REGISTRY": protocol.write_registry(info),
            "NIANBAO_ONLY": None,
        }.items():
            settings.set(k, v, priority="cmdline")
    return info


def run_worker(settings, redis_url: str, remote: bool | None = None) -> None:
    from scrapy.crawler import CrawlerProcess
    if remote is None:
        remote = settings.getbool("NIANBAO_REMOTE_WORKER")
    configure_worker(settings, redis_url, remote)
    try:
        process = CrawlerProcess(settings)
        process.crawl(DistributedSpider)
        process.start()
    finally:
        if remote:
            os.unlink(settings.get("NIANBAO_REGISTRY"))
