"""The way from remote workers to the one writer: a bounded Redis Stream with back-pressure.

A remote worker (`nianbao crawl --redis URL --worker --remote`) has no archive. Everything it
would have written — captures with their bytes and the request/response material of their WARC
records, extracted documents, list bookkeeping, its stats — becomes one stream entry
(`Sender.send`), in the order it happened. The writer (`nianbao ingest`, or a coordinator) reads
them through a consumer group (`Reader`), applies each to the archive (archive/ingest.py) and only
then acknowledges and deletes it: a writer that dies leaves its unacknowledged entries pending,
and the next writer reads those first.

Bounded, never lossy: XADD's MAXLEN would drop entries nobody has read, so the stream is bounded
by back-pressure instead. Before adding, a worker waits (beating its heartbeat) while the stream
holds `max_messages` entries or `max_bytes` bytes (bodies included, counted in `<p>:ingest:bytes`
by the sender in the same transaction as the XADD and given back by the writer with the XDEL).
One entry always fits an empty stream, so a body larger than the bound still goes, alone.
Entries the writer holds back unacknowledged (an attachment whose report page another worker has
not sent yet, `Reader.park`) do not count against the bound: if they did, enough of them would
fill it, and the worker holding the pages would wait for room forever while the writer waits for
those pages. A new writer starts the count afresh (it reads every pending entry again). Bodies
larger than INLINE_BYTES go into their own key (`<p>:blob:<uuid>`, written in CHUNK_BYTES pieces,
with a TTL in case its entry never lands), read back in pieces and deleted with the entry.
Several workers adding at the same instant may overshoot the bounds by one entry each.

Entries carry JSON and bytes, never pickles: the writer holding the archive unpickles nothing.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import redis

from crawler.distributed.protocol import Keys

GROUP = CONSUMER = "writer"        # one writer: a restarted one is the same consumer, its pending first
MAX_MESSAGES = 1000
MAX_BYTES = 64 * 1024 * 1024
INLINE_BYTES = 256 * 1024
CHUNK_BYTES = 1024 * 1024
BLOB_TTL_S = 3 * 24 * 3600         # only for a blob whose entry never landed (worker killed in between)
WAIT_S = 0.1


class BlobLost(RuntimeError):
    """An entry's body is no longer in Redis (its key expired or was deleted)."""


@dataclass
class Message:
    id: bytes
    kind: str
    worker: str
    meta: dict
    size: int
    body: bytes | None = None
    blob: str | None = None
    redelivered: bool = False      # read again after a writer died before acknowledging it
    parked: bool = False           # held back by the writer (Reader.park)


class Sender:
    """A remote worker's end: `send(kind, meta, body)` waits for room, then adds one entry."""

    def __init__(self, server: redis.Redis, keys: Keys, worker: str, *, max_messages: int = MAX_MESSAGES,
                 max_bytes: int = MAX_BYTES, on_wait=None):
        self.server, self.keys, self.worker = server, keys, worker
        self.max_messages, self.max_bytes = max(1, max_messages), max(1, max_bytes)
        self.on_wait = on_wait           # called while waiting (the worker's heartbeat)
        self.waits = 0                   # how many sends had to wait
        self.waited_s = 0.0
        self.sent = 0
        self.sent_bytes = 0

    def room(self, size: int) -> bool:
        pipe = self.server.pipeline(transaction=True)
        pipe.xlen(self.keys.stream)
        pipe.get(self.keys.stream_bytes)
        pipe.hmget(self.keys.stream_parked, "n", "bytes")
        n, used, (parked_n, parked_bytes) = pipe.execute()
        n -= int(parked_n or 0)                  # held back by the writer: not waiting to be read
        if n <= 0:
            return True
        used = int(used or 0) - int(parked_bytes or 0)
        return n < self.max_messages and used + size <= self.max_bytes

    def wait_room(self, size: int) -> None:
        start = None
        while not self.room(size):
            if start is None:
                start = time.monotonic()
                self.waits += 1
            if self.on_wait:
                self.on_wait()
            time.sleep(WAIT_S)
        if start is not None:
            self.waited_s += time.monotonic() - start

    def send(self, kind: str, meta: dict, body: bytes | None = None) -> None:
        data = json.dumps(meta, ensure_ascii=False, default=str).encode()
        size = len(data) + (len(body) if body is not None else 0)
        self.wait_room(size)
        fields: dict = {"t": kind, "w": self.worker, "j": data, "n": size}
        if body is not None and len(body) > INLINE_BYTES:
            name = uuid.uuid4().hex
            key = self.keys.blob(name)
            for i in range(0, len(body), CHUNK_BYTES):
                self.server.append(key, body[i:i + CHUNK_BYTES])
                if i == 0:
                    self.server.expire(key, BLOB_TTL_S)
            fields["blob"] = name
        elif body is not None:
            fields["b"] = body
        pipe = self.server.pipeline(transaction=True)
        pipe.xadd(self.keys.stream, fields)
        pipe.incrby(self.keys.stream_bytes, size)
        pipe.execute()
        self.sent += 1
        self.sent_bytes += size


class Reader:
    """The writer's end: `read()` entries (its own unacknowledged ones first), `ack()` them once
    applied (acknowledged, deleted, their bytes and blobs given back)."""

    def __init__(self, server: redis.Redis, keys: Keys):
        self.server, self.keys = server, keys
        try:
            server.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
        server.delete(keys.stream_parked)   # what an earlier writer held back, it reads again
        # Where the reading of what a writer before us read and never acknowledged has got to: each
        # such entry is read once. Read from "0" every time, an entry this writer holds back again
        # (its page not written yet) came back on every read, forever, and nothing new was read.
        self.backlog_from: bytes | str | None = "0"

    def read(self, count: int = 100, block_ms: int = 500) -> list[Message]:
        while self.backlog_from is not None:
            got = self.server.xreadgroup(GROUP, CONSUMER, {self.keys.stream: self.backlog_from}, count=count)
            entries = [e for _, es in got or [] for e in es]
            if not entries:
                self.backlog_from = None
                break
            self.backlog_from = entries[-1][0]
            out = self._decode(got, redelivered=True)
            if out:
                return out
        got = self.server.xreadgroup(GROUP, CONSUMER, {self.keys.stream: ">"}, count=count, block=block_ms)
        return self._decode(got, redelivered=False)

    def _decode(self, got, redelivered: bool) -> list[Message]:
        out = []
        for _, entries in got or []:
            for mid, f in entries:
                if not f:          # deleted but still pending (acknowledged by nobody): drop it
                    self.server.xack(self.keys.stream, GROUP, mid)
                    continue
                out.append(Message(id=mid, kind=f[b"t"].decode(), worker=f[b"w"].decode(),
                                   meta=json.loads(f[b"j"]), size=int(f[b"n"]), body=f.get(b"b"),
                                   blob=f[b"blob"].decode() if b"blob" in f else None,
                                   redelivered=redelivered))
        return out

    def body(self, msg: Message) -> bytes | None:
        """The entry's body, read from its blob in pieces when it is one."""
        if msg.blob is None:
            return msg.body
        key = self.keys.blob(msg.blob)
        n = self.server.strlen(key)
        if not n:
            raise BlobLost(f"body {msg.blob} of a {msg.kind} from {msg.worker} is no longer in Redis")
        return b"".join(self.server.getrange(key, i, min(i + CHUNK_BYTES, n) - 1) for i in range(0, n, CHUNK_BYTES))

    def park(self, msg: Message) -> None:
        """Hold `msg` back unacknowledged (written later, or read again by a new writer); it no
        longer counts against the senders' bound."""
        if msg.parked:
            return
        msg.parked = True
        pipe = self.server.pipeline(transaction=True)
        pipe.hincrby(self.keys.stream_parked, "n", 1)
        pipe.hincrby(self.keys.stream_parked, "bytes", msg.size)
        pipe.execute()

    def ack(self, messages: list[Message]) -> None:
        if not messages:
            return
        ids = [m.id for m in messages]
        pipe = self.server.pipeline(transaction=True)
        pipe.xack(self.keys.stream, GROUP, *ids)
        pipe.xdel(self.keys.stream, *ids)
        pipe.decrby(self.keys.stream_bytes, sum(m.size for m in messages))
        parked = [m for m in messages if m.parked]
        if parked:
            pipe.hincrby(self.keys.stream_parked, "n", -len(parked))
            pipe.hincrby(self.keys.stream_parked, "bytes", -sum(m.size for m in parked))
        blobs = [self.keys.blob(m.blob) for m in messages if m.blob]
        if blobs:
            pipe.delete(*blobs)
        pipe.execute()

    def backlog_size(self) -> int:
        """Entries not yet acknowledged (read or not)."""
        return int(self.server.xlen(self.keys.stream))
