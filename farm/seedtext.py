"""Narrative text for generated reports, cut from real reports (copies of /work/shared/seeds in
farm/data/seeds) and adapted: agency names, years and counts are replaced.

The seed files are text renderings (punctuation folded to ASCII); `_restore_punct` puts the
full-width forms back, as the published HTML has them.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEED_DIR = Path(__file__).parent / "data" / "seeds"


@dataclass(frozen=True)
class SeedInfo:
    file: str
    agency: str
    year: int
    requests: int                     # the seed's 依申请 total, replaced by the table's total
    names: tuple[tuple[str, str], ...]  # (seed text, template) longest first
    stop: tuple[str, ...] = ()        # section 六 ends at the first of these
    # Sentences that state table figures (S-TEXT-TABLE): seed text → template whose ⟦key⟧
    # placeholders take the report's own table values, so the farm's prose agrees with its tables.
    stated: tuple[tuple[str, str], ...] = ()


SEEDS = (
    SeedInfo("000_182295efcc30db92.txt", "海宁市人民政府", 2023, 523,
             (("海宁市人民政府办公室", "{office}"), ("海宁市人民政府", "{agency}"),
              ("海宁市", "{place}"), ("我市", "我{unit}")),
             stop=(".doc", "网站地图"),
             stated=(("办理完毕523件", "办理完毕⟦processed⟧件"),
                     ("产生行政复议9件,其中2件尚未审结,未经复议直接起诉5件,复议后起诉1件", "⟦t4_counts⟧"))),
    SeedInfo("002_81ecb54b46cc6fdb.txt", "永州市冷水滩区人民政府", 2022, 15,
             (("永州市冷水滩区政务公开领导小组办公室", "{place}政务公开领导小组办公室"),
              ("永州市冷水滩区人民政府", "{agency}"), ("(http://www.lst.gov.cn)", ""),
              ("冷水滩区", "{place}"), ("我区", "我{unit}"), ("全区", "全{unit}"),
              ("区政府", "{unit}政府"), ("区本级", "{unit}本级"), ("区长信箱", "{unit}长信箱"),
              ("依法治区", "依法治{unit}")),
             stop=("永州市冷水滩区政务公开领导小组办公室",),
             stated=(("共发布10份规范性文件", "共发布⟦normative_issued⟧份规范性文件"),
                     ("没有发生因政府信息公开向区政府举报、投诉、申请行政复议、提起行政诉讼事件", "⟦t4_none⟧"))),
    SeedInfo("003_046dc01fb9bbe87a.txt", "漳州古雷港经济开发区", 2023, 11,
             (("漳州古雷港经济开发区办公室", "{office}"), ("漳州古雷港经济开发区", "{agency}"),
              ("我区", "我{unit}"), ("全区", "全{unit}"), ("区党工委、管委会", "{unit}委、{unit}政府")),
             stop=("根据《中华人民共和国政府信息公开条例》",)),
    SeedInfo("004_fd444ff5af9cfbaa.txt", "嘉兴市经济和信息化局", 2022, 8,
             (("嘉兴市经济和信息化局", "{agency}"), ("市经信局", "{agency}")),
             stop=("图解",),
             stated=(("没有产生政府信息公开行政复议、行政诉讼情况", "⟦t4_none⟧"),)),
)


@dataclass
class Narrative:
    intro: list[str]
    s1: list[str]
    s5: list[str]
    s6: list[str]
    seed: str


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


@lru_cache(maxsize=None)
def parse_seed(info: SeedInfo) -> Narrative:
    lines = _lines((SEED_DIR / info.file).read_text(encoding="utf-8"))
    idx = {h: next(i for i, ln in enumerate(lines) if ln.startswith(h))
           for h in ("一、总体情况", "二、主动公开", "五、", "六、")}
    intro = [ln for ln in lines[:idx["一、总体情况"]]
             if ln.startswith(("本报告", "根据《")) and len(ln) > 60]
    s1 = lines[idx["一、总体情况"] + 1: idx["二、主动公开"]]
    s5 = lines[idx["五、"] + 1: idx["六、"]]
    s6 = []
    for ln in lines[idx["六、"] + 1:]:
        cut = min((ln.find(s) for s in info.stop if s in ln), default=-1)
        if cut == 0:
            break
        if cut > 0:
            s6.append(ln[:cut])
            break
        s6.append(ln)
    return Narrative(intro, s1, s5, s6, info.file)


_PUNCT = {",": "，", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}


def _restore_punct(s: str) -> str:
    s = re.sub(r"(?<!http)(?<!https):", "：", s)
    return "".join(_PUNCT.get(ch, ch) for ch in s)


def place_of(agency: str) -> str:
    """清河县人民政府 -> 清河县; 嘉兴市经济和信息化局 -> 嘉兴市."""
    m = re.match(r"^(.+?(?:自治州|自治县|省|市|县|区|旗|镇|乡|街道))", agency)
    return m.group(1) if m else agency


class Adapter:
    """Rewrites one seed's sentences for another agency and year, consistently within a report
    (the same original number always becomes the same new number)."""

    def __init__(self, info: SeedInfo, agency: str, year: int, requests: int,
                 r: random.Random, figures: dict | None = None):
        self.info, self.year, self.requests, self.r = info, year, requests, r
        self.figures = figures   # the table values the stated sentences take (None: legacy, no tables)
        place = place_of(agency)
        unit = place[-1] if place[-1] in "市县区镇乡" else "单位"
        office = agency + "办公室" if agency.endswith("人民政府") else agency + "办公室"
        self.subst = [(a, b.format(agency=agency, place=place, unit=unit, office=office))
                      for a, b in info.names]
        self.numbers: dict[str, str] = {}

    def _year(self, m: re.Match) -> str:
        y = int(m.group(1))
        return str(self.year + (y - self.info.year)) if abs(y - self.info.year) <= 1 else m.group(1)

    def _count(self, m: re.Match) -> str:
        n = m.group(1)
        if n not in self.numbers:
            if int(n) == self.info.requests:
                self.numbers[n] = str(self.requests)
            else:
                self.numbers[n] = str(max(1, round(int(n) * self.r.uniform(0.6, 1.4))))
        return self.numbers[n]

    def __call__(self, s: str) -> str:
        if self.figures is not None:
            for a, b in self.info.stated:
                s = s.replace(a, b)
        for a, b in self.subst:
            s = s.replace(a, b)
        s = re.sub(r"(?<!\d)(20\d\d)(?=\s*(?:年|-\d|\s*\"|”))", self._year, s)
        s = re.sub(r"(?<![\d.\-])(\d{1,7})(?=余?(?:条|件|次|期|个|篇|场|组|人|份|项|家|万))",
                   self._count, s)
        if self.figures is not None:   # after the counts: the table's numbers are not rescaled
            s = re.sub(r"⟦(\w+)⟧", lambda m: str(stated_value(self.figures, m.group(1))), s)
        return _restore_punct(s)


def stated_value(fig: dict, key: str) -> str:
    """A placeholder of a seed's stated sentence, from the report's table figures."""
    if key == "t4_counts":   # seed 000's sentence, or its "nothing happened" form
        if not (fig["review"] or fig["lit_direct"] or fig["lit_after"]):
            return "未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况"
        return (f"产生行政复议{fig['review']}件,其中{fig['review_pending']}件尚未审结,"
                f"未经复议直接起诉{fig['lit_direct']}件,复议后起诉{fig['lit_after']}件")
    if key == "t4_none":     # seeds 002/004 say none happened: true only when the table says so
        if not (fig["review"] or fig["lit_direct"] or fig["lit_after"]):
            return "没有发生因政府信息公开申请行政复议、提起行政诉讼的情况"
        return f"因政府信息公开被申请行政复议{fig['review']}件、提起行政诉讼{fig['lit_direct'] + fig['lit_after']}件"
    return str(fig[key])


_CN = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0…99 in Chinese numerals (十七, 二十三), as reports write small counts."""
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return (_CN[tens] if tens > 1 else "") + "十" + (_CN[ones] if ones else "")


def figures_paragraph(fig: dict, fmt: str, r: random.Random, contradict: bool) -> tuple[str, list[dict]]:
    """One paragraph of section 一 stating the table's figures in one of the usual phrasings
    (受理 as 新收+结转, Chinese numerals, 余 approximations). With `contradict`, the number of
    applications and of reviews are planted wrong; the planted contradictions are returned."""
    new, carried, processed = fig["received"], fig["carried_over"], fig["processed"]
    planted: list[dict] = []
    received_said = new
    if contradict:
        received_said = new + carried + 7          # differs from both readings of 受理
        planted.append({"claim": "t3.received", "stated": received_said, "table": new})
    style = r.randrange(4)
    if style == 0 or contradict:
        s = (f"全年共受理政府信息公开申请{received_said if contradict else new + carried}件"
             f"（其中本年新收{new}件、上年结转{carried}件），办结{processed}件，"
             f"结转下年度继续办理{fig['carried_forward']}件。")
    elif style == 1 and 0 < new < 100 and 0 < processed < 100:
        s = f"本年度共收到政府信息公开申请{chinese_number(new)}件，办结{chinese_number(processed)}件。"
    elif style == 2 and new >= 20:
        s = f"全年受理依申请公开{new // 10 * 10}余件，均依法依规予以答复。"
    else:
        s = f"本年度共受理政府信息公开申请{new}件，全部按时答复。"
    review = fig["review"] + (2 if contradict else 0)
    if contradict:
        planted.append({"claim": "t4.review", "stated": review, "table": fig["review"]})
    lit = fig["lit_direct"] + fig["lit_after"]
    if review or lit:
        s += f"全年被申请行政复议{review}件，提起行政诉讼{lit}件。"
    else:
        s += "全年未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"
    if fmt == "2021" and fig.get("normative_issued") is not None:
        s += (f"本年度制发行政规范性文件{fig['normative_issued']}件，废止规范性文件{fig['normative_repealed']}件，"
              f"现行有效规范性文件{fig['normative_in_force']}件。")
    return s, planted


def narrative(agency: str, year: int, requests: int, r: random.Random,
              figures: dict | None = None) -> Narrative:
    info = r.choice(SEEDS)
    base = parse_seed(info)
    adapt = Adapter(info, agency, year, requests, r, figures)
    intro = base.intro or parse_seed(SEEDS[0]).intro
    intro_adapt = adapt if base.intro else Adapter(SEEDS[0], agency, year, requests, r, figures)
    return Narrative([intro_adapt(p) for p in intro], [adapt(p) for p in base.s1],
                     [adapt(p) for p in base.s5], [adapt(p) for p in base.s6] or ["无。"],
                     info.file)
