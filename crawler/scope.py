"""What the crawler may fetch: only http(s) URLs on the site of the source that led to them.

The archive publishes what it fetches, so a hostile portal must not be able to make the crawler
fetch anything else: a redirect or link to another site (example.com), to the crawler's own
machine (127.0.0.1:<port>, localhost, a name resolving to 10.x), or to another scheme (file://,
ftp://, data:). A request is allowed only if

  * its scheme is http or https;
  * its host is on the same registrable site as its source's URL (tldextract, bundled Public
    Suffix List snapshot, never downloaded), or is one of the source's own `hosts:` in
    sources.yml. A request without a source (robots.txt) is judged against its own URL;
  * neither the host (a literal IP) nor what it resolves to is loopback, private, link-local,
    multicast or reserved — unless the host matches a pattern in `NIANBAO_ALLOW_PRIVATE_HOSTS`
    (the sample farm: `*.test`, which resolves to 127.0.0.1; see crawler/resolver.py).

ScopeMiddleware runs first of the downloader middlewares, so a refused request reaches neither
robots.txt nor DNS nor a download handler; Scrapy's RedirectMiddleware re-schedules every redirect
hop through the whole chain, so each hop is judged. A refusal raises OffScope, which
CaptureMiddleware records as a capture with outcome `off_scope` (never with a body).
RenderedScopeMiddleware catches what Chromium follows on its own (a redirect of a rendered page),
and `abort_request` is scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST for the browser's own requests.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import logging
from urllib.parse import urlsplit

import tldextract
from scrapy.exceptions import IgnoreRequest

from crawler import meta as M
from crawler import registry
from crawler.resolver import TEST_SUFFIX, is_test_host

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")
# The bundled Public Suffix List snapshot: no network call (an offline crawl otherwise logs a
# traceback per process trying to download it), no cache written.
EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

try:  # Scrapy's cookie middleware builds its own extractor with the download URLs: make it offline too.
    from scrapy.downloadermiddlewares import cookies as _cookies
    if hasattr(_cookies, "_split_domain"):
        _cookies._split_domain = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                                       include_psl_private_domains=True)
except ImportError:  # pragma: no cover
    pass


# Sent (request=, exception=) when Chromium's final URL is refused: CaptureMiddleware records it.
browser_refused = object()


class OffScope(IgnoreRequest):
    """A request the crawler refuses to send; the message is the reason recorded in `captures.error`."""


# ------------------------------------------------------------------ pure rules
def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def literal_ip(host: str):
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return (ip.ipv4_mapped or ip) if ip.version == 6 else ip


def non_public(ip) -> str | None:
    """What kind of non-public address `ip` is, or None for a global unicast address."""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "non-public"


def site_of(host: str) -> str:
    """The registrable site of a host: `www.hn.gov.cn` → `hn.gov.cn`. A `.test` farm host is the
    site of the real-looking name under it (`xxt.hn-mock.gov.cn.test` → `hn-mock.gov.cn.test`); a
    literal IP or a name without a public suffix (`localhost`) is its own site."""
    host = host.rstrip(".").lower()
    if literal_ip(host) is not None:
        return host
    if is_test_host(host):
        return site_of(host[:-len(TEST_SUFFIX)]) + TEST_SUFFIX
    top = EXTRACT(host).top_domain_under_public_suffix
    return top or host


def _match(host: str, patterns) -> bool:
    return any(host == p or fnmatch.fnmatchcase(host, p) for p in patterns)


class Scope:
    """The rules over a registry and the private-host allowance (see the module docstring)."""

    def __init__(self, sources=(), allow_private=()):
        items = sources.values() if isinstance(sources, dict) else sources
        self.sources = {s.id: s for s in items}
        self.allow = [p.strip().lower() for p in allow_private if p and p.strip()]
        self._extra_by_site: dict[str, set[str]] = {}
        for s in self.sources.values():
            self._extra_by_site.setdefault(site_of(host_of(s.url)), set()).update(self.hosts_of(s))

    @staticmethod
    def hosts_of(source) -> list[str]:
        hosts = getattr(source, "hosts", None) or []
        return [h.lower() for h in ([hosts] if isinstance(hosts, str) else hosts)]

    def private_allowed(self, host: str) -> bool:
        return _match(host, self.allow)

    def site_ok(self, host: str, base_url: str, extra_hosts=()) -> bool:
        return site_of(host) == site_of(host_of(base_url)) or _match(host, extra_hosts)

    def refusal(self, url: str, source_id: str | None = None, redirected: str | bool = False) -> str | None:
        """Why `url` may not be fetched for `source_id` (checks that need no DNS), or None."""
        scheme = urlsplit(url).scheme.lower() if ":" in url else ""
        if scheme not in SCHEMES:
            return f"scheme {scheme or '(none)'} not allowed: {url[:200]}"
        host = host_of(url)
        if not host:
            return f"no host in {url[:200]}"
        if source_id:
            source = self.sources.get(source_id)
            if source is None:
                return f"source {source_id} is not in the registry"
            if not self.site_ok(host, source.url, self.hosts_of(source)):
                if not redirected:
                    return f"link to {url[:200]} leaves source {source_id}"
                origin = f" (from {redirected[:200]})" if isinstance(redirected, str) else ""
                return f"redirect to {url[:200]} leaves source {source_id}{origin}"
        ip = literal_ip(host)
        if ip is not None and (kind := non_public(ip)) and not self.private_allowed(host):
            return f"host {host} is a {kind} address"
        return None

    def needs_dns_check(self, host: str) -> bool:
        return literal_ip(host) is None and not self.private_allowed(host)

    def resolved_refusal(self, host: str, address: str) -> str | None:
        ip = literal_ip(address)
        if ip is not None and (kind := non_public(ip)):
            return f"host {host} resolves to {kind} address {address}"
        return None

    def browser_refusal(self, url: str, page_url: str | None) -> str | None:
        """For a request Chromium makes while rendering a page: judged against the page's own URL."""
        scheme = urlsplit(url).scheme.lower() if ":" in url else ""
        if scheme not in SCHEMES:
            return f"scheme {scheme or '(none)'} not allowed"
        host = host_of(url)
        if page_url and urlsplit(page_url).scheme.lower() in SCHEMES:
            page_host = host_of(page_url)
            if not self.site_ok(host, page_url, self._extra_by_site.get(site_of(page_host), ())):
                return f"{url[:200]} leaves the site of {page_url[:200]}"
        ip = literal_ip(host)
        if ip is not None and (kind := non_public(ip)) and not self.private_allowed(host):
            return f"host {host} is a {kind} address"
        return None


def load_scope(settings) -> Scope:
    path = settings.get("NIANBAO_REGISTRY")
    try:
        sources = registry.load(path) if path else []
    except registry.RegistryError:
        sources = []
    return Scope(sources, settings.getlist("NIANBAO_ALLOW_PRIVATE_HOSTS"))


# The browser's abort hook gets no crawler: the middleware leaves the crawl's rules here.
_ACTIVE: Scope = Scope()


# ------------------------------------------------------------------ Scrapy
class ScopeMiddleware:
    """Refuses off-scope requests (see the module docstring) by raising OffScope."""

    def __init__(self, crawler, scope: Scope | None = None, resolve=None):
        global _ACTIVE
        self.crawler = crawler
        self.scope = scope or load_scope(crawler.settings)
        _ACTIVE = self.scope
        self._resolve = resolve or _reactor_resolve

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def refuse(self, request, reason: str):
        stats = getattr(self.crawler, "stats", None)
        if stats is not None:
            stats.inc_value("nianbao/off_scope")
        logger.info("off scope: %s", reason)
        raise OffScope(reason)

    async def process_request(self, request, spider=None):
        chain = request.meta.get("redirect_urls") or []
        reason = self.scope.refusal(request.url, request.meta.get(M.SOURCE_ID),
                                    redirected=chain[0] if chain else False)
        if reason:
            self.refuse(request, reason)
        host = host_of(request.url)
        if self.scope.needs_dns_check(host):
            address = await self._resolve(host)
            if address and (reason := self.scope.resolved_refusal(host, address)):
                self.refuse(request, reason)
        return None


class RenderedScopeMiddleware(ScopeMiddleware):
    """Chromium follows a rendered page's redirects itself (Playwright routes only the first URL of
    a redirect chain), so the final URL of a rendered response is judged here — before
    CaptureMiddleware stores it. A refused one is recorded by CaptureMiddleware as `off_scope`."""

    async def process_request(self, request, spider=None):
        return None

    def process_response(self, request, response, spider=None):
        if "playwright" not in (response.flags or []) or response.url == request.url:
            return response
        reason = self.scope.refusal(response.url, request.meta.get(M.SOURCE_ID), redirected=request.url)
        if reason:
            exc = OffScope(f"browser {reason}")
            self.crawler.signals.send_catch_log(browser_refused, request=request, exception=exc)
            self.refuse(request, str(exc))
        return response


async def _reactor_resolve(host: str) -> str | None:
    """The address the downloader will connect to: the reactor's own resolver (the caching
    FarmAwareResolver), so the check and the connection agree. None when it does not resolve
    (the download then fails and is recorded as an error)."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor
    try:
        return await maybe_deferred_to_future(reactor.resolve(host))
    except Exception:  # noqa: BLE001 - DNS failure: not ours to report
        return None


# ------------------------------------------------------------------ Chromium
HEAVY = {"image", "media", "font"}   # never needed to read a list


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: heavy resources, and whatever the page asks for off its own site,
    on another scheme or on a non-public literal IP. The page's URL is the frame's top-level page
    URL; before the first navigation commits (about:blank) the request is Scrapy's own, already
    judged by ScopeMiddleware."""
    if request.resource_type in HEAVY:
        return True
    try:
        page_url = request.frame.page.url
    except Exception:  # noqa: BLE001 - a service-worker request has no frame
        page_url = None
    reason = _ACTIVE.browser_refusal(request.url, page_url)
    if reason:
        logger.info("browser request aborted: %s", reason)
        return True
    return False
