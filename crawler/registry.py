"""The source registry: sources.yml → Source objects and the `sources` table.

Format (a list under `sources:`):
  id        slug, primary key                 (required)
  name      what the column is                (required)
  url       the 年报 column URL                (required)
  platform  hanweb | trs | gkmlpt | ylcms | hunan | generic   (optional; fingerprinted if absent)
  render    static | browser | auto           (default auto: browser only when a list needs it)
  region, level (province/city/county/township/department)
  enabled   true/false;  verified: whether the entry was checked against the live portal
  politeness: {download_delay: s, concurrency: n}   per-source overrides
  schedule: cron expression for `nianbao crawl --due`
  notes: free text
  hosts: [files.example.gov.cn]   other hosts the source serves from (crawler/scope.py)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

RENDER_MODES = ("static", "browser", "auto")


class RegistryError(ValueError):
    pass


@dataclass
class Source:
    id: str
    name: str
    url: str
    platform: str | None = None
    render: str = "auto"
    region: str | None = None
    level: str | None = None
    enabled: bool = True
    verified: bool = False
    politeness: dict = field(default_factory=dict)
    schedule: str | None = None
    notes: str | None = None
    hosts: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"id": self.id, "name": self.name, "url": self.url, "platform": self.platform,
                "render": self.render, "region": self.region, "level": self.level,
                "enabled": self.enabled, "verified": self.verified,
                "config": {"politeness": self.politeness, "schedule": self.schedule,
                           "notes": self.notes}}


def parse(entries: list[dict]) -> list[Source]:
    sources, seen = [], set()
    for i, e in enumerate(entries or []):
        missing = [k for k in ("id", "name", "url") if not e.get(k)]
        if missing:
            raise RegistryError(f"source #{i + 1}: missing {', '.join(missing)}")
        if e["id"] in seen:
            raise RegistryError(f"source {e['id']!r} is listed twice")
        seen.add(e["id"])
        render = e.get("render") or "auto"
        if render not in RENDER_MODES:
            raise RegistryError(f"source {e['id']!r}: render must be one of {RENDER_MODES}")
        known = {f for f in Source.__dataclass_fields__}
        sources.append(Source(**{k: v for k, v in e.items() if k in known} | {"render": render}))
    return sources


def load(path: str | Path) -> list[Source]:
    path = Path(path)
    if not path.exists():
        raise RegistryError(f"registry {path} does not exist")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return parse(data.get("sources") if isinstance(data, dict) else data)


def dump(sources: list[dict], path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
