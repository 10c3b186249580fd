"""Platform adapters, one module per CMS family, chosen by fingerprint (never by host name)."""
from __future__ import annotations

from crawler.platforms.base import ListEntry, ListTotal, Platform
from crawler.platforms.generic import Generic
from crawler.platforms.gkmlpt import Gkmlpt
from crawler.platforms.hanweb import Hanweb
from crawler.platforms.hunan import Hunan
from crawler.platforms.trs import Trs
from crawler.platforms.ylcms import Ylcms

# Most specific first; Generic matches everything.
ADAPTERS: list[Platform] = [Hanweb(), Gkmlpt(), Ylcms(), Hunan(), Trs(), Generic()]


def by_name(name: str | None) -> Platform | None:
    return next((a for a in ADAPTERS if a.name == name), None)


def detect(response) -> Platform:
    return next(a for a in ADAPTERS if a.matches(response))


__all__ = ["ADAPTERS", "ListEntry", "ListTotal", "Platform", "by_name", "detect"]
