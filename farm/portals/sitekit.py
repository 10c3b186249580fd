"""What the portals of CMS families without an adapter share (epoint.py, ucap.py, jsplist.py,
nonb.py): a whole small site around the 年报 column — a home page, a 政府信息公开 landing page and
the usual sibling columns (政府信息公开指南, 政府信息公开制度, 法定主动公开内容, 依申请公开) with a few
articles each — so that finding the column from the home page (`nianbao sources discover`) meets
real navigation.

They are opt-in (`generic = True`): `Farm.sources(generic=True)` / `Farm.manifest(generic=True)`
list them, with `render: auto` and no `platform`, so a crawl of them goes through the generic
path. The default sources and manifest do not change.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from farm.portals.base import Req
from farm.portals.common import Portal

# Sibling columns every 政府信息公开 area has; each holds a few ordinary articles (never reports).
SIDE_TITLES = {
    "guide": ("政府信息公开指南", ("{site}政府信息公开指南", "{site}政府信息公开指南（{y}年修订）")),
    "rules": ("政府信息公开制度", ("{site}政府信息公开保密审查制度", "{site}依申请公开办理制度",
                                 "{site}政府信息公开工作考核制度")),
    "fdzd": ("法定主动公开内容", ("{site}机构职能", "{site}{y}年部门预算公开", "{site}权责清单")),
    "ysq": ("依申请公开", ("{site}政府信息公开申请表", "{site}依申请公开流程图")),
}


class SitePortal(Portal):
    generic = True     # listed only by sources(generic=True) / manifest(generic=True)
    platform = None    # no adapter targets this family: the crawl must take the generic path
    family = ""        # the real CMS family imitated (manifest metadata only)
    domain = ""        # the site's own domain in its metas
    side_titles = SIDE_TITLES   # sibling column key → (name, article title templates)

    # -- registry and manifest
    def sources(self, blocked: bool = False) -> list[dict]:
        return [{"id": c["id"], "name": c["name"], "url": self.base(c.get("host")) + c["url"], "render": "auto",
                 "region": self.region, "level": self.level} for c in self.columns()]

    def manifest_part(self) -> dict:
        part = super().manifest_part()
        for p in part["portals"]:
            p.update(platform=None, render="auto", family=self.family, home=self.base() + "/")
        return part

    def request_params(self, req: Req) -> dict[str, str]:
        """The parameters a list request carries (the farm's broken-page switch matches on them)."""
        return req.params()

    # -- the sibling columns' articles
    def side_items(self, key: str) -> list[tuple[str, str, datetime]]:
        """(title, path, date) of the articles of a sibling column; paths from `side_path`."""
        name, titles = self.side_titles[key]
        y = max(e.report_year or 2020 for e in self.entries) if self.entries else 2023
        out = []
        for i, t in enumerate(titles):
            d = datetime(y + 1, 2 + i * 2, 10 + i, 9, 30) - timedelta(days=40 * i)
            out.append((t.format(site=self.site, y=y + 1, y1=y, y2=y - 1), self.side_path(key, i, d), d))
        return out

    def side_path(self, key: str, i: int, d: datetime) -> str:
        raise NotImplementedError

    def side_article(self, path: str) -> tuple[str, str, datetime] | None:
        for key in self.side_titles:
            for t, p, d in self.side_items(key):
                if p == path:
                    return key, t, d
        return None


SIDE_BODY = ("<p>根据《中华人民共和国政府信息公开条例》规定，结合本机关实际，制定本文。</p>"
             "<p>一、公开的主体和范围。</p><p>二、公开的方式和程序。</p><p>三、监督和保障。</p>")


def uuid_of(*parts) -> str:
    """A stable 8-4-4-4-12 hex id (Epoint's infoid / attachGuid shape)."""
    from farm.portals.base import hexname
    h = hexname(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
