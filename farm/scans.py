"""Scanned and pictured reports: report pages drawn as pictures (no text layer anywhere), for the
OCR tests and the farm's real-documents portal (farm/portals/realdocs.py).

The tables are the farm's paper-form grids (farm/grids.py: canon labels, merged cells) filled
with the farm's printed numbers (farm/printed.py), drawn with PIL in the Debian CJK font that
`make setup` installs. Each maker returns the bytes and the ground-truth cells, so a test
compares what OCR read with what was drawn. `python -m farm.scans DIR` writes them out
for a look.
"""
from __future__ import annotations

import io
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from farm import grids as fgrids
from farm.printed import print_cells
from farm.tablegen import make_values
from nianbao import canon

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PAGE_W = 1240          # A4 at 150 dpi
PAGE_H = 1754
FONT_PX = 19           # 10.5 pt body text at ~130 dpi: what a scanner at 150 dpi gives, a little small
VALUE_COL = 92
LABEL_COL = 172
PAD = 6


def _font(px: int = FONT_PX) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, px)


def _wrap(text: str, width: int, font) -> list[str]:
    """Break a label into lines that fit `width` pixels (characters; explicit \\n kept)."""
    out = []
    for part in text.split("\n"):
        line = ""
        for ch in part:
            if line and font.getlength(line + ch) > width - 2 * PAD:
                out.append(line)
                line = ch
            else:
                line += ch
        out.append(line)
    return out


def _place(grid) -> tuple[list[tuple[int, int, object]], int, int]:
    """Grid of spanning cells → [(row, col, cell)] at their top-left position, rows, cols."""
    taken: set[tuple[int, int]] = set()
    placed = []
    ncols = 0
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            placed.append((r, c, cell))
            c += cell.colspan
            ncols = max(ncols, c)
    return placed, len(grid), ncols


def draw_table(grid, cells: dict, font=None, ruled: bool = True) -> Image.Image:
    """One table, black on white, ruled or not (Word tables without borders); labels wrapped
    inside their cells."""
    font = font or _font()
    placed, nrows, ncols = _place(grid)
    value_cols = {c for r, c, cell in placed if cell.key is not None and cell.colspan == 1}
    widths = [VALUE_COL if c in value_cols else LABEL_COL for c in range(ncols)]
    if len(value_cols) == ncols:       # table 四: every column holds a value
        widths = [74] * ncols
    line_h = int(FONT_PX * 1.35)
    heights = [2 * PAD + line_h] * nrows
    texts = {}
    for r, c, cell in placed:
        w = sum(widths[c:c + cell.colspan])
        text = cells[cell.key]["raw"] if cell.key is not None else cell.text
        lines = _wrap(text, w, font) if text else []
        texts[(r, c)] = lines
        if cell.rowspan == 1:
            heights[r] = max(heights[r], 2 * PAD + line_h * max(1, len(lines)))
    for r, c, cell in placed:   # a tall spanning label grows its last row
        need = 2 * PAD + line_h * len(texts[(r, c)])
        have = sum(heights[r:r + cell.rowspan])
        if need > have:
            heights[r + cell.rowspan - 1] += need - have
    xs = [0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [0]
    for h in heights:
        ys.append(ys[-1] + h)
    img = Image.new("L", (xs[-1] + 1, ys[-1] + 1), 255)
    d = ImageDraw.Draw(img)
    for r, c, cell in placed:
        x0, x1 = xs[c], xs[c + cell.colspan]
        y0, y1 = ys[r], ys[r + cell.rowspan]
        if ruled:
            d.rectangle((x0, y0, x1, y1), outline=0, width=2)
        lines = texts[(r, c)]
        top = (y0 + y1) / 2 - line_h * len(lines) / 2
        for k, ln in enumerate(lines):
            tw = font.getlength(ln)
            d.text(((x0 + x1) / 2 - tw / 2, top + k * line_h + (line_h - FONT_PX) / 2), ln, fill=0, font=font)
    return img


def _text_block(lines: list[str], width: int, font) -> Image.Image:
    line_h = int(FONT_PX * 1.8)
    wrapped = [w for ln in lines for w in _wrap(ln, width, font)]
    img = Image.new("L", (width, line_h * len(wrapped) + PAD), 255)
    d = ImageDraw.Draw(img)
    for k, ln in enumerate(wrapped):
        d.text((PAD, k * line_h + PAD), ln, fill=0, font=font)
    return img


AGENCY = "某某市某某区人民政府"


def report_values(fmt: str = canon.FORMAT_2021, seed: int = 7, agency: str = AGENCY) -> dict[tuple, dict]:
    """Printed cells of one generated report: (table, row, col) → {raw, value, semantic}."""
    tv = make_values(agency, 2023, fmt, seed)
    return print_cells(tv, random.Random(seed), blanks=True)


def report_blocks(fmt: str = canon.FORMAT_2021, seed: int = 7, agency: str = AGENCY) -> tuple[list, dict]:
    """The report as blocks ("text", [lines]) / ("table", grid) in reading order, and its cells."""
    cells = report_values(fmt, seed, agency)
    ls = fgrids.LabelStyle(random.Random(seed), breaks_in_labels=False)
    ls.spaces = False           # stray spaces inside labels are the matcher's business, not OCR's
    blocks: list = [("text", [f"{agency}2023年政府信息公开工作年度报告",
                              "一、总体情况", "本年度，我区认真贯彻落实《中华人民共和国政府信息公开条例》。",
                              "二、主动公开政府信息情况"])]
    for g in fgrids.t2_blocks(fmt, ls):
        blocks.append(("table", g))
    blocks.append(("text", ["三、收到和处理政府信息公开申请情况"]))
    blocks.append(("table", fgrids.t3_grid(fmt, ls, 2023)))
    blocks.append(("text", ["四、政府信息公开行政复议、行政诉讼情况"]))
    blocks.append(("table", fgrids.t4_grid(ls)))
    blocks.append(("text", ["五、存在的主要问题及改进情况", "信息公开工作仍有不足，下一步将加强培训。",
                            "六、其他需要报告的事项", "无。"]))
    return blocks, cells


def scan_look(img: Image.Image, seed: int = 0) -> Image.Image:
    """What a scanner adds: a little blur and grey speckle (no skew: pages are fed straight)."""
    r = random.Random(seed)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    px = img.load()
    w, h = img.size
    for _ in range(w * h // 400):
        x, y = r.randrange(w), r.randrange(h)
        px[x, y] = max(0, px[x, y] - r.randrange(60, 160))
    return img


def pages(fmt: str = canon.FORMAT_2021, seed: int = 7, agency: str = AGENCY) -> tuple[list[Image.Image], dict]:
    """The report laid out on A4 pages at 150 dpi (a block never splits across pages)."""
    blocks, cells = report_blocks(fmt, seed, agency)
    font = _font()
    parts = []
    for kind, payload in blocks:
        parts.append(_text_block(payload, PAGE_W - 160, font) if kind == "text" else draw_table(payload, cells, font))
    margin = 50
    out, page, y = [], Image.new("L", (PAGE_W, PAGE_H), 255), margin
    for p in parts:
        if p.height > PAGE_H - 2 * margin:   # never cut a table at the page edge
            k = (PAGE_H - 2 * margin) / p.height
            p = p.resize((int(p.width * k), PAGE_H - 2 * margin), Image.LANCZOS)
        if y + p.height > PAGE_H - margin and y > margin:
            out.append(page)
            page, y = Image.new("L", (PAGE_W, PAGE_H), 255), margin
        page.paste(p, ((PAGE_W - p.width) // 2, y))
        y += p.height + 24
    out.append(page)
    return out, cells


def table_png(fmt: str = canon.FORMAT_2021, seed: int = 7) -> tuple[bytes, dict]:
    """Table 三 alone as a PNG: the picture a report page puts between its paragraphs."""
    cells = report_values(fmt, seed)
    ls = fgrids.LabelStyle(random.Random(seed), breaks_in_labels=False)
    ls.spaces = False
    head = _text_block(["三、收到和处理政府信息公开申请情况"], 1100, _font())
    table = draw_table(fgrids.t3_grid(fmt, ls, 2023), cells)
    img = Image.new("L", (table.width + 40, head.height + table.height + 40), 255)
    img.paste(head, (20, 10))
    img.paste(table, (20, head.height + 20))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue(), {k: v for k, v in cells.items() if k[0] == "t3"}


def table_pngs(fmt: str = canon.FORMAT_2021, seed: int = 7, agency: str = AGENCY) -> tuple[list[tuple[str, bytes]], dict]:
    """Tables 二, 三 and 四 as one picture each ("t2", png), … — the screenshots a report page puts
    where its tables should be — and the cells they show."""
    cells = report_values(fmt, seed, agency)
    ls = fgrids.LabelStyle(random.Random(seed), breaks_in_labels=False)
    ls.spaces = False
    font = _font()
    out = []
    for t, grids in (("t2", fgrids.t2_blocks(fmt, ls)), ("t3", [fgrids.t3_grid(fmt, ls, 2023)]),
                     ("t4", [fgrids.t4_grid(ls)])):
        out.append((t, _stacked_png([draw_table(g, cells, font) for g in grids])))
    return out, cells


def unruled_png(seed: int = 7) -> tuple[bytes, dict]:
    """Table 二 blocks and table 四 without any ruling (columns only by position)."""
    cells = report_values(canon.FORMAT_2021, seed)
    ls = fgrids.LabelStyle(random.Random(seed), breaks_in_labels=False)
    ls.spaces = False
    font = _font()
    parts = [_text_block(["二、主动公开政府信息情况"], 1100, font)]
    parts += [draw_table(g, cells, font, ruled=False) for g in fgrids.t2_blocks(canon.FORMAT_2021, ls)]
    parts += [_text_block(["四、政府信息公开行政复议、行政诉讼情况"], 1100, font),
              draw_table(fgrids.t4_grid(ls), cells, font, ruled=False)]
    return _stacked_png(parts), {k: v for k, v in cells.items() if k[0] in ("t2", "t4")}


def _stacked_png(parts) -> bytes:
    """Pictures one under the other on a white page, as a PNG."""
    img = Image.new("L", (max(p.width for p in parts) + 40, sum(p.height + 20 for p in parts) + 20), 255)
    y = 10
    for p in parts:
        img.paste(p, (20, y))
        y += p.height + 20
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def mixed_pdf(seed: int = 7) -> tuple[bytes, dict]:
    """A text PDF (reportlab, real text layer) whose tables are pictures pasted between the
    paragraphs, as when a report's tables were screenshots."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("wqy", FONT_PATH, subfontIndex=0))
    blocks, cells = report_blocks(canon.FORMAT_2021, seed)
    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    w, h = A4
    y = h - 50
    for kind, payload in blocks:
        if kind == "text":
            for ln in payload:
                if y < 60:
                    c.showPage()
                    y = h - 50
                c.setFont("wqy", 11)
                c.drawString(50, y, ln)
                y -= 20
            continue
        img = draw_table(payload, cells, font)
        k = min((w - 100) / img.width, (h - 100) / img.height, 72 / 150)   # drawn at 150 dpi
        iw, ih = img.width * k, img.height * k
        if y - ih < 50:
            c.showPage()
            y = h - 50
        c.drawImage(ImageReader(img.convert("RGB")), (w - iw) / 2, y - ih, iw, ih)
        y -= ih + 14
    c.save()
    return buf.getvalue(), cells


def scanned_pdf(fmt: str = canon.FORMAT_2021, seed: int = 7, agency: str = AGENCY) -> tuple[bytes, dict, int]:
    """Every page a JPEG picture inside a PDF, no text layer (what a copier's scan-to-PDF makes).
    Returns (bytes, cells, number of pages)."""
    imgs, cells = pages(fmt, seed, agency)
    scans = [scan_look(im, seed + k).convert("RGB") for k, im in enumerate(imgs)]
    buf = io.BytesIO()
    scans[0].save(buf, "PDF", resolution=150, save_all=True, append_images=scans[1:], quality=80)
    return buf.getvalue(), cells, len(scans)


def tujie_png(numbers: dict[str, int] | None = None) -> tuple[bytes, dict[str, int]]:
    """A 图解 poster: a title band and big figures with captions (no table)."""
    numbers = numbers or {"主动公开政府信息": 1286, "收到申请": 57, "办结申请": 52, "行政复议": 3}
    w, h = 900, 260 + 150 * len(numbers)
    img = Image.new("RGB", (w, h), (250, 240, 225))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, 120), fill=(196, 30, 58))
    d.text((40, 34), "一图读懂2023年政府信息公开工作年度报告", fill=(255, 255, 255), font=_font(40))
    for k, (label, n) in enumerate(numbers.items()):
        y = 180 + 150 * k
        d.text((60, y), label, fill=(60, 60, 60), font=_font(34))
        d.text((520, y - 16), f"{n}", fill=(196, 30, 58), font=_font(64))
        d.text((520 + 40 * len(str(n)) + 10, y + 10), "件", fill=(60, 60, 60), font=_font(30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue(), numbers


if __name__ == "__main__":   # pragma: no cover - for looking at the fixtures
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.png").write_bytes(table_png()[0])
    (out / "scan.pdf").write_bytes(scanned_pdf()[0])
    (out / "tujie.png").write_bytes(tujie_png()[0])
    (out / "unruled.png").write_bytes(unruled_png()[0])
    (out / "mixed.pdf").write_bytes(mixed_pdf()[0])
    for k, im in enumerate(pages()[0], 1):
        scan_look(im, 7 + k - 1).save(out / f"page{k}.png")
