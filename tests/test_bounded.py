"""A document that hangs, eats memory or kills its worker costs only its own limits."""
from __future__ import annotations

import asyncio
import os
import time

from pipelines.bounded import BoundedExtractor


def _slow(data, url, headers):
    time.sleep(30)
    return {}


def _greedy(data, url, headers):
    hog = [bytearray(64 * 1024 * 1024) for _ in range(64)]   # 4 GB
    return {"n": len(hog)}


def _dies(data, url, headers):
    os._exit(9)


def _fine(data, url, headers):
    return {"error": None, "url": url, "n": len(data)}


def _run(extractor, fn_results):
    async def go():
        return [await extractor.extract(b"%PDF-1.4 x", url, {}) for url in fn_results]
    return asyncio.run(go())


def test_timeout_memory_and_death_are_recorded_and_the_next_document_is_read():
    for fn, code in ((_slow, "extract_timeout"), (_greedy, None), (_dies, "extract_worker_died")):
        ex = BoundedExtractor(processes=1, timeout=3, memory_mb=512, function=fn)
        try:
            t0 = time.monotonic()
            bad = _run(ex, ["http://s.test/a.pdf"])[0]
            assert time.monotonic() - t0 < 20
            assert bad["error"]["code"] in ({code} if code else {"extract_memory", "extract_worker_died"})
            assert bad["doc_type"] == "pdf" and bad["cells"] == []
            ex.function = _fine   # the pool replaced its worker: the next document is read
            assert _run(ex, ["http://s.test/b.pdf"])[0]["n"] == len(b"%PDF-1.4 x")
        finally:
            ex.close()


def _pid(data, url, headers):
    return {"error": None, "url": url, "pid": os.getpid()}


def test_worker_is_recycled_after_max_tasks():
    ex = BoundedExtractor(processes=1, timeout=30, memory_mb=512, function=_pid, max_tasks=2)
    try:
        pids = [d["pid"] for d in _run(ex, [f"http://s.test/{i}.pdf" for i in range(5)])]
    finally:
        ex.close()
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4], pids
