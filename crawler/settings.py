"""Scrapy settings shared by `scrapy crawl nianbao` and `nianbao crawl`.

Polite by default: robots.txt obeyed, AutoThrottle, at most 2 concurrent requests per host, a
User-Agent that names the project. The browser is Debian's chromium, used only for requests
marked `meta["playwright"]`.
"""
import os

from crawler.browser import launch_options

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# ASCII only: HTTP header values are Latin-1 on the wire (urllib refuses anything else).
USER_AGENT = ("Mozilla/5.0 (compatible; nianbao/0.1; +https://github.com/nianbao/nianbao; "
              "archive of government information disclosure annual reports)")
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy asks for `Accept-Language: en`; a portal that negotiates would answer in English.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Responses held while their items wait for the extraction worker (the crawl's bottleneck): each
# holds its body, its text and parsed trees. Scrapy's 5 MB let ~70 pile up; at 1 MB downloads
# pause sooner, at the same pages/s (farm crawl: crawl process peak 282 → 210 MB; bench_crawl.py).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5   # ±50% of the delay (RANDOMIZE_DOWNLOAD_DELAY is deprecated)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Attachments can be big scanned PDFs; beyond this they are recorded as `too_large`.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# A rendered DOM is not size-checked while it downloads and is held whole by the browser, so it
# has its own, smaller cap (`too_large` beyond it; 0: only DOWNLOAD_MAXSIZE). A real 年报 page is < 2 MB.
NIANBAO_MAX_RENDERED_BYTES = 20 * 1024 * 1024
COOKIES_ENABLED = True
REFERER_ENABLED = True
# Incremental state lives in the archive; Scrapy's cache would mix rendered and raw bodies.
HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("NIANBAO_LOG_LEVEL", "INFO")

TWISTED_DNS_RESOLVER = "crawler.resolver.FarmAwareResolver"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Plain HTTP; Playwright (one driver, one Chromium) starts at the first `meta["playwright"]` request.
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.LazyBrowserDownloadHandler",
    "https": "crawler.handlers.LazyBrowserDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = launch_options()
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000


# Images, fonts, media, and whatever leaves the page's site or scheme (crawler/scope.py).
PLAYWRIGHT_ABORT_REQUEST = "crawler.scope.abort_request"

DOWNLOADER_MIDDLEWARES = {
    # First of all (before robots.txt at 100): an off-scope request is refused before any network
    # use; every redirect hop comes back through here. The second judges Chromium's final URL
    # before CaptureMiddleware stores it (crawler/scope.py).
    "crawler.scope.ScopeMiddleware": 50, "crawler.scope.RenderedScopeMiddleware": 585,
    # Between redirects/decompression (590+) and retries (550): sees every attempt, decoded.
    "crawler.middlewares.CaptureMiddleware": 580,
    # After robots.txt (100), so the parser it fetched gives the Crawl-delay.
    "crawler.middlewares.CrawlDelayMiddleware": 110,
    # Scrapy's own, in their places, but a gzip bomb or a redirect loop they drop is a capture.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.CapturedCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.CapturedRedirectMiddleware": 600,
}
# robots.txt Crawl-delay is honoured up to this many seconds per request and host.
NIANBAO_MAX_CRAWL_DELAY = 10.0
ITEM_PIPELINES = {
    "pipelines.scrapy_pipelines.ArchivePipeline": 300,
}
# Scrapy's own AutoThrottle stays on; CrawlDelayMiddleware keeps each slot's Crawl-delay as a floor.
EXTENSIONS = {
    # Scrapy 2.19 turns on a local HTTP endpoint that runs Python inside the crawl (for its MCP
    # server): an unattended crawler must not listen for code, and it costs aiohttp (~15 MB).
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.extensions.CrawlRunExtension": 100,
    "crawler.progress.ProgressExtension": 200,   # only with NIANBAO_PROGRESS (`crawl --progress`)
}

# Where the archive lives and which registry drives the spider (overridable with -s).
NIANBAO_DB = os.environ.get("NIANBAO_DB", "data/archive.db")
NIANBAO_REGISTRY = os.environ.get("NIANBAO_REGISTRY", "sources.yml")
# Extraction worker processes beside the crawl (0 = extract inline in the crawl process).
NIANBAO_EXTRACT_PROCESSES = int(os.environ.get("NIANBAO_EXTRACT_PROCESSES", "1"))
# Bounds on one source's lists, whatever a page prints (`countPage = 100000000`, a JSON total of
# 10^9): pages per list (its first page included) and distinct entries per source. A list cut
# short by either is recorded (stats `nianbao/lists_capped`) and its source is not complete.
NIANBAO_MAX_LIST_PAGES = int(os.environ.get("NIANBAO_MAX_LIST_PAGES", "500"))
NIANBAO_MAX_LIST_ITEMS = int(os.environ.get("NIANBAO_MAX_LIST_ITEMS", "20000"))
# Adapters switched off (crawler/platforms): `all`, or a comma list of names (hanweb,gkmlpt,…); every
# source they would have read then goes through the generic path (docs/adapters.md, "The generic path").
NIANBAO_DISABLE_ADAPTERS = os.environ.get("NIANBAO_DISABLE_ADAPTERS", "")
