"""The `request.meta` keys that carry our state between the spider, the adapters, the
middlewares and the distributed worker: one name each, so a typo is an ImportError, not a
silently missing value. Scrapy's own keys ("playwright", "redirect_urls", "download_maxsize",
"dont_filter", "dont_cache", …) stay plain strings where they are used.
"""

# ------------------------------------------------ set by the spider
SOURCE_ID = "source_id"        # registry id of the source the request belongs to
ROLE = "role"                  # list | api | detail | attachment | image (robots is inferred)
LIST_ROOT = "list_root"        # the source's own column URL (where render: auto is decided)
OPTIONAL = "optional"          # a failed answer does not make the list incomplete (a guessed page)
IS_FOLLOWUP = "is_followup"    # a further page of a list, not its first page
LIST_TITLE = "list_title"      # a detail's title as its list showed it
LIST_DATE = "list_date"        # a detail's date as its list showed it
LIST_KEY = "list_key"          # the list a page belongs to (its first page's URL): figures and page cap
KIND = "kind"                  # report | graphic | correction, from the list title (nianbao.titles)
REFERER = "referer"            # the list page a detail was found on
REPORT_URL = "report_url"      # an attachment's report page
FILENAME = "filename"          # an attachment's name as the page shows it

# ------------------------------------------------ set by CaptureMiddleware, read by the spider
CAPTURE_ID = "capture_id"      # the `captures` row of the answer
OUTCOME = "outcome"            # ok | not_modified | blocked | error | too_large | robots_denied | off_scope
BLOCKED = "blocked"            # the anti-bot challenge recognised (crawler/antibot.py), or None

# ------------------------------------------------ shared by the adapters (crawler/platforms/)
ADAPTER = "adapter"            # the adapter that made the request reads its answer
LIST_REFERER = "list_referer"  # the column page an API or proxy request belongs to
PREVIOUS_PAGE = "previous_page"  # entry URLs of the previous page of a walk: a repeat ends it
PROBE = "probe"                # generic: k of a guessed page index_k (ends when it brings nothing new)
PROBE_SEEN = "probe_seen"      # generic: entry URLs already met before the probe
PROBE_VARIANT = "probe_variant"  # generic: 0- or 1-based page suffixes
PROBE_BASE = "probe_base"      # generic: the column URL the probes derive from
PAGE = "page"                  # hanweb jpaas, hunan: the page number of an API request
API = "api"                    # hanweb truecms, hunan: the API URL
START = "start"                # hanweb truecms: first record of the window
COLUMN = "col"                 # hanweb truecms: the column id
HANWEB = "hanweb"              # hanweb: proxy | jpaas | truecms (what the answer is)
STYLE = "style"                # hanweb proxy: page (Jiangsu GET) | window (Zhejiang POST)
PARAMS = "params"              # hanweb proxy: the query parameters of a page request
PROXY_URL = "proxy_url"        # hanweb proxy: dataproxy.jsp URL
PAGE_FOLLOWUP = "page_followup"  # hanweb proxy: a page ≥ 2 (does not fan out again)
JPAAS = "jpaas"                # hanweb jpaas: [api path, queryData]
GKMLPT = "gkmlpt"              # gkmlpt: "api" for an API answer
FIRST = "first"                # gkmlpt: the first API page (fans out the others)
CLASSIFY = "classify"          # gkmlpt: the classification id
SID = "sid"                    # gkmlpt: the site id
HUNAN = "hunan"                # hunan: "api" for an API answer

# ------------------------------------------------ distributed worker
WAKE = "nianbao_wake"          # placeholder that wakes the engine; dropped before the scheduler
