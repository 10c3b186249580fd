"""Ground-truth manifest of the farm (shape in the farm interface notes): assembled from the portals,
reflecting the current edition. Report cells come from the generator, so computing it generates
every body (a few seconds the first time; bodies are cached)."""
from __future__ import annotations

import json
from pathlib import Path

KEYS = ("portals", "reports", "noise", "blocked", "broken")


def build(farm, variants: bool = False) -> dict:
    out = {"edition": farm.edition, **{k: [] for k in KEYS}, "list_pages": {},
           "changes": {"edited": [], "added": [], "deleted": [], "corrected": []}}
    for p in farm.portals:
        if p.extra and not variants:
            continue
        part = p.manifest_part()
        for k in KEYS:
            out[k] += part[k]
        out["list_pages"].update(part["list_pages"])
        for k, v in p.changes().items():
            out["changes"][k] += v
    return out


def write(farm, path: str | Path, variants: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(farm, variants), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
