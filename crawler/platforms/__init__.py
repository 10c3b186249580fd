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


def disabled_names(setting) -> set[str]:
    """The adapters NIANBAO_DISABLE_ADAPTERS switches off: `all` (every family adapter, so every
    source takes the generic path), or a comma list of names. `generic` itself is never off."""
    names = set(setting.split(",")) if isinstance(setting, str) else set(setting or ())
    names = {n.strip() for n in names if n and n.strip()}
    if "all" in names:
        names |= {a.name for a in ADAPTERS}
    unknown = names - {a.name for a in ADAPTERS} - {"all"}
    if unknown:
        raise ValueError(f"NIANBAO_DISABLE_ADAPTERS: unknown adapter(s) {', '.join(sorted(unknown))}; "
                         f"known: all, {', '.join(a.name for a in ADAPTERS)}")
    return names - {"generic"}


def enabled(disabled) -> list[Platform]:
    """The adapters in detection order without the disabled ones (`disabled`: names or the setting)."""
    off = disabled_names(disabled)
    return [a for a in ADAPTERS if a.name not in off]


__all__ = ["ADAPTERS", "ListEntry", "ListTotal", "Platform", "by_name", "detect", "disabled_names", "enabled"]
