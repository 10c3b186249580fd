"""What each portal publishes: reporting units × years → ReportSpecs, plus noise items.

Everything is deterministic (seeded) and cheap: only specs and dates are built at start-up; bodies
are generated lazily by `Entry.gen()` (farm/reports.py) and cached.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from farm.portals.base import Entry
from farm.reports import ReportSpec

DEPTS = ("发展和改革局", "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
         "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局",
         "卫生健康局", "应急管理局", "市场监督管理局", "统计局", "医疗保障局", "信访局")
TOWNS = ("城关镇", "东湖镇", "西山乡", "南塘镇", "北岗街道", "新华街道", "河口镇", "清泉乡", "大桥镇", "石门街道")

NOISE_TITLES = ("{place}政府信息公开指南", "{place}{y}年政务公开工作要点", "{place}政府信息公开制度",
                "关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", "{place}召开政务公开工作推进会",
                "{place}依申请公开办理流程", "{place}{y}年第一季度政务公开工作情况通报",
                "{place}法定主动公开内容目录", "{place}政府网站工作年度报表（{y}年度）",
                "政务公开专题培训班在{place}举办")

LAYOUT_CYCLE = ("word", "editor", "word", "text_lines", "editor", "word", "text_pipes", "editor", "prose_only")


def unit_name(place: str, unit: str) -> tuple[str, str]:
    """(agency, unit_type) for a unit code: gov, office, d<i>, t<i>."""
    if unit == "gov":
        return f"{place}人民政府", "gov"
    if unit == "office":
        return f"{place}人民政府办公室", "office"
    i = int(unit[1:])
    if unit[0] == "d":
        return f"{place}{DEPTS[i]}", "dept"
    town = TOWNS[i]
    return (f"{town}办事处" if town.endswith("街道") else f"{town}人民政府"), "town"


def pub_date(rng: random.Random, year: int, unit_type: str, late: bool) -> datetime:
    y = year + 1
    if late:
        d = datetime(y, 5, 6) + timedelta(days=rng.randrange(0, 60))
    elif unit_type == "gov":
        d = datetime(y, 3, 1) + timedelta(days=rng.randrange(0, 30))
    else:
        d = datetime(y, 1, 8) + timedelta(days=rng.randrange(0, 23))
    return d.replace(hour=rng.randrange(8, 18), minute=rng.randrange(0, 60))


@dataclass
class Plan:
    portal: str
    place: str
    years: tuple[int, ...]
    units: tuple[str, ...]          # unit codes (see unit_name)
    specials: tuple[dict, ...] = ()  # overrides or extra entries, see build()
    noise: int = 8
    seed: int = 1
    id_base: int = 500000


# Findings planted in chosen reports of the default farm, recorded in the manifest (`planted`):
# narrative figures contradicting the tables (S-TEXT-TABLE), and a paragraph that reports of two
# agencies in different counties both print, word for word (X-COPY-OTHER). Keyed (portal, unit, year).
SHARED_TEXTS = (
    "为破解基层群众查找政策难的问题，我们在全县村（社区）便民服务中心试点设立“政策明白角”，"
    "由驻点干部每周两次现场解读惠农补贴、医保报销和宅基地审批办理流程，并将群众反复咨询的二十三个问题"
    "整理成口袋书免费发放，试点半年来现场咨询量下降了四成，群众满意度明显提升。",
    "针对涉企政策散落在各部门网站、企业难以及时获取的情况，我们联合工商联建立“政策直通车”机制，"
    "按照企业所属行业和规模标签精准推送政策原文及解读，同步开通惠企政策兑现线上申报通道，"
    "实现政策推送、解读、申报、兑现全流程闭环管理，全年累计为中小微企业兑现奖补资金逾千万元。",
)
PLANTS: dict[tuple[str, str, int], dict] = {
    ("farm-hw-county", "d1", 2023): {"contradict": True},
    ("farm-trs", "d2", 2022): {"contradict": True},
    ("farm-yl", "d2", 2023): {"contradict": True},
    ("farm-trs", "t0", 2022): {"contradict": True},   # a 繁體 page
    ("farm-hw-county", "d0", 2023): {"shared_text": SHARED_TEXTS[0]},
    ("farm-trs", "d2", 2023): {"shared_text": SHARED_TEXTS[0]},
    ("farm-yl", "t0", 2022): {"shared_text": SHARED_TEXTS[1]},
    ("farm-hn", "d2", 2022): {"shared_text": SHARED_TEXTS[1]},
}


def build(plan: Plan) -> list[Entry]:
    """Entries sorted newest first, article numbers increasing with publication time.

    A special is a dict with `unit`, `year` and ReportSpec overrides (`fmt`, `layout`, `attachment`,
    `breaks`, `blanks`, `correction`); `add=True` makes it an extra entry (图解, 更正) instead of
    replacing the unit's regular report; `late`, `added`, `deleted`, `edited` and `x` set entry flags.
    """
    rng = random.Random(f"{plan.portal}:{plan.seed}")
    regular: dict[tuple[str, int], dict] = {}
    for n, (y, u) in enumerate((y, u) for y in plan.years for u in plan.units):
        fmt = "2019" if y <= 2020 else "2021"
        regular[(u, y)] = {"fmt": fmt, "layout": LAYOUT_CYCLE[(n + plan.seed) % len(LAYOUT_CYCLE)]}
    extras = []
    flags: dict[tuple[str, int], dict] = {}
    for sp in plan.specials:
        sp = dict(sp)
        u, y = sp.pop("unit"), sp.pop("year")
        fl = {k: sp.pop(k) for k in ("late", "added", "deleted", "edited", "x") if k in sp}
        if sp.pop("add", False):
            base = dict(regular.get((u, y), {"fmt": "2021" if y > 2020 else "2019", "layout": "word"}))
            base.update(sp)
            extras.append((u, y, base, fl))
        else:
            regular.setdefault((u, y), {}).update(sp)
            flags[(u, y)] = fl
    items = [(u, y, kw, flags.get((u, y), {})) for (u, y), kw in regular.items()] + extras
    entries: list[Entry] = []
    order = {uy: n for n, uy in enumerate(regular)}
    for i, (u, y, kw, fl) in enumerate(items):
        agency, utype = unit_name(plan.place, u)
        # extras (图解, 更正) share the seed of the unit's regular report so their numbers agree
        planted = PLANTS.get((plan.portal, u, y), {}) if i < len(regular) else {}   # not on 图解/更正 extras
        spec = ReportSpec(agency=agency, year=y, seed=plan.seed * 1000 + order.get((u, y), 900 + i),
                          **kw, **planted)
        late = fl.get("late", False)
        pub = fl.get("published") or pub_date(rng, y, utype, late)
        if kw.get("correction"):
            pub = pub + timedelta(days=20)
        if fl.get("added"):
            pub = datetime(max(plan.years) + 1, 4, 20, 9, 30)
        entries.append(Entry(portal=plan.portal, key=f"{u}-{y}-{i}", kind="report", published=pub, num=0,
                             agency=agency, report_year=y, spec=spec, unit_type=utype, late=late,
                             added=fl.get("added", False), deleted=fl.get("deleted", False),
                             edited=fl.get("edited", False), x=dict(fl.get("x", {}))))
    ys = sorted(plan.years)
    for k in range(plan.noise):
        t = NOISE_TITLES[k % len(NOISE_TITLES)]
        y = ys[k % len(ys)] + 1
        title = t.format(place=plan.place, y=y)
        if k >= len(NOISE_TITLES):
            title = f"{title}（{k // len(NOISE_TITLES) + 1}）"
        pub = datetime(y, 1, 2) + timedelta(days=rng.randrange(0, 300), hours=rng.randrange(8, 18))
        entries.append(Entry(portal=plan.portal, key=f"noise-{k}", kind="noise", published=pub, num=0,
                             noise_title=title, agency=f"{plan.place}人民政府办公室"))
    entries.sort(key=lambda e: (e.published, e.key))
    for n, e in enumerate(entries):
        e.num = plan.id_base + 37 * n + (n * n) % 23
    entries.reverse()
    return entries


NOISE_BODY = ("<p>为进一步做好政务公开工作，根据上级有关要求，结合本地实际，现将有关事项公布如下。</p>"
              "<p>一、提高认识，加强组织领导。</p><p>二、突出重点，深化主动公开。</p>"
              "<p>三、规范依申请公开办理，依法保障公众知情权。</p><p>（此页面不是政府信息公开工作年度报告。）</p>")
