"""Extraction in worker processes with a wall-time and a memory limit per document.

One hostile or broken file (a ruled-grid PDF that takes pdfplumber minutes a page, a zip bomb,
a deeply nested PDF) must cost at most its own limits: the worker running it is killed or dies,
pebble replaces it, that document comes back as an `extract_error` document saying why, and the
crawl goes on with the next one. Workers are spawned (the crawl process holds threads and SQLite
connections) and exit when their parent does, so a SIGKILLed crawl leaves none behind.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from pipelines.extract.document import extract_document, failed
from pipelines.extract.sniff import sniff

DEFAULT_TIMEOUT_S = 60.0      # a real 年报 extracts in < 5 s; the inner limits (grid.py, sniff.py) keep bombs far below
DEFAULT_MEMORY_MB = 2048      # address space of a worker: text extractions stay under ~500 MB, OCR peaks at 1.5 GB
# A worker is replaced after this many documents: what a parser keeps (caches, fragmented heap)
# cannot grow through a whole crawl (0: never).
DEFAULT_MAX_TASKS = 500
# The error codes of a document whose extraction did not finish (the worker's fault, not the file's
# content as read): re-extraction counts them as errors and keeps the old version.
FAILURE_CODES = frozenset({"extract_timeout", "extract_worker_died", "extract_memory", "extract_error"})


def _worker_init(parent: int, memory_bytes: int | None) -> None:
    import resource
    import threading
    import time

    if memory_bytes:
        # Address space, not RSS: the only limit the kernel enforces before the OOM killer.
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def failed_document(data: bytes | None, url: str | None, code: str, message: str) -> dict:
    """The extract JSON of a document whose extraction did not finish (same shape, no content)."""
    try:
        doc_type = sniff(data) if data else "unknown"
    except Exception:  # noqa: BLE001 - sniffing a hostile file is best effort
        doc_type = "unknown"
    return failed(doc_type, url, code, message).to_json()


class BoundedExtractor:
    """`await extract(data, url, headers)` → extract JSON; never raises, never hangs past the limit."""

    def __init__(self, processes: int = 1, timeout: float = DEFAULT_TIMEOUT_S,
                 memory_mb: int | None = DEFAULT_MEMORY_MB, function=extract_document,
                 max_tasks: int = DEFAULT_MAX_TASKS):
        self.timeout = timeout
        self.function = function
        self.memory_mb = memory_mb
        self.pool = ProcessPool(max_workers=max(1, processes), max_tasks=max(0, max_tasks), initializer=_worker_init,
                                initargs=(os.getpid(), memory_mb * 1024 * 1024 if memory_mb else None),
                                context=multiprocessing.get_context("spawn"))

    async def extract(self, data: bytes, url: str | None, headers: dict | None) -> dict:
        future = self.pool.schedule(self.function, args=(data, url, headers), timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except (FutureTimeout, TimeoutError):
            return failed_document(data, url, "extract_timeout",
                                   f"extraction did not finish within {self.timeout:g} s; worker killed")
        except ProcessExpired as e:
            return failed_document(data, url, "extract_worker_died",
                                   f"extraction worker died (exit code {e.exitcode}); memory limit "
                                   f"{self.memory_mb} MB" if self.memory_mb else f"exit code {e.exitcode}")
        except MemoryError:
            return failed_document(data, url, "extract_memory",
                                   f"extraction exceeded the memory limit of {self.memory_mb} MB")
        except Exception as e:  # noqa: BLE001 - a pickling or pool error must not stop the crawl
            return failed_document(data, url, "extract_error", f"{type(e).__name__}: {e}"[:500])

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=10)
