"""One crawl at a time per archive: an exclusive lock on `<db>.lock`.

`flock` on a file beside the archive: the kernel drops it when the holder exits, however it exits
(SIGKILL, power loss of the process), so there is never a stale lock to clean up by hand. The file
holds the holder's pid, for the message a second start prints. It is opened without truncation,
so a start that fails to get the lock does not erase the holder's pid. The descriptor is not
inherited by programs the holder executes (Python opens files close-on-exec), so the worker
processes of a distributed crawl do not hold it; the coordinator does.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

# Locks this process holds, by lock file: taking one again is a no-op (`nianbao crawl` takes the
# lock, then the crawl run extension of the spider it starts asks for it too).
_HELD: dict[str, "ArchiveLock"] = {}


class ArchiveBusy(RuntimeError):
    """Another process holds the archive's crawl lock."""

    def __init__(self, db: str | Path, pid: int | None):
        self.db, self.pid = str(db), pid
        holder = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another crawl of {db} is running ({holder})")


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.lock")


class ArchiveLock:
    def __init__(self, db: str | Path):
        self.db = str(db)
        self.path = lock_path(db)
        self._fd: int | None = None
        self._nested = False

    def acquire(self) -> "ArchiveLock":
        """Take the lock or raise ArchiveBusy at once (never waits: a scheduler's next tick retries)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.path)
        if key in _HELD:
            self._nested = True
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            raise ArchiveBusy(self.db, int(text) if text.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _HELD[key] = self
        return self

    def release(self) -> None:
        if self._nested:
            self._nested = False
            return
        if self._fd is not None:
            _HELD.pop(os.path.realpath(self.path), None)
            os.ftruncate(self._fd, 0)   # no pid left behind for a reader to blame
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self._nested

    def __enter__(self) -> "ArchiveLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
