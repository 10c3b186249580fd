"""HTML and plain-text renderings of a report body (docs/adapters.md).

A body is a list of blocks: ("h", text) section heading, ("p", text) paragraph,
("table", grid) a table, ("attach", filename) an attachment link, ("img", filename).
Each renderer turns the blocks into the markup one family of real pages has:
  word        Word pasted into the CMS: MsoNormalTable, <p class=MsoNormal><span lang=EN-US>
  editor      UEditor/CKEditor native markup: <table border="1"> with bare <td>
  text_lines  the table flattened to one cell per paragraph (like seed 000)
  text_pipes  one row per paragraph, cells joined by " | " with empty span cells (seed 003)
"""
from __future__ import annotations

import html
import random

from .grids import Grid, GridCell, width

Block = tuple


def _cell_text(c: GridCell, cells: dict) -> str:
    if c.key is not None:
        return cells[c.key]["raw"]
    return c.text


def attach_href(filename: str) -> str:
    return "{{ATTACH:" + filename + "}}"


# ------------------------------------------------------------------ Word
_TD_STYLE = ("border:solid windowtext 1.0pt;border-top:none;mso-border-top-alt:solid windowtext .5pt;"
             "mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt")
_FONT = "font-family:仿宋_GB2312;mso-hansi-font-family:宋体"


def _word_inner(text: str, is_value: bool, r: random.Random) -> str:
    if text == "":
        filler = r.choice(("<span lang=EN-US><o:p>&nbsp;</o:p></span>",
                           "<span lang=EN-US>&nbsp;<o:p></o:p></span>", "<o:p></o:p>"))
        return f"<p class=MsoNormal align=center style='text-align:center'>{filler}</p>"
    parts = [html.escape(x) for x in text.split("\n")]
    if is_value:
        span = f"<span lang=EN-US style='font-size:10.5pt;{_FONT}'>{parts[0]}<o:p></o:p></span>"
        return f"<p class=MsoNormal align=center style='text-align:center'>{span}</p>"
    joined = "<br>\n".join(parts)
    return (f"<p class=MsoNormal align=center style='text-align:center;line-height:14.0pt'>"
            f"<span style='font-size:10.5pt;{_FONT}'>{joined}"
            f"<span lang=EN-US><o:p></o:p></span></span></p>")


def word_table(g: Grid, cells: dict, r: random.Random) -> str:
    w = width(g)
    colw = max(24, 590 // w)
    out = ["<div align=center>",
           "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=590 "
           "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
           "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>", " <tbody>"]
    for i, row in enumerate(g):
        first = ";mso-yfti-firstrow:yes" if i == 0 else ""
        last = ";mso-yfti-lastrow:yes" if i == len(g) - 1 else ""
        out.append(f" <tr style='mso-yfti-irow:{i}{first}{last};height:20.0pt'>")
        for c in row:
            attrs = f"width={colw * c.colspan}"
            if c.colspan > 1:
                attrs += f" colspan={c.colspan}"
            if c.rowspan > 1:
                attrs += f" rowspan={c.rowspan}"
            out.append(f"  <td {attrs} valign=middle style='{_TD_STYLE};height:20.0pt'>")
            out.append("  " + _word_inner(_cell_text(c, cells), c.key is not None, r))
            out.append("  </td>")
        out.append(" </tr>")
    out += [" </tbody>", "</table>", "</div>"]
    return "\n".join(out)


def word_para(text: str, heading: bool = False) -> str:
    t = html.escape(text)
    if heading:
        return ("<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>"
                f"<b><span style='font-size:16.0pt;font-family:黑体'>{t}</span></b>"
                "<span lang=EN-US style='font-size:16.0pt'><o:p></o:p></span></p>")
    return ("<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>"
            f"<span style='font-size:16.0pt;{_FONT}'>{t}</span>"
            "<span lang=EN-US style='font-size:16.0pt'><o:p></o:p></span></p>")


# ------------------------------------------------------------------ editor (UEditor)
def editor_table(g: Grid, cells: dict, r: random.Random) -> str:
    in_p = r.random() < 0.5
    out = ['<table border="1" width="100%" data-sort="sortDisabled"><tbody>']
    for i, row in enumerate(g):
        out.append('<tr class="firstRow">' if i == 0 else "<tr>")
        for c in row:
            attrs = ' valign="top" style="word-break: break-all;"'
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            if c.rowspan > 1:
                attrs += f' rowspan="{c.rowspan}"'
            text = _cell_text(c, cells)
            inner = "<br/>".join(html.escape(x) for x in text.split("\n")) if text else "<br/>"
            if in_p:
                inner = f'<p style="text-align:center">{inner}</p>'
            out.append(f"<td{attrs}>{inner}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def editor_para(text: str, heading: bool = False) -> str:
    t = html.escape(text)
    if heading:
        return f'<p style="text-indent: 2em;"><strong>{t}</strong></p>'
    return f'<p style="text-indent: 2em;">{t}</p>'


# ------------------------------------------------------------------ text renderings
def text_lines_table(g: Grid, cells: dict) -> list[str]:
    """One cell per line; a <br> inside a label becomes two lines (seed 000: 商业 / 企业)."""
    lines = []
    for row in g:
        for c in row:
            t = _cell_text(c, cells)
            lines.extend(t.split("\n") if t else [""])
    return lines


def text_pipes_table(g: Grid, cells: dict) -> list[str]:
    """One row per line, like seed 003: 'a | b | c |' then one '|' per position a span hides."""
    w = width(g)
    lines = []
    for row in g:
        texts = [_cell_text(c, cells).replace("\n", " ") for c in row]
        missing = w - len(row)
        lines.append(" | ".join(texts) + (" | " + "|" * missing if missing else " |"))
    return lines


def grid_plain(g: Grid, cells: dict) -> list[str]:
    """Plain text of a table as a browser would copy it: one row per line, tab separated."""
    return ["\t".join(_cell_text(c, cells).replace("\n", "") for c in row) for row in g]


# ------------------------------------------------------------------ whole body
def render(blocks: list[Block], cells: dict, layout: str, r: random.Random) -> tuple[str, str]:
    """-> (body_html, text)."""
    html_parts: list[str] = []
    text: list[str] = []
    pipes_in_pre = r.random() < 0.3
    for b in blocks:
        kind = b[0]
        if kind in ("h", "p"):
            heading = kind == "h"
            if layout == "word":
                html_parts.append(word_para(b[1], heading))
            else:
                html_parts.append(editor_para(b[1], heading))
            text.append(b[1])
        elif kind == "table":
            g = b[1]
            if layout == "word":
                html_parts.append(word_table(g, cells, r))
                text.extend(grid_plain(g, cells))
            elif layout == "editor":
                html_parts.append(editor_table(g, cells, r))
                text.extend(grid_plain(g, cells))
            elif layout == "text_lines":
                lines = text_lines_table(g, cells)
                html_parts.extend(f"<p>{html.escape(x) if x else '&nbsp;'}</p>" for x in lines)
                text.extend(lines)
            elif layout == "text_pipes":
                lines = text_pipes_table(g, cells)
                if pipes_in_pre:
                    html_parts.append("<pre>" + "\n".join(html.escape(x) for x in lines) + "</pre>")
                else:
                    html_parts.extend(f"<p>{html.escape(x)}</p>" for x in lines)
                text.extend(lines)
            else:
                raise ValueError(f"no table rendering for layout {layout!r}")
        elif kind == "attach":
            name = html.escape(b[1])
            html_parts.append(f'<p>附件：<a href="{attach_href(b[1])}" target="_blank" '
                              f'title="{name}">{name}</a></p>')
            text.append(f"附件：{b[1]}")
        elif kind == "img":
            html_parts.append(f'<p style="text-align:center"><img src="{attach_href(b[1])}" '
                              f'alt="" style="max-width:100%" /></p>')
        else:
            raise ValueError(kind)
    return "\n".join(html_parts), "\n".join(text)
