"""The Portal base class: catalogue bookkeeping, attachment index, manifest records."""
from __future__ import annotations

import hashlib
import threading
from urllib.parse import urljoin, urlsplit

from farm.portals.base import Entry, Req, Resp, fmt_date, not_found
from farm.portals.catalog import NOISE_BODY, Plan, build


def _pq(url: str) -> str:
    u = urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


class Portal:
    id = ""            # manifest/source id of the main 年报 column
    name = ""
    platform = ""
    hosts: tuple[str, ...] = ()
    region = ""
    level = "county"
    site = ""          # SiteName
    idcode = ""        # SiteIDCode
    extra = False      # an opt-in variant: its sources/manifest only with `variants=True`

    def __init__(self, farm, plan: Plan):
        self.farm = farm
        self.entries: list[Entry] = build(plan)
        self.by_path: dict[str, Entry] = {}
        for e in self.entries:
            self.by_path[self.detail_path(e)] = e
        self._att_index: dict[str, tuple[Entry, str, str]] | None = None
        self._att_lock = threading.Lock()

    # -- to implement per family
    def detail_path(self, e: Entry) -> str:
        raise NotImplementedError

    def handle(self, req: Req) -> Resp | None:
        raise NotImplementedError

    def columns(self) -> list[dict]:
        """[{"id","name","url" (path),"render","host"}] — one per 年报 column of this portal."""
        raise NotImplementedError

    def list_pages(self, edition: int) -> dict[str, list[str]]:
        """column id → list page URLs (absolute, without base) in crawl order."""
        raise NotImplementedError

    def column_of(self, e: Entry) -> str:
        return self.id

    def att_href(self, e: Entry, kind: str, filename: str, index: int) -> str:
        """href written into the detail page for an attachment (kind ATTACH) or image (IMAGE)."""
        raise NotImplementedError

    def blocked(self) -> list[dict]:
        """Every URL a complete crawl of this portal's sources (incl. `blocked_sources`) meets blocked."""
        return [{"url": b["url"], "mode": b["mode"], "portal": b["id"]} for b in self.blocked_sources()]

    def blocked_sources(self) -> list[dict]:
        """Sources whose column sits behind an anti-bot wall: [{"id","name","url" (absolute),"mode"}]."""
        return []

    def withheld(self, e: Entry) -> bool:
        """A listed entry whose detail page never answers (blocked): not a manifest report."""
        return False

    def broken(self) -> list[dict]:
        return []

    def duplicates(self, e: Entry) -> list[str]:
        return []

    def excluded_attachments(self, e: Entry) -> set[str]:
        """Attachment filenames that do not deliver (broken) and are left out of the manifest."""
        return set()

    # -- shared helpers
    @property
    def edition(self) -> int:
        return self.farm.edition

    def base(self, host: str | None = None) -> str:
        return self.farm.base(host or self.hosts[0])

    def live(self, column: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.visible(self.edition)
                and (column is None or self.column_of(e) == column)]

    def entry_at(self, path: str) -> Entry | None:
        e = self.by_path.get(path)
        return e if e is not None and e.visible(self.edition) else None

    def title(self, e: Entry) -> str:
        return e.title(self.edition)

    def body(self, e: Entry) -> str:
        if e.kind == "noise":
            return NOISE_BODY
        g = e.gen(self.edition)
        from farm.portals.base import fill_placeholders
        counters = {"ATTACH": 0, "IMAGE": 0}

        def url_for(kind, name):
            imgs = [n for n, _ in g.images]
            kind = "IMAGE" if kind in ("IMAGE", "IMG") or name in imgs else "ATTACH"
            names = [a.filename for a in g.attachments] if kind == "ATTACH" else [n for n, _ in g.images]
            idx = names.index(name) if name in names else counters[kind]
            counters[kind] += 1
            return self.att_href(e, kind, name, idx)
        return fill_placeholders(g.body_html, url_for)

    def attachment_paths(self, e: Entry) -> list[tuple[str, str, str]]:
        """[(kind, filename, absolute path on host)] for the entry's files."""
        if e.kind != "report":
            return []
        g = e.gen(self.edition)
        detail = self.detail_path(e)
        out = []
        for i, a in enumerate(g.attachments):
            out.append(("ATTACH", a.filename, _pq(urljoin(detail, self.att_href(e, "ATTACH", a.filename, i)))))
        for i, (n, _) in enumerate(g.images):
            out.append(("IMAGE", n, _pq(urljoin(detail, self.att_href(e, "IMAGE", n, i)))))
        return out

    def attachment_index(self) -> dict:
        with self._att_lock:
            if self._att_index is None:
                idx = {}
                for e in self.entries:
                    for kind, name, p in self.attachment_paths(e):
                        idx[p] = (e, kind, name)
                self._att_index = idx
            return self._att_index

    def attachment_at(self, path: str):
        """(entry, bytes, mime) for a file path (+query), or None. The index is built on first use."""
        hit = self.attachment_index().get(path)
        if hit is None or not hit[0].visible(self.edition):
            return None
        e, kind, name = hit
        g = e.gen(self.edition)
        if kind == "ATTACH":
            a = next(a for a in g.attachments if a.filename == name)
            return e, a.data, a.mime
        data = dict(g.images)[name]
        return e, data, "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"

    def serve_file(self, path: str) -> Resp | None:
        hit = self.attachment_at(path)
        if hit is None:
            return None
        e, data, mime = hit
        return Resp(body=data, ctype=mime, last_modified=e.modified(self.edition))

    # -- manifest
    def manifest_part(self) -> dict:
        ed = self.edition
        reports, noise = [], []
        for e in self.live():
            if self.withheld(e):
                continue
            host = e.x.get("host", self.hosts[0])
            url = self.base(host) + self.detail_path(e)
            col = self.column_of(e)
            if e.kind == "noise":
                noise.append({"url": url, "title": self.title(e), "portal": col})
                continue
            g = e.gen(ed)
            skip = self.excluded_attachments(e)
            atts, imgs = [], []
            amap = {a.filename: a for a in g.attachments}
            for kind, name, p in self.attachment_paths(e):
                if kind == "IMAGE":
                    imgs.append(self.base(host) + p)
                elif name not in skip:
                    a = amap[name]
                    atts.append({"url": self.base(host) + p, "filename": a.filename, "mime": a.mime,
                                 "sha256": hashlib.sha256(a.data).hexdigest(), "cells": list(a.cells)})
            reports.append({"url": url, "portal": col, "agency": g.agency, "report_year": g.report_year,
                            "kind": g.kind, "format": g.format, "published": fmt_date(e.published),
                            "title": g.title, "cells": list(g.cells),
                            "expected_failures": list(g.expected_failures),
                            "attachments": atts, "images": imgs,
                            "duplicate_urls": [self.base(host) + d if d.startswith("/") else d
                                               for d in self.duplicates(e)]})
        lp = {cid: [self.base(h) + p if p.startswith("/") else p for h, p in pages]
              for cid, pages in self.list_pages(ed).items()}
        return {"portals": [{"id": c["id"], "name": c["name"], "platform": self.platform,
                             "column_url": self.base(c.get("host")) + c["url"], "hosts": list(self.hosts),
                             "render": c["render"]} for c in self.columns()],
                "reports": reports, "noise": noise, "blocked": self.blocked(), "broken": self.broken(),
                "list_pages": lp}

    def sources(self, blocked: bool = False) -> list[dict]:
        out = [{"id": c["id"], "name": c["name"], "url": self.base(c.get("host")) + c["url"],
                "platform": self.platform, "render": c["render"], "region": self.region, "level": self.level}
               for c in self.columns()]
        if self.extra:
            for s in out:
                s["expect"] = "variant"
        if blocked:
            out += [{"id": b["id"], "name": b["name"], "url": b["url"], "platform": self.platform,
                     "render": "static", "region": self.region, "level": self.level,
                     "expect": "blocked", "mode": b["mode"]} for b in self.blocked_sources()]
        return out

    def changes(self) -> dict:
        out = {"edited": [], "added": [], "deleted": [], "corrected": []}
        if self.edition < 1:
            return out
        for e in self.entries:
            url = self.base(e.x.get("host", self.hosts[0])) + self.detail_path(e)
            if e.added and e.spec is not None and e.spec.correction:
                out["corrected"].append(url)   # a 更正 notice published in edition 1
                continue
            for flag in ("edited", "added", "deleted"):
                if getattr(e, flag):
                    out[flag].append(url)
        return out

    def missing(self) -> Resp:
        return not_found()
