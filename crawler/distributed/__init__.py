"""Distributed crawl mode: several worker processes, one Redis, one archive.

Modules: `protocol.py` (Redis keys and scripts, heartbeats, live workers, the claiming queue),
`worker.py` (the worker's spider, run state, extension and paced download handler),
`coordinator.py` (open the run, start and wait for the workers, close the run).

`nianbao crawl --redis redis://host:port/db --workers N` is the *coordinator*: it opens the one
`crawl_runs` row, publishes the run in Redis, starts N local worker processes, waits for them
(and for any worker that joined with `nianbao crawl --redis URL --worker`), then closes the run.

What is shared, and where:
- Redis (scrapy-redis): the request queue `<p>:requests` (priority zset) and the dupefilter
  `<p>:dupefilter`, so each request is fetched once whichever worker yields it; the start requests
  are pushed once (the first worker to win `<p>:seed`). `SCHEDULER_PERSIST` is on: a worker that
  closes must not flush what the others still need; the coordinator clears the keys itself.
- The SQLite archive: every worker writes captures, reports and versions directly (WAL,
  one immediate write transaction per item, 60 s busy timeout: archive/writer.py). The coordinator opens (and
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

import redis

from crawler.distributed.coordinator import coordinate, finish
from crawler.distributed.protocol import BEAT_S, STALE_S, ClaimingQueue, Keys, connect, keys_of, live_workers
from crawler.distributed.worker import (
                                        DistributedRunState,
                                        DistributedSpider,
                                        PacedDownloadHandler,
                                        WorkerExtension,
                                        configure_worker,
                                        run_worker,
)

__all__ = ["BEAT_S", "STALE_S", "ClaimingQueue", "DistributedRunState", "DistributedSpider", "Keys",
           "PacedDownloadHandler", "WorkerExtension", "configure_worker", "connect", "coordinate", "finish",
           "keys_of", "live_workers", "redis", "run_worker"]
