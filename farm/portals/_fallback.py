"""Temporary stand-in for farm/reports.py until the generator lands (remove then)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportSpec:
    agency: str
    year: int
    fmt: str = "2021"
    layout: str = "word"
    attachment: str | None = None
    breaks: tuple = ()
    blanks: bool = False
    correction: bool = False
    seed: int = 1


@dataclass
class Attachment:
    filename: str
    data: bytes
    mime: str
    cells: list = field(default_factory=list)


@dataclass
class Generated:
    title: str
    agency: str
    report_year: int
    format: str
    kind: str
    body_html: str
    text: str
    cells: list
    attachments: list
    images: list
    expected_failures: list


def generate(spec: ReportSpec) -> Generated:
    kind = "report"
    title = f"{spec.agency}{spec.year}年度政府信息公开工作年度报告"
    body = f"<p>{title}</p><p>一、总体情况</p>"
    atts, imgs = [], []
    if spec.layout == "graphic":
        kind, title = "graphic", "图解：" + title
        imgs = [("tujie1.png", b"\x89PNG\r\n\x1a\n" + bytes(64))]
        body = '<p><img src="{{IMAGE:tujie1.png}}"></p>'
    if spec.attachment:
        kind = "attachment_only"
        fn = f"{spec.agency}{spec.year}年报.{spec.attachment}"
        atts = [Attachment(fn, b"%PDF-1.4\n%%EOF\n", "application/pdf")]
        body = f'<p>详见附件：<a href="{{{{ATTACH:{fn}}}}}">{fn}</a></p>'
    if spec.correction:
        kind, title = "correction", f"关于{title}的更正"
    return Generated(title, spec.agency, spec.year, spec.fmt, kind, body, title, [], atts, imgs, list(spec.breaks))
