"""Report content generator for the sample portal farm.

    from farm.reports import ReportSpec, generate
    g = generate(ReportSpec(agency="清河县人民政府", year=2023, fmt="2021", layout="word"))

`generate` is deterministic for a given spec. Table values depend only on (agency, year, fmt,
seed), so several editions of one report (HTML, 图解, attachment) agree. The body's
attachment and image links are placeholders "{{ATTACH:<filename>}}" (used as href and as
<img src>) that the portal replaces with its own URL shape.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache

from nianbao import canon

from . import grids, layouts, seedtext
from .attachments import Attachment, build_attachment, doc_cells
from .printed import print_cells
from .tablegen import TableValues, make_values

LAYOUTS = ("word", "editor", "text_lines", "text_pipes", "traditional", "prose_only",
           "graphic", "attachment_only")
ATTACHMENTS = (None, "pdf", "docx", "xlsx", "xls", "doc")


@dataclass(frozen=True)
class ReportSpec:
    agency: str
    year: int
    fmt: str = canon.FORMAT_2021
    layout: str = "word"
    attachment: str | None = None
    breaks: tuple[str, ...] = ()
    blanks: bool = False
    correction: bool = False
    seed: int = 1
    # Planted findings (repr=False: the random draws, hence tables and prose, stay those of the
    # same spec without them). `contradict`: the text states figures its tables contradict
    # (S-TEXT-TABLE); `shared_text`: a paragraph also printed by another agency's report (X-COPY-OTHER).
    contradict: bool = field(default=False, repr=False)
    shared_text: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.fmt not in canon.FORMATS:
            raise ValueError(f"fmt must be one of {canon.FORMATS}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        if self.attachment not in ATTACHMENTS:
            raise ValueError(f"attachment must be one of {ATTACHMENTS}")
        object.__setattr__(self, "breaks", tuple(self.breaks))

    def __repr__(self) -> str:
        # The dataclass repr, plus the planted findings when set: repr keys the body cache
        # (farm/cache.py), while the random draws read `unplanted()` (tables and prose unchanged).
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.repr or getattr(self, f.name) != f.default]
        return f"{type(self).__qualname__}({', '.join(shown)})"

    def unplanted(self) -> ReportSpec:
        return replace(self, contradict=False, shared_text=None)


@dataclass
class GeneratedReport:
    title: str
    agency: str
    report_year: int
    format: str
    kind: str  # report | graphic | attachment_only | correction
    body_html: str
    text: str
    cells: list[dict]
    attachments: list[Attachment] = field(default_factory=list)
    images: list[tuple[str, bytes]] = field(default_factory=list)
    expected_failures: list[str] = field(default_factory=list)
    planted: list[dict] = field(default_factory=list)   # planted contradictions and copies (manifest)


def _rng(spec: ReportSpec, purpose: str) -> random.Random:
    return random.Random(f"{purpose}|{spec.unplanted()!r}")


def _title(spec: ReportSpec, r: random.Random) -> str:
    a, y = spec.agency, spec.year
    if spec.fmt == canon.FORMAT_LEGACY:
        return r.choice((f"{a}{y}年政府信息公开工作年度报告", f"{a}{y}年政务信息公开年度报告"))
    return r.choice((f"{a}{y}年度政府信息公开工作年度报告", f"{a}{y}年政府信息公开工作年度报告",
                     f"{y}年{a}政府信息公开工作年度报告"))


def _section_title(key: str, r: random.Random) -> str:
    k = next(s for s in canon.SECTIONS if s.key == key)
    if k.aliases and r.random() < 0.3:
        return r.choice(k.aliases)
    return k.label


def _zero_values(tv: TableValues) -> None:
    """prose_only reports say "nothing happened"; their numbers (and any attachment) are 0."""
    for table in (tv.t2, tv.t3, tv.t4):
        for k, v in table.items():
            table[k] = (0, "") if isinstance(v, tuple) else 0 * v


def _table_blocks(spec: ReportSpec, r: random.Random, ls: grids.LabelStyle, table: str) -> list:
    if table == "t2":
        subs = grids.t2_blocks(spec.fmt, ls)
        if r.random() < 0.3:
            return [("table", grids.stack(subs))]
        return [("table", g) for g in subs]
    if table == "t3":
        return [("table", grids.t3_grid(spec.fmt, ls, spec.year))]
    return [("table", grids.t4_grid(ls))]


_PROSE = {
    "t2": "本年度本机关未制发规章和行政规范性文件，无行政许可、行政处罚、行政强制、行政事业性收费等相关信息。",
    "t3": "本年度未收到政府信息公开申请，无上年结转政府信息公开申请。",
    "t4": "本年度未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。",
}

_LEGACY_SECTIONS = ("一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况",
                    "四、政府信息公开的收费及减免情况", "五、因政府信息公开申请行政复议、提起行政诉讼情况",
                    "六、存在的主要问题及改进措施", "七、其他需要报告的事项")


def _legacy_blocks(spec: ReportSpec, nar: seedtext.Narrative, r: random.Random) -> list:
    """Pre-2019 report: free structure, no canonical tables (store as narrative only)."""
    n_req = r.randint(0, 60)
    paras = {
        0: nar.s1[:1],
        1: nar.s1[1:3],
        2: [f"{spec.year}年，共受理政府信息公开申请{n_req}件，均已按时答复。"],
        3: [f"{spec.year}年，本机关未收取政府信息公开相关费用。"],
        4: ["本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"],
        5: nar.s5,
        6: nar.s6,
    }
    blocks = [("p", p) for p in nar.intro]
    for i, h in enumerate(_LEGACY_SECTIONS):
        blocks.append(("h", h))
        blocks.extend(("p", p) for p in paras[i])
    return blocks


def _requests_total(tv: TableValues) -> int:
    return tv.t3.get(("new_received", "total"), 0)


def _figures(tv: TableValues, cells: dict) -> dict | None:
    """The table figures the narrative states: the printed value (a break included), else the
    generator's own (a blank cell still has a true value)."""
    if tv.fmt not in (canon.FORMAT_2019, canon.FORMAT_2021):
        return None

    def v(t: str, row: str, col: str) -> int:
        c = cells.get((t, row, col))
        if c is not None and c.get("value") is not None:
            return c["value"]
        return getattr(tv, t).get((row, col), 0)
    fig = {"received": v("t3", "new_received", "total"), "carried_over": v("t3", "carried_over", "total"),
           "processed": v("t3", "total_processed", "total"), "carried_forward": v("t3", "carried_forward", "total"),
           "review": v("t4", "admin_review", "total"), "review_pending": v("t4", "admin_review", "pending"),
           "lit_direct": v("t4", "litigation_direct", "total"),
           "lit_after": v("t4", "litigation_after_review", "total")}
    if tv.fmt == canon.FORMAT_2021:
        fig.update(normative_issued=v("t2", "normative_docs", "issued_this_year"),
                   normative_repealed=v("t2", "normative_docs", "repealed_this_year"),
                   normative_in_force=v("t2", "normative_docs", "in_force"))
    else:
        fig["normative_issued"] = v("t2", "normative_docs", "newly_made")
    return fig


def generate(spec: ReportSpec) -> GeneratedReport:
    r_layout = _rng(spec, "layout")
    tv = make_values(spec.agency, spec.year, spec.fmt, spec.seed, spec.breaks)
    if spec.layout == "prose_only":
        _zero_values(tv)
    cells = print_cells(tv, _rng(spec, "print"), spec.blanks)
    if spec.attachment == "doc":
        # the committed DOC files carry their own numbers; the body prints the same ones
        cells = doc_cells(spec)
        for (t, row, col), c in cells.items():
            getattr(tv, t)[(row, col)] = c["value"] or 0
    title = _title(spec, r_layout)
    kind = "report"
    if spec.correction:
        kind = "correction"
    elif spec.layout == "graphic":
        kind = "graphic"
    elif spec.layout == "attachment_only":
        kind = "attachment_only"

    figures = _figures(tv, cells)
    nar = seedtext.narrative(spec.agency, spec.year, _requests_total(tv), _rng(spec, "text"), figures)
    planted: list[dict] = []
    # Findings are planted only in a report's own text (not a 图解, an attachment-only page or a 更正).
    plantable = spec.layout in ("word", "editor", "text_lines", "text_pipes", "traditional") and not spec.correction
    if figures is not None and spec.layout != "prose_only":
        para, planted = seedtext.figures_paragraph(figures, spec.fmt, _rng(spec, "stated"),
                                                   spec.contradict and plantable)
        nar.s1.append(para)
    if spec.shared_text and plantable:
        nar.s6.insert(0, spec.shared_text)
        planted.append({"kind": "copy", "text": spec.shared_text})
    # A contradiction is planted only where the table prints the number (a blank is never 0).
    where = {"t3.received": ("t3", "new_received", "total"), "t4.review": ("t4", "admin_review", "total")}
    planted = [p for p in planted if p.get("kind") == "copy"
               or (cells.get(where[p["claim"]]) or {}).get("value") is not None]
    for p in planted:
        p.setdefault("kind", "contradiction")
    ls = grids.LabelStyle(_rng(spec, "labels"))
    render_layout = spec.layout
    if spec.layout == "traditional":
        render_layout = r_layout.choice(("word", "editor"))
    elif spec.layout not in ("word", "editor", "text_lines", "text_pipes"):
        render_layout = "editor"

    printed_tables = ("t2", "t3", "t4")
    blocks: list = []
    if spec.correction:
        orig = title
        title = f"关于《{orig}》的更正"
        printed_tables = ("t3",) if r_layout.random() < 0.5 else ("t2", "t3")
        blocks.append(("p", f"我单位于{spec.year + 1}年1月发布的《{orig}》中，部分统计数据有误，"
                            "现予以更正。更正后的内容如下："))
        if spec.fmt != canon.FORMAT_LEGACY:
            for t in printed_tables:
                blocks.append(("h", _section_title("s" + t[1], r_layout)))
                blocks.extend(_table_blocks(spec, r_layout, ls, t))
        blocks.append(("p", "特此更正。"))
        blocks.append(("p", spec.agency))
    elif spec.layout == "graphic":
        title = r_layout.choice((f"图解：{title}", f"一图读懂{title}", f"{title}（图片版）"))
    elif spec.layout == "attachment_only":
        pass
    elif spec.fmt == canon.FORMAT_LEGACY:
        blocks = _legacy_blocks(spec, nar, r_layout)
    else:
        blocks.extend(("p", p) for p in nar.intro)
        order = ["s1", "s2", "s3", "s4", "s5", "s6"]
        if "S-SECTIONS" in spec.breaks:
            order.remove("s6")  # a report that forgot section 六 (its text goes under 五)
        for sk in order:
            blocks.append(("h", _section_title(sk, r_layout)))
            if sk == "s1":
                blocks.extend(("p", p) for p in nar.s1)
            elif sk in ("s2", "s3", "s4"):
                t = "t" + sk[1]
                if spec.layout == "prose_only":
                    blocks.append(("p", _PROSE[t]))
                else:
                    blocks.extend(_table_blocks(spec, r_layout, ls, t))
            elif sk == "s5":
                blocks.extend(("p", p) for p in nar.s5)
                if "s6" not in order:
                    blocks.extend(("p", p) for p in nar.s6)
            else:
                blocks.extend(("p", p) for p in nar.s6)

    # cells printed in the body, in the order the grids print them
    printed_keys = _printed_keys(blocks)
    body_cells = [cells[k] for k in printed_keys]

    attachments: list[Attachment] = []
    images: list[tuple[str, bytes]] = []
    att_kind = spec.attachment
    if spec.layout == "attachment_only" and att_kind is None:
        att_kind = "pdf"
    if att_kind:
        att = build_attachment(att_kind, spec, title, nar, cells, tv.fmt, _rng(spec, "attach"))
        attachments.append(att)
        if spec.layout == "attachment_only":
            blocks = [("p", "详见附件。"), ("attach", att.filename)]
        else:
            blocks.append(("attach", att.filename))
    if spec.layout == "graphic":
        from .images import report_images
        images = report_images(spec, tv, _rng(spec, "img"))
        blocks = [("img", name) for name, _ in images] + blocks

    body_html, text = layouts.render(blocks, cells, render_layout, r_layout)
    if spec.layout == "traditional":
        body_html, text, title = (_s2t(x) for x in (body_html, text, title))

    return GeneratedReport(
        title=title, agency=spec.agency, report_year=spec.year, format=spec.fmt, kind=kind,
        body_html=body_html, text=text, cells=[dict(c) for c in body_cells],
        attachments=attachments, images=images,
        expected_failures=_expected_failures(
            spec, body_cells + [c for a in attachments for c in a.cells]),
        planted=planted)


def _printed_keys(blocks: list) -> list[tuple]:
    keys = []
    for b in blocks:
        if b[0] == "table":
            for row in b[1]:
                keys.extend(c.key for c in row if c.key is not None)
    return keys


def _expected_failures(spec: ReportSpec, printed: list[dict]) -> list[str]:
    """Checks this report must fail: the deliberate breaks whose cells are printed (in the body
    or an attachment), plus S-FORMAT when the format does not match the report year."""
    printed_tables = {c["table"] for c in printed}
    out = []
    for b in spec.breaks:
        if b == "S-SECTIONS":
            if spec.layout not in ("graphic", "attachment_only") and not spec.correction:
                out.append(b)
        elif b.split("-")[0].lower() in printed_tables:
            out.append(b)
    if spec.contradict and spec.layout in ("word", "editor", "text_lines", "text_pipes", "traditional") \
            and not spec.correction and spec.fmt != canon.FORMAT_LEGACY \
            and any(c["table"] == "t3" and c["row"] == "new_received" and c["col"] == "total"
                    and c.get("value") is not None for c in printed):
        out.append("S-TEXT-TABLE")
    if spec.layout not in ("graphic", "attachment_only"):
        want = (canon.FORMAT_LEGACY if spec.year <= 2018 else
                canon.FORMAT_2019 if spec.year <= 2020 else canon.FORMAT_2021)
        if want != spec.fmt and printed:
            out.append("S-FORMAT")
    return out


@lru_cache(maxsize=1)
def _s2t_converter():
    import opencc
    return opencc.OpenCC("s2t")  # loading the dictionaries is the slow part


def _s2t(s: str) -> str:
    return _s2t_converter().convert(s)
