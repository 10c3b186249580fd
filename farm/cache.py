"""On-disk cache of generated report bodies, so a fresh Farm's first manifest does not regenerate
every report (several seconds of PDF/DOCX/XLSX building).

Entries live under `$NIANBAO_FARM_CACHE` (default `<tmp>/nianbao-farm-<uid>/`) in a directory
named after a hash of the generator's code, its data files and the versions of the libraries that
write the binaries — any change there starts a fresh directory. `NIANBAO_FARM_CACHE=off` disables
the cache. Writes are atomic (temp file + rename), so parallel farms can share it.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

FARM = Path(__file__).resolve().parent
# Modules that do not influence generated bodies (portals, server, …) stay out of the key.
NOT_GENERATOR = {"__init__.py", "__main__.py", "server.py", "manifest.py", "fixtures.py", "cache.py"}
LIBS = ("reportlab", "python-docx", "openpyxl", "xlwt", "opencc", "opencc-python-reimplemented", "Pillow")


@lru_cache(maxsize=1)
def code_hash() -> str:
    h = hashlib.sha256()
    files = [p for p in FARM.glob("*.py") if p.name not in NOT_GENERATOR]
    files += [p for p in (FARM / "data").rglob("*") if p.is_file()]
    canon = FARM.parent / "pipelines" / "extract" / "canon.py"
    if canon.exists():
        files.append(canon)
    for p in sorted(files):
        h.update(str(p.relative_to(FARM.parent)).encode())
        h.update(p.read_bytes())
    from importlib import metadata
    for lib in LIBS:
        try:
            h.update(f"{lib}={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()[:16]


def cache_dir() -> Path | None:
    root = os.environ.get("NIANBAO_FARM_CACHE")
    if root and root.lower() in ("off", "0", "no", "false"):
        return None
    base = Path(root) if root else Path(tempfile.gettempdir()) / f"nianbao-farm-{os.getuid()}"
    return base / code_hash()


def _path(spec) -> Path | None:
    d = cache_dir()
    if d is None:
        return None
    return d / (hashlib.sha256(repr(spec).encode()).hexdigest()[:32] + ".pkl")


def load(spec):
    p = _path(spec)
    if p is None or not p.exists():
        return None
    try:
        with p.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a torn or stale file is just a miss
        return None


def store(spec, generated) -> None:
    p = _path(spec)
    if p is None:
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(generated, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
    except OSError:
        pass


def generate_cached(spec):
    """`farm.reports.generate(spec)` through the disk cache."""
    hit = load(spec)
    if hit is not None:
        return hit
    from farm.reports import generate
    g = generate(spec)
    store(spec, g)
    return g
