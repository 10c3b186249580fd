"""The source registry: sources.yml → Source objects and the `sources` table.

Format (a list under `sources:`):
  id        slug (lower-case letters, digits, - and _), unique   (required)
  name      what the column is                (required)
  url       the 年报 column URL, http or https (required)
  platform  hanweb | trs | gkmlpt | ylcms | hunan | generic   (optional; fingerprinted if absent)
  render    static | browser | auto           (default auto: browser only when a list needs it)
  region, level (province/city/county/township/department)
  enabled   true/false;  verified: whether the entry was checked against the live portal
  politeness: {download_delay: s, concurrency: n}   per-source overrides
  schedule: cron expression (China Standard Time) for `nianbao crawl --due`; default: daily
            1 Jan – 30 Apr, weekly otherwise (nianbao/schedule.py)
  notes: free text (quote it when it contains " #": YAML reads the rest as a comment)
  hosts: [files.example.gov.cn]   other hosts the source serves from (crawler/scope.py)

Beside `sources:`, a registry may say where the summary of each run goes (docs/operations.md):
  notify: https://hooks.example.org/nianbao          # a webhook URL, or
  notify: {url: https://…, cmd: "/usr/local/bin/page-me --json"}   # and/or a command (JSON on stdin)

The registry is strict: a typo in a key, a quoted boolean or a bad number is an error that
names the source and the key, never a setting silently ignored or a crawl that fails later.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from nianbao.schedule import ScheduleError, check_cron

RENDER_MODES = ("static", "browser", "auto")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# What the sample farm writes beside its sources as ground truth for the tests; ignored here.
ANNOTATIONS = ("expect", "mode")
POLITENESS = ("download_delay", "concurrency")
TOP_KEYS = ("sources", "notify")
NOTIFY_KEYS = ("url", "cmd")


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


KEYS = tuple(Source.__dataclass_fields__)


def _platforms() -> tuple[str, ...]:
    from crawler.platforms import ADAPTERS
    return tuple(a.name for a in ADAPTERS)


def _unknown(key, known, where: str) -> RegistryError:
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f" (known keys: {', '.join(known)})"
    return RegistryError(f"{where}: unknown key {key!r}{hint}")


def check_url(url, where: str = "source") -> None:
    """Only absolute http(s) URLs with a host: the crawler fetches nothing else (crawler/scope.py)."""
    if not isinstance(url, str) or not url.strip():
        raise RegistryError(f"{where}: url must be a non-empty string")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"{where}: url must be an http:// or https:// URL with a host, not {url!r}")


def check_id(sid, where: str = "source") -> None:
    if not isinstance(sid, str) or not ID_RE.match(sid):
        raise RegistryError(f"{where}: id must be a slug (lower-case letters, digits, - and _), not {sid!r}")


def _check_entry(i: int, e) -> None:
    where = f"source #{i + 1}"
    if not isinstance(e, dict):
        raise RegistryError(f"{where}: expected a mapping of keys (id, name, url, ...), not {type(e).__name__}")
    if isinstance(e.get("id"), str) and e["id"]:
        where = f"source #{i + 1} ({e['id']})"
    known = KEYS + ANNOTATIONS
    for k in e:
        if k not in known:
            raise _unknown(k, KEYS, where)
    missing = [k for k in ("id", "name", "url") if e.get(k) in (None, "")]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    check_id(e["id"], where)
    check_url(e["url"], where)
    for k in ("name", "platform", "region", "level", "schedule", "notes"):
        if e.get(k) is not None and not isinstance(e[k], str):
            raise RegistryError(f"{where}: {k} must be text, not {e[k]!r}")
    if e.get("schedule") is not None:   # the same parser `crawl --due` uses (nianbao/schedule.py)
        try:
            check_cron(e["schedule"])
        except ScheduleError as err:
            raise RegistryError(f"{where}: {err}") from None
    for k in ("enabled", "verified"):
        if k in e and not isinstance(e[k], bool):
            raise RegistryError(f"{where}: {k} must be true or false (unquoted), not {e[k]!r}")
    if e.get("render") is not None and e["render"] not in RENDER_MODES:
        raise RegistryError(f"{where}: render must be one of {', '.join(RENDER_MODES)}, not {e['render']!r}")
    if e.get("platform") is not None and e["platform"] not in _platforms():
        raise RegistryError(f"{where}: platform must be one of {', '.join(_platforms())}, not {e['platform']!r}")
    pol = e.get("politeness")
    if pol is not None:
        if not isinstance(pol, dict):
            raise RegistryError(f"{where}: politeness must be a mapping like {{download_delay: 2}}")
        for k, v in pol.items():
            if k not in POLITENESS:
                raise _unknown(k, POLITENESS, f"{where}: politeness")
            # bool is an int in Python: `download_delay: yes` is not a number of seconds
            if k == "download_delay" and (isinstance(v, bool) or not isinstance(v, int | float) or v < 0):
                raise RegistryError(f"{where}: politeness.download_delay must be a non-negative number"
                                    f" of seconds, not {v!r}")
            if k == "concurrency" and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise RegistryError(f"{where}: politeness.concurrency must be a whole number >= 1, not {v!r}")
    hosts = e.get("hosts")
    if hosts is not None and (not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts)):
        raise RegistryError(f"{where}: hosts must be a list of host names")


def parse(entries: list[dict]) -> list[Source]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise RegistryError(f"`sources` must be a list of sources, not {type(entries).__name__}")
    sources, seen = [], set()
    for i, e in enumerate(entries):
        _check_entry(i, e)
        if e["id"] in seen:
            raise RegistryError(f"source #{i + 1}: id {e['id']!r} is listed twice")
        seen.add(e["id"])
        fields = {k: v for k, v in e.items() if k in KEYS and v is not None}
        sources.append(Source(**fields | {"render": e.get("render") or "auto", "url": e["url"].strip()}))
    return sources


class _StrictLoader(yaml.SafeLoader):
    """A key written twice in one mapping is an error (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is written twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path):
    """The YAML of `path`; a syntax error becomes a one-line RegistryError with its line number."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - safe loader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise RegistryError(f"{path}{line}: malformed YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RegistryError(f"{path}: cannot be read: {e}") from None


def load(path: str | Path) -> list[Source]:
    path = Path(path)
    if not path.exists():
        raise RegistryError(f"registry {path} does not exist")
    data = read_yaml(path)
    if data is None:
        return []
    if isinstance(data, dict):
        for k in data:
            if k not in TOP_KEYS:
                raise _unknown(k, TOP_KEYS, f"{path}")
        check_notify(data.get("notify"), f"{path}: notify")
        data = data.get("sources")
    try:
        return parse(data)
    except RegistryError as e:
        raise RegistryError(f"{path}: {e}") from None


def check_notify(value, where: str = "notify") -> dict:
    """The registry's `notify:` as {"url": …, "cmd": …} (each may be absent): a URL alone, or a
    mapping of the two. A bad URL, an empty command or an unknown key is an error."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict) or not value:
        raise RegistryError(f"{where}: must be a webhook URL or a mapping {{url: …, cmd: …}}, not {value!r}")
    for k in value:
        if k not in NOTIFY_KEYS:
            raise _unknown(k, NOTIFY_KEYS, where)
    if value.get("url") is not None:
        check_url(value["url"], where)
    if value.get("cmd") is not None and (not isinstance(value["cmd"], str) or not value["cmd"].strip()):
        raise RegistryError(f"{where}: cmd must be a non-empty command line, not {value['cmd']!r}")
    return {k: v.strip() for k, v in value.items() if v is not None}


def load_notify(path: str | Path) -> dict:
    """The registry's `notify:` setting, checked ({} when there is none)."""
    data = read_yaml(Path(path))
    return check_notify(data.get("notify"), f"{path}: notify") if isinstance(data, dict) else {}


def dump(sources: list[dict], path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
