"""The farm: one ThreadingHTTPServer on 127.0.0.1, virtual hosts routed by the Host header.

Farm-wide switches (edition, flaky, slow, politeness, throttle, datacenter-IP block, a broken list
page) live here;
opt-in portals (TRS variants, Hanweb alias, ylcms leaf) and blocked sources are served always but
only listed by `sources(variants=True, blocked=True)` / `manifest(variants=True)`. Conditional requests
(ETag / Last-Modified → 304) are answered here for every response a portal marks with
`last_modified`.
"""
from __future__ import annotations

import email.utils
import hashlib
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from farm import fixtures
from farm.portals.base import Req, Resp, not_found

THROTTLED_BY_DEFAULT = ("www.hn-county.gov.cn.test",)   # Mock F's county site (robots Crawl-delay: 2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def _any(self):
        self.server.farm._serve(self)

    do_GET = do_POST = do_HEAD = _any


class Farm:
    def __init__(self, port: int = 0, bind: str = "127.0.0.1", warm: bool = True):
        from farm.portals import build_portals
        self.edition = 0
        self.flaky_rate, self.flaky_modes, self._flaky_rng = 0.0, ("500",), random.Random(1)
        self.slow_ms = 0
        self.politeness = True
        self.throttle = fixtures.Throttle(rate=5, penalty=2.0)
        self.throttle_hosts: set[str] | None = set(THROTTLED_BY_DEFAULT)   # None = every host
        self._dc_block: dict[str, int] = {}      # host → requests still answered by a connection reset
        self._blocked_hosts: set[str] = set()    # hosts answering every request with an anti-bot 403
        self._unreachable: set[str] = set()      # hosts resetting every connection
        self._broken_pages: list[tuple[str, str, dict, str]] = []   # (host, path, query ⊆, mode)
        self.request_log: list[dict] = []
        self._log_lock = threading.Lock()
        self._server = _Server((bind, port), _Handler)
        self._server.farm = self
        self.port = self._server.server_address[1]
        self.portals = build_portals(self)
        self.by_host = {h: p for p in self.portals for h in p.hosts}
        self._thread = threading.Thread(target=self._server.serve_forever, name="farm", daemon=True)
        self._thread.start()
        self._warm = threading.Thread(target=self._warm_up, name="farm-warm", daemon=True) if warm else None
        if self._warm:
            self._warm.start()

    # -- lifecycle
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _warm_up(self):
        """Generate bodies in the background so the first crawl does not wait for them."""
        for p in sorted(self.portals, key=lambda p: p.extra or getattr(p, "generic", False)):
            for e in p.entries:
                if e.kind == "report":
                    try:
                        e.gen(0)
                    except Exception:  # noqa: BLE001 - a broken spec surfaces on request instead
                        pass

    # -- public API
    def base(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def sources(self, variants: bool = False, blocked: bool = False, generic: bool = False) -> list[dict]:
        """The 年报 columns for the crawler registry. `variants=True` adds the opt-in variant portals
        (key "expect": "variant"); `blocked=True` adds sources whose column sits behind an anti-bot
        wall ("expect": "blocked", "mode"); `generic=True` adds the portals of CMS families no adapter
        targets (farm/portals/sitekit.py: `render: auto`, no platform). The default set never changes."""
        return [s for p in self.portals if (variants or not p.extra) and (generic or not getattr(p, "generic", False))
                for s in p.sources(blocked=blocked)]

    def manifest(self, variants: bool = False, generic: bool = False) -> dict:
        """Ground truth for `sources(blocked=True)` — plus the variant portals with `variants=True`
        and the generic-family portals with `generic=True`."""
        from types import SimpleNamespace

        from farm import manifest
        view = self if generic else SimpleNamespace(
            edition=self.edition, portals=[p for p in self.portals if not getattr(p, "generic", False)])
        return manifest.build(view, variants=variants)

    def set_edition(self, n: int):
        self.edition = int(n)

    def set_flaky(self, rate: float = 0.2, modes=("500", "timeout", "drop"), seed: int = 1):
        self.flaky_rate, self.flaky_modes, self._flaky_rng = float(rate), tuple(modes), random.Random(seed)

    def set_slow(self, ms: int):
        self.slow_ms = int(ms)

    def set_politeness(self, on: bool):
        """False switches off throttling and the robots Crawl-delay fixture (for benchmarks)."""
        self.politeness = bool(on)

    def set_throttle(self, rate: int = 5, penalty: float = 2.0, hosts=THROTTLED_BY_DEFAULT):
        """More than `rate` requests in any 1-second window from one client to one host → 403
        访问过于频繁 until `penalty` s pass without a burst. `hosts=None` throttles every host;
        `hosts=()` none. Only while politeness is on (robots.txt is never counted)."""
        self.throttle = fixtures.Throttle(rate=rate, penalty=penalty)
        self.throttle_hosts = None if hosts is None else set(hosts)

    def set_dc_block(self, n: int = 3, hosts=None):
        """Guangdong's "datacenter-IP block": the next `n` requests to each of `hosts` (default the
        gkmlpt portal's) are answered by a connection reset. `n=0` switches it off."""
        if hosts is None:
            from farm.portals import gkmlpt
            hosts = gkmlpt.GkmlptPortal.hosts
        with self._log_lock:
            for h in hosts:
                self._dc_block[h] = int(n)

    # -- health switches (archive/health.py, tests/test_health.py, tests/test_watch.py)
    def _column_portal(self, portal_id: str):
        portal = next((p for p in self.portals if portal_id in {c["id"] for c in p.columns()}), None)
        if portal is None:
            raise KeyError(f"no farm column {portal_id!r}")
        return portal

    def set_empty_column(self, portal_id: str, on: bool = True):
        """The column `portal_id` lists no item any more (its pages still answer 200, with the
        CMS's own empty list and printed count); its reports' pages answer 404. `on=False` mends it."""
        portal = self._column_portal(portal_id)
        for e in portal.entries:
            if portal.column_of(e) == portal_id:
                e.hidden = bool(on)

    def set_withheld(self, portal_id: str, agencies, year: int, on: bool = True) -> list[str]:
        """Withhold the `year` reports of `agencies` (names as printed, e.g. 闽溪县教育局) from the
        column `portal_id`: not listed, their pages 404 — an agency that has not published yet.
        Returns the agencies withheld; an agency with no such report is an error."""
        portal = self._column_portal(portal_id)
        wanted = set(agencies)
        hit = [e for e in portal.entries if e.kind == "report" and e.report_year == year
               and e.agency in wanted and portal.column_of(e) == portal_id]
        missing = wanted - {e.agency for e in hit}
        if missing:
            raise KeyError(f"{portal_id} has no {year} report of {', '.join(sorted(missing))}")
        for e in hit:
            e.hidden = bool(on)
        return sorted({e.agency for e in hit})

    def set_blocked(self, portal_id: str, on: bool = True):
        """Every request to the hosts of the portal serving column `portal_id` is answered by a
        网防G01-style 403 challenge page (robots.txt too), as a WAF that took a dislike to us."""
        hosts = set(self._column_portal(portal_id).hosts)
        with self._log_lock:
            self._blocked_hosts = self._blocked_hosts | hosts if on else self._blocked_hosts - hosts

    def set_unreachable(self, host: str, on: bool = True):
        """Every connection to `host` is reset without an answer (a host that went away)."""
        with self._log_lock:
            self._unreachable = self._unreachable | {host} if on else self._unreachable - {host}

    def set_broken_page(self, portal_id: str, page: int, mode: str = "500"):
        """Break page `page` (1-based, in `manifest()["list_pages"][portal_id]` order) of a column's
        list: "500" answers 500 Internal Server Error (every retry too), "missing" 404, "empty" a 200
        page without a single item (the silent case only the list's printed total reveals).
        `page=0` mends every page of the column."""
        from urllib.parse import parse_qsl
        pages = next(p.list_pages(self.edition)[portal_id] for p in self.portals
                     if portal_id in p.list_pages(self.edition))
        targets = []
        for host, path in pages if page == 0 else [pages[page - 1]]:
            u = urlsplit(path if path.startswith("/") else "//" + path.split("//", 1)[-1])
            targets.append((u.hostname or host, u.path, dict(parse_qsl(u.query, keep_blank_values=True))))
        with self._log_lock:
            self._broken_pages = [b for b in self._broken_pages if b[:3] not in targets]
            if page:
                self._broken_pages += [(*t, mode) for t in targets]

    def _broken_page(self, req: Req) -> Resp | None:
        for host, path, query, mode in self._broken_pages:
            if req.host == host and req.path == path and query.items() <= self._request_params(req).items():
                if mode == "missing":
                    return not_found()
                if mode == "empty":
                    own = getattr(self.by_host.get(req.host), "empty_page", None)
                    if own is not None and (r := own(req)) is not None:   # an API's own empty envelope
                        return r
                    return Resp(body="<html><head><title>政府信息公开年报</title></head><body>"
                                     "<div class=\"list\">暂无信息</div></body></html>")
                return Resp(status=500, body="<html><body><h1>500 Internal Server Error</h1></body></html>")
        return None

    def _request_params(self, req: Req) -> dict:
        """A request's list parameters; a portal whose API wraps them (a JSON `params` string) unwraps them."""
        portal = self.by_host.get(req.host)
        return portal.request_params(req) if hasattr(portal, "request_params") else req.params()

    # -- request handling
    def _serve(self, h: _Handler):
        t0 = time.time()
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        host = headers.get("host", "").split(":")[0].lower().rstrip(".")
        req = Req(method=h.command, host=host, path=parts.path or "/",
                  query=dict(parse_qsl(parts.query, keep_blank_values=True)), headers=headers, body=body,
                  raw_query=parts.query, port=self.port, client=h.client_address[0])
        resp = self._respond(req)
        if resp.drop:
            self._log(req, 0, t0)
            h.close_connection = True
            if resp.reset:   # SO_LINGER 0: close() sends RST instead of FIN
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        data = resp.data()
        extra = list(resp.headers)
        status = resp.status
        if resp.last_modified is not None and status == 200:
            etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
            lm = email.utils.format_datetime(_utc(resp.last_modified), usegmt=True)
            extra += [("ETag", etag), ("Last-Modified", lm)]
            if _not_modified(req, etag, resp.last_modified):
                status, data = 304, b""
        # logged before the body goes out: a client that has its response may look at the log at once
        self._log(req, status, t0)
        h.send_response(status)
        if status != 304:
            h.send_header("Content-Type", resp.ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            try:
                h.wfile.write(data)
            except OSError:
                pass

    def _respond(self, req: Req) -> Resp:
        if self.slow_ms:
            time.sleep(self.slow_ms / 1000)
        if self.flaky_rate:
            with self._log_lock:
                hit = self._flaky_rng.random() < self.flaky_rate
                mode = self._flaky_rng.choice(self.flaky_modes) if hit else None
            if mode == "500":
                return Resp(status=500, body="<html><body><h1>500 Internal Server Error</h1></body></html>")
            if mode == "timeout":
                time.sleep(30)
                return Resp(drop=True)
            if mode == "drop":
                return Resp(drop=True)
        if req.host in self._unreachable:
            return Resp(drop=True, reset=True)
        if req.host in self._blocked_hosts:
            return fixtures.wangfang_403(req)
        if self._dc_block.get(req.host):
            with self._log_lock:
                left = self._dc_block.get(req.host, 0)
                self._dc_block[req.host] = max(0, left - 1)
            if left > 0:
                return Resp(drop=True, reset=True)
        if self.politeness and req.path != "/robots.txt" and (
                self.throttle_hosts is None or req.host in self.throttle_hosts):
            t = self.throttle.check(req)
            if t is not None:
                return t
        broken = self._broken_page(req) if self._broken_pages else None
        if broken is not None:
            return broken
        portal = self.by_host.get(req.host)
        if portal is None:
            return not_found("unknown host")
        try:
            resp = portal.handle(req)
        except Exception as exc:  # noqa: BLE001 - a portal bug must show up as a 500, not kill the thread
            import traceback
            traceback.print_exc()
            return Resp(status=500, body=f"<html><body><h1>500</h1><pre>{exc!r}</pre></body></html>")
        return resp if resp is not None else portal.missing()

    def _log(self, req: Req, status: int, t0: float):
        with self._log_lock:
            self.request_log.append({"host": req.host, "method": req.method,
                                     "path": req.path + ("?" + req.raw_query if req.raw_query else ""),
                                     "status": status, "headers": dict(req.headers), "time": t0})


def _utc(d):
    from datetime import timezone
    return d.replace(tzinfo=timezone.utc)


def _not_modified(req: Req, etag: str, last_modified) -> bool:
    inm = req.headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = req.headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return int(_utc(last_modified).timestamp()) <= int(since.timestamp())
    return False
