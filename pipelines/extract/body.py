"""Body text, the six sections, and report metadata (title, agency, year, dates).

HTML: the CMS body container when one is present (docs/adapters.md), else trafilatura's main
text. Metadata: the national meta tags (ArticleTitle, PubDate, ContentSource), the 索引号
header block (table, list or label/value lines), the title (→ agency + report year), page
dates, with fallbacks down to the signature date at the end of the report.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from nianbao.filetypes import DOWNLOAD_HINT, names_file
from nianbao.titles import GRAPHIC_PREFIX

from .decode import for_matching, strip_pinyin_noise, to_simplified
from .match import heading_section

# ------------------------------------------------------------------ containers
CONTAINERS = (
    ("id", "zoom"), ("class", "TRS_Editor"), ("class", "trs_editor_view"), ("id", "UCAP-CONTENT"),
    ("id", "Content"), ("class", "article-content"), ("class", "zw"), ("class", "content-wrapper"),
    ("id", "ivs_content"), ("tdclass", "heise"), ("class", "articleContent"), ("id", "article"),
    ("class", "pages_content"), ("class", "xxgk_content"), ("class", "zw-content"), ("id", "fontzoom"),
    ("class", "con_c"), ("class", "Custom_UnionStyle"), ("id", "webeditorview"), ("class", "zwnr"),
    ("id", "textcon"), ("class", "TRS_UEDITOR"), ("class", "gkxl-article"),
)


def find_container(root):
    """The CMS body container, by the priority of CONTAINERS; the largest match of a selector.
    One pass over elements that carry an id or a class (XPath attribute tests run in C)."""
    by_id: dict[str, list] = {}
    by_class: dict[str, list] = {}
    for el in root.xpath("//*[@id]"):
        by_id.setdefault(el.get("id"), []).append(el)
    for el in root.xpath("//*[@class]"):
        for c in (el.get("class") or "").split():
            by_class.setdefault(c, []).append(el)
    for kind, name in CONTAINERS:
        if kind == "id":
            els = by_id.get(name, [])
        elif kind == "tdclass":
            els = [e for e in by_class.get(name, []) if e.tag == "td"]
        else:
            els = by_class.get(name, [])
        best, best_len = None, -1
        for el in els:
            n = len(el.text_content().strip()) + 200 * len(el.xpath(".//table|.//img"))
            if n > best_len:
                best, best_len = el, n
        if best is not None and best_len >= 20:
            return best, (f"#{name}" if kind == "id" else f".{name}")
    return None, None


def html_meta(root) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.xpath("//meta[@name or @property]"):
        name = (m.get("name") or m.get("property") or "").strip()
        content = m.get("content")
        if name and content is not None and name not in out:
            out[name] = content.strip()
    return out


def meta_get(meta: dict[str, str], *names: str) -> str | None:
    low = {k.lower(): v for k, v in meta.items()}
    for n in names:
        v = low.get(n.lower())
        if v and not re.search(r"[<>{}$]|CMSPRO|^-$|^本网$", v):
            return v
    return None


# ------------------------------------------------------------------ dates
_DATE = re.compile(r"((?:19|20)\d{2})\s*(?:[-/.年—–]|\s)\s*(\d{1,2})\s*(?:[-/.月—–]|\s)\s*(\d{1,2})\s*日?")


def parse_date(s: str | None) -> str | None:
    if not s:
        return None
    m = _DATE.search(for_matching(s))
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


# ------------------------------------------------------------------ 索引号 header
HEADER_LABELS = ("索引号", "发布机构", "发文机关", "发文单位", "发布单位", "成文日期", "发布日期", "公布日期",
                 "发文日期", "发布时间", "文号", "发文字号", "信息来源", "来源", "主题分类", "分类", "名称", "标题",
                 "公开方式", "有效性", "统一编号", "主题词", "日期", "时间")
_HDR_LABEL_RE = re.compile("(" + "|".join(sorted(HEADER_LABELS, key=len, reverse=True)) + r")\s*[:：]?")


def _squash(s: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", s)


# "发布日期:2024-02-08 10:00" inline in a header line: label, then the value up to the next space.
_INLINE_FIELD = re.compile(r"(发布日期|发布时间|公布日期|信息来源|来源|发布机构|成文日期|日期|时间)\s*[:：]\s*"
                           r"([^\s:：]+(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")


def header_fields(lines: list[str], limit: int = 80) -> dict[str, str]:
    """Label/value pairs from the top of the page, in any of the layouts seen: inline
    ("发布日期:2024-02-08 访问次数:"), table cells (label | value), or a label line followed by
    its value line."""
    cells: list[str] = []
    for ln in lines[:limit]:
        for c in for_matching(ln).split("|"):
            c = c.strip()
            if c:
                cells.append(c)
    out: dict[str, str] = {}
    i = 0
    while i < len(cells):
        c = cells[i]
        sq = _squash(c)
        m = _HDR_LABEL_RE.match(sq)
        if not m:
            # inline pairs anywhere in a short line: "发布日期:2024-02-08 14:35 访问次数: 信息来源:海宁市"
            for mm in _INLINE_FIELD.finditer(c):
                out.setdefault(mm.group(1), mm.group(2).strip())
            i += 1
            continue
        label = m.group(1)
        rest = sq[m.end():]
        if label == "文号" and rest and not re.search(r"\d|号", rest):
            rest = ""
        if rest and len(sq) <= 60:
            if not _HDR_LABEL_RE.match(rest):
                # cut at a following label on the same cell ("发布日期:2024-02-08访问次数:")
                rest = re.split(r"访问次数|浏览次数|字号|点击|阅读次数|" + "|".join(HEADER_LABELS), rest)[0]
                if rest:
                    out.setdefault(label, rest)
        elif not rest and len(sq) <= 12 and i + 1 < len(cells):
            nxt = cells[i + 1]
            if not _HDR_LABEL_RE.match(_squash(nxt)) and len(nxt) <= 80 and not (
                    label == "文号" and not re.search(r"\d|号", nxt)):
                out.setdefault(label, nxt.strip())
                i += 2
                continue
        i += 1
    return out


# ------------------------------------------------------------------ title → agency, year
_TITLE_HINT = re.compile(r"(年度报告|年报|工作报告|年度工作报告|公开工作的报告|公开工作情况的报告)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_TAG_PREFIX = re.compile(r"^\s*(?:[（(【\[][^）)】\]]{1,8}[）)】\]]\s*)+")
_CUT_BEFORE = ("现向社会公布", "向社会公布", "现予公布", "公布", "印发", "关于", "现将")
_AGENCY_TAIL = re.compile(r"(?:政府信息公开|政务信息公开|政务公开|信息公开|政府信息)(?:工作)?$")


def clean_title(t: str | None) -> str | None:
    if not t:
        return None
    t = strip_pinyin_noise(re.sub(r"\s+", "", t.replace("\u3000", "")))
    t = _TAG_PREFIX.sub("", t)
    return t or None


def is_title(t: str) -> bool:
    m = for_matching(t)
    return 6 <= len(m) <= 120 and bool(_TITLE_HINT.search(m)) and not m.startswith(("本报告", "根据", "按照"))


_CN_DIGIT = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile("([二一][〇零○Ｏ一二三四五六七八九]{3})(?=\\s*年)")


def arabic_years(s: str) -> str:
    """二〇二三年 / 二零二三年 → 2023年 (titles and signatures written in Chinese numerals)."""
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGIT[c] for c in m.group(1)), s)


def agency_year(title: str | None) -> tuple[str | None, int | None]:
    if not title:
        return None, None
    t = arabic_years(to_simplified(for_matching(title)))
    t = _TAG_PREFIX.sub("", GRAPHIC_PREFIX.sub("", t))
    t = re.sub(r"[（(](图片版|超链版|文字版|图文版|更正|修订版)[）)]", "", t)
    inner = re.search(r"《([^》]*(?:19|20)\d{2}[^》]*)》", t)   # 关于《…年度报告》的更正
    if inner:
        t = inner.group(1)
    t = re.sub(r"^关于", "", t)
    m = _YEAR.search(t)
    if not m:
        pre = re.split(r"(?:政府信息公开|政务公开|信息公开)", t)[0]
        return (pre.strip(" :：") or None), None
    year = int(m.group(1))
    pre = t[: m.start()].strip(" :：,，、")
    if re.search(r"[（(]\s*$", pre):   # "XX政府信息公开工作年度报告（2023年度）"
        pre = re.split(r"(?:政府信息公开|政务信息公开|政务公开|信息公开)", pre)[0]
    pre = re.sub(r"关于$", "", pre)     # "XX关于2023年度政府信息公开工作的报告"
    if not pre:
        post = t[m.end():]
        post = re.sub(r"^度", "", post)
        pre = re.split(r"(?:政府信息公开|政务信息公开|政务公开|信息公开)", post)[0]
    for w in _CUT_BEFORE:
        k = pre.rfind(w)
        if k >= 0 and len(pre) - k - len(w) >= 2:
            pre = pre[k + len(w):]
    pre = _AGENCY_TAIL.sub("", pre).strip(" :：,，、")
    return (pre or None), year


_REGION_END = ("市", "区", "县", "旗", "镇", "乡", "州", "盟", "省")


def expand_agency(agency: str | None, lines: list[str], fields: dict[str, str]) -> str | None:
    """A title naming only the region ("永州市冷水滩区2022年…") is the region's 人民政府 when the
    page itself names that body (signature, header line, 发布机构)."""
    if not agency or not agency.endswith(_REGION_END):
        return agency
    want = agency + "人民政府"
    cands = [to_simplified(for_matching(x)).replace(" ", "") for x in lines[:60] + lines[-15:]]
    cands += [to_simplified(v) for k, v in fields.items() if k in ("发布机构", "发文机关", "发文单位", "发布单位")]
    if any(c == want or c.startswith(want) and len(c) <= len(want) + 4 for c in cands):
        return want
    return agency


_TITLE_IN_TEXT = re.compile(
    r"([\u4e00-\u9fff（）()]{2,40}?(?:19|20)\d{2}\s*年度?(?:政府信息公开|政务公开|信息公开)(?:工作)?年度报告)")


# A line that can only be the agency part of a title set over two lines ("淮安市人民政府" /
# "2024年政府信息公开工作年度报告"): short, no digits, ends like an agency name.
_AGENCY_SUFFIX = re.compile(r"(?:人民政府|政府|办公室|办公厅|委员会|委|局|厅|署|院|中心|管委会|街道办事处|办事处|"
                            r"街道|镇|乡|公司|所|站|队|馆|部|处|会)$")


def _agency_line(ln: str) -> str | None:
    t = to_simplified(for_matching(ln)).replace(" ", "").strip()
    if 3 <= len(t) <= 30 and not re.search(r"\d|[|>：:，,。；;]|报告", t) and _AGENCY_SUFFIX.search(t) \
            and not heading_section(t):
        return t
    return None


def _is_title_line(t: str) -> bool:
    return not ("|" in t or ">" in t or len(t) > 80 or "当前位置" in t or "报告" not in t) \
        and is_title(t) and bool(_YEAR.search(arabic_years(t))) and not heading_section(t)


def title_from_lines(lines: list[str]) -> str | None:
    """The title line near the top; a title set over two or three lines (agency above the year
    line, or the line broken inside the title) is joined, so the agency is not lost."""
    head = lines[:60]
    for k, ln in enumerate(head):
        t = for_matching(ln).strip()
        joined = None
        if not _is_title_line(t) and k + 1 < len(head) and len(t) <= 40 and "报告" not in t \
                and _YEAR.search(arabic_years(t)) and not heading_section(t):
            # "淮安市人民政府2024年政府信息公开" / "工作年度报告"
            for extra in (1, 2):
                cand = "".join(for_matching(x).strip() for x in head[k:k + 1 + extra])
                if _is_title_line(cand) and len(for_matching(head[k + extra]).strip()) <= 40:
                    joined, t = cand, cand
                    break
        if not _is_title_line(t):
            continue
        title = clean_title(strip_pinyin_noise(joined or ln))
        if title and agency_year(title)[0] is None and k > 0:
            ag = _agency_line(head[k - 1])
            if ag:
                title = ag + title
        return title
    # a report without a title line names itself in its first paragraph
    head = to_simplified(for_matching(" ".join(lines[:5])))
    m = _TITLE_IN_TEXT.search(head)
    if m:
        ag, yr = agency_year(m.group(1))
        if ag and yr:
            return f"{ag}{m.group(1)[m.group(1).find(str(yr)):]}"
    return None


def report_year_from_text(text: str) -> int | None:
    t = arabic_years(for_matching(text[:5000]))
    m = re.search(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日", t)
    if m:
        return int(m.group(1))
    m = re.search(r"((?:19|20)\d{2})\s*年度?(?:政府信息公开|政务公开)", t)
    return int(m.group(1)) if m else None


def signature_date(lines: list[str]) -> str | None:
    for ln in reversed(lines[-12:]):
        t = arabic_dates(for_matching(ln).strip())
        if len(t) <= 20 and re.fullmatch(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", t):
            return parse_date(t)
        # agency and date on one line: "淮安市人民政府  2024年1月20日"
        m = re.search(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$", t)
        if m and _agency_line(t[:m.start()]):
            return parse_date(m.group())
    return None


def signature_agency(lines: list[str]) -> str | None:
    """The agency of the signature block (落款): the agency-like line right above the signature
    date at the end of the report (or on the same line before the date)."""
    tail = lines[-12:]
    for i in range(len(tail) - 1, -1, -1):
        t = arabic_dates(for_matching(tail[i]).strip())
        m = re.search(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$", t)
        if not m or len(t) > 50:
            continue
        before = t[:m.start()].strip()
        if before:
            return _agency_line(before)
        return _agency_line(tail[i - 1]) if i > 0 else None
    return None


_CN_NUM = re.compile("[〇零○一二三四五六七八九十]{1,3}(?=\\s*[月日])")


def arabic_dates(s: str) -> str:
    """二〇二四年一月二十日 → 2024年1月20日 (signatures written in Chinese numerals)."""
    def num(m):
        w = m.group()
        if "十" in w:
            a, _, b = w.partition("十")
            return str((int(_CN_DIGIT.get(a, "1")) if a else 1) * 10 + (int(_CN_DIGIT[b]) if b else 0))
        return "".join(_CN_DIGIT.get(c, c) for c in w)
    return _CN_NUM.sub(num, arabic_years(s))


def url_date(url: str | None) -> str | None:
    if not url:
        return None
    m = re.search(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_", url) or \
        re.search(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/", url)
    if m:
        return parse_date(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
    return None


# ------------------------------------------------------------------ sections
def split_sections(lines: list[str]) -> list[dict]:
    """The six sections in document order (first heading of each key), with their text."""
    found: list[tuple[int, str, str]] = []
    seen = set()
    for i, ln in enumerate(lines):
        if "|" in ln:
            continue
        sk = heading_section(ln)
        if sk and sk not in seen:
            seen.add(sk)
            found.append((i, sk, ln.strip()))
    out = []
    for n, (i, sk, title) in enumerate(found):
        end = found[n + 1][0] if n + 1 < len(found) else len(lines)
        out.append({"key": sk, "title": title, "text": "\n".join(lines[i + 1:end]).strip()})
    return out


# ------------------------------------------------------------------ links
def find_links(el, base_url: str | None) -> list[dict]:
    """Anchors to files or pictures (nianbao.filetypes) or to download handlers, and every image,
    as {url, text}: where an attachment-only or 图解 page keeps its report."""
    out, seen = [], set()

    def add(href, text):
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            return
        u = urljoin(base_url, href) if base_url else href
        if u in seen:
            return
        seen.add(u)
        out.append({"url": u, "text": re.sub(r"\s+", " ", text or "").strip()})

    for a in el.xpath(".//a[@href]"):
        href = a.get("href").strip()
        if names_file(href) or DOWNLOAD_HINT.search(href):
            add(href, a.text_content() or a.get("title") or a.get("download"))
    for img in el.xpath(".//img[@src]"):
        add(img.get("src").strip(), img.get("alt") or img.get("title") or "")
    return out


# ------------------------------------------------------------------ noise
_NOISE_LINE = re.compile(r"^(阅读辅助|进入老年模式|无障碍|长者版|关怀版|繁體|繁体版|简体版|打印|关闭|分享到|字号|"
                         r"网站地图|主办单位|承办单位|.*ICP备|.*公网安备|网站标识码|建议.*分辨率|上一篇|下一篇|[?？|｜\s]+$)")


def trim_noise(lines: list[str], start_at: int = 0) -> list[str]:
    return [ln for ln in lines[start_at:] if not _NOISE_LINE.match(for_matching(ln).strip())]
