"""Offline OCR of pictures of pages (scans, 图解, tables as images) → the same token stream the
other formats give, so the label matcher reads OCR'd tables like any other (docs/report-format.md#ocr).

The recogniser is rapidocr-onnxruntime: PP-OCR detection and recognition models shipped inside
the wheel, run by onnxruntime on the CPU; nothing is downloaded at run time. A page picture is
read into text boxes with a confidence each; ruled tables are rebuilt from their ruling lines
(OpenCV morphology) into a Grid with merged cells, and text outside the tables becomes lines
whose columns keep their positions (an unruled table reads like `pdftotext -layout`).

Every token carries the recogniser's confidence (by locator), so the cells the matcher makes
from it can be marked `source: "ocr"` and flagged below OCR_MIN_CONFIDENCE.
"""
from __future__ import annotations

import io
import math
import os
import re
import time
from dataclasses import dataclass, field

from nianbao import canon
from nianbao.model import Problem

from .grid import GCell, Grid, LimitExceeded, Tok, add_grid, text_stream
from .match import heading_section

# Cost bounds (docs/report-format.md#ocr). The bounded worker allows 60 s a document, and a
# dense table page costs 1-3 s on 2 cores (8 s when they are busy), so OCR stops after
# OCR_MAX_SECONDS with a warning.
OCR_MAX_PAGES = 20                 # pages (PDF) or frames (TIFF/GIF) read
OCR_MAX_SECONDS = 40.0             # started pages finish; no new page starts after this
OCR_MAX_PIXELS = 6_000_000         # a page picture is scaled down to this (A4 at 150 dpi: 2.2 MP)
OCR_MAX_SOURCE_PIXELS = 100_000_000  # a bigger picture is refused before it is decoded (a bomb)
OCR_DPI = 150                      # PDF pages are rasterised at this resolution
MAX_SCAN_PAGES = 200               # pages looked at for pictures (as grid.MAX_PDF_PAGES)
OCR_MIN_CONFIDENCE = canon.OCR_MIN_CONFIDENCE   # below it a cell is kept but flagged (ocr_low_confidence)
OCR_THREADS = 2                    # onnxruntime threads: the machines have 2 cores
OCR_MIN_ADDRESS_SPACE = 2048 * 1024 * 1024   # OCR peaks at 1.0-1.5 GB of address space (0.7 GB resident)
ENGINE = "rapidocr-onnxruntime"


def off_reason() -> str | None:
    """Why OCR does not run here (None: it does). NIANBAO_OCR=0 switches it off; so does an
    address-space limit too small for it (a worker of pipelines/bounded.py), where onnxruntime
    would fail half-way and leave the worker unable to load anything else. Read at each call:
    the extraction worker's environment decides."""
    if os.environ.get("NIANBAO_OCR", "1").strip().lower() in ("0", "false", "no", "off"):
        return "NIANBAO_OCR=0"
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    if soft != resource.RLIM_INFINITY and soft < OCR_MIN_ADDRESS_SPACE:
        return f"address-space limit {soft >> 20} MB < the {OCR_MIN_ADDRESS_SPACE >> 20} MB OCR needs"
    return None


def enabled() -> bool:
    return off_reason() is None


@dataclass
class Box:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class OcrResult:
    toks: list[Tok] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)   # token locator → confidence
    pages: int = 0          # pages (frames) in the file
    read: int = 0           # pages OCR'd
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)

    def metadata(self) -> dict:
        return {"engine": ENGINE, "pages_read": self.read, "seconds": round(self.seconds, 2)}


# The extraction worker has 1 GB of address space (pipelines/bounded.py). OCR's libraries map a
# lot of it: OpenBLAS a buffer per thread (set before numpy loads), glibc a malloc arena per
# thread (onnxruntime's). One each keeps a table page at ~0.9 GB instead of ~1.5 GB.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_ENGINE = None


# Buffers of 4 MB and more (the detector's tensors, page pictures) are mapped and unmapped, not
# kept in glibc's heap: a scanned report's peak is ~160 MB lower (723 → 562 MB, ~20% more CPU).
# `release` gives back the rest of the heap after each document.
MMAP_THRESHOLD = 4 << 20


def _glibc(call) -> None:
    try:
        import ctypes
        call(ctypes.CDLL("libc.so.6"))
    except (OSError, AttributeError):   # not glibc: nothing to tune
        pass


def _one_malloc_arena() -> None:
    _glibc(lambda libc: (libc.mallopt(-8, 1),                 # M_ARENA_MAX = 1
                         libc.mallopt(-3, MMAP_THRESHOLD)))   # M_MMAP_THRESHOLD (glibc stops raising it)


def release() -> None:
    """Give the heap's free pages back to the system after a document was read by OCR (the worker
    lives on for hundreds of documents that need none of it)."""
    _glibc(lambda libc: libc.malloc_trim(0))


def _engine():
    global _ENGINE
    if _ENGINE is None:
        _one_malloc_arena()
        from rapidocr_onnxruntime import RapidOCR
        # text_score 0: low-confidence boxes are kept (and flagged), never silently dropped;
        # no angle classifier: scans are upright, and it costs time per box.
        _ENGINE = RapidOCR(text_score=0.0, use_cls=False, max_side_len=8000,
                           intra_op_num_threads=OCR_THREADS, inter_op_num_threads=1)
    return _ENGINE


_GARBLED = re.compile(r"^[（(]\s*[^一二三四五六七八九十\d\s）)]{1,2}\s*[)）]\s*\S")
_UNCLOSED = re.compile(r"^[（(]([一二三四五六七八九十]{1,2})(?=[^一二三四五六七八九十）)\s])")


# The detector runs on horizontal strips of a page, not on all of it: its tensors grow with the
# area it reads (~0.3 KB a pixel), and a whole A4 page at 150 dpi took the worker from ~170 MB to
# 330-530 MB (docs/report-format.md#ocr). Strips overlap by more than a text line is tall, and a
# box belongs to the strip whose share of the page (cut in the middle of each overlap) holds its
# centre, so every line is seen whole once and a line cut by a strip's edge is dropped there.
# The scale is the one the detector would use for the whole picture: a small picture (a 480×320
# 图解 chart) is scaled up here as the detector would have, and read in strips too, so that no
# picture makes the detector's tensors larger than a strip's.
DET_STRIP = 384            # pixels of page height a strip covers, overlap included
DET_OVERLAP = 128          # > the tallest text line of a page at 150 dpi (~60 pt)


def _strips(h: int) -> list[tuple[int, float, float]]:
    """(top, share from, share to) of each strip of a page `h` pixels tall: consecutive strips
    overlap by ≥ DET_OVERLAP and the shares, cut in the middle of the overlaps, cover the page."""
    n = max(2, math.ceil((h - DET_OVERLAP) / (DET_STRIP - DET_OVERLAP)))
    tops = [round(i * (h - DET_STRIP) / (n - 1)) for i in range(n)]
    cuts = [0.0] + [(tops[i + 1] + tops[i] + DET_STRIP) / 2 for i in range(n - 1)] + [float(h + 1)]
    return [(top, cuts[i], cuts[i + 1]) for i, top in enumerate(tops)]


def _det_scale(eng, h: int, w: int) -> float:
    """The factor the detector would scale a whole h×w picture by (≥ 1: it only scales up, to make
    the smaller side its `limit_side_len`), or 0 when RapidOCR would pad the picture first (very
    flat or tiny ones) or when its limit is not on the smaller side: only the whole read does those."""
    if eng.text_det.limit_type != "min" or h <= eng.min_height \
            or (eng.width_height_ratio != -1 and w / h > eng.width_height_ratio):
        return 0.0
    return max(1.0, eng.text_det.limit_side_len / min(h, w))


def _read_in_strips(eng, bgr) -> list | None:
    """[(points, text, score)] of a page picture read with the detector on strips, or None when
    the picture is not tall enough for strips (at the detector's scale): read it whole."""
    import cv2
    import numpy as np

    det = eng.text_det
    h, w = bgr.shape[:2]
    scale = _det_scale(eng, h, w)
    if not scale or h * scale <= DET_STRIP + DET_OVERLAP:
        return None
    big = bgr if scale == 1.0 else cv2.resize(bgr, (round(w * scale), round(h * scale)))
    sy, sx = big.shape[0] / h, big.shape[1] / w
    found, limit = [], det.limit_side_len
    det.limit_side_len = DET_STRIP   # a strip is read at the scale it has (its width is ≥ the old limit)
    try:
        for top, lo, hi in _strips(big.shape[0]):
            boxes, _ = det(np.ascontiguousarray(big[top:top + DET_STRIP]))
            for b in (boxes if boxes is not None else ()):
                b = b + np.array([0, top], dtype=b.dtype)
                if lo <= (b[:, 1].min() + b[:, 1].max()) / 2 < hi:
                    found.append(b / np.array([sx, sy], dtype=np.float32))
    finally:
        det.limit_side_len = limit
    del big
    if not found:
        return []
    found = eng.sorted_boxes(np.array(found, dtype=np.float32))
    read, _ = eng.text_rec(eng.get_crop_img_list(bgr, found))
    return [(pts, r[0], r[1]) for pts, r in zip(found, read)]


def read_boxes(img) -> list[Box]:
    """OCR one page picture (a grayscale numpy array) → text boxes in pixel coordinates."""
    import cv2
    import numpy as np

    eng = _engine()
    bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    res = _read_in_strips(eng, bgr)
    if res is None:
        res, _ = eng(bgr)
    out = []
    for pts, text, score in res or ():
        p = np.asarray(pts, dtype=float)
        t = re.sub(r"\s*([()（）])\s*", r"\1", re.sub(r"\s+", " ", str(text))).strip()   # "(七 )总计"
        t = _UNCLOSED.sub(r"（\1）", t)   # "（一予以公开": the closing bracket is often lost
        if t:
            out.append(Box(t, float(score), p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()))
    return out


# ------------------------------------------------------------------ pictures in
def _bounded(im):
    """PIL image → grayscale numpy array within OCR_MAX_PIXELS."""
    import numpy as np

    w, h = im.size
    if w * h > OCR_MAX_PIXELS:
        k = (OCR_MAX_PIXELS / (w * h)) ** 0.5
        im = im.resize((max(1, int(w * k)), max(1, int(h * k))))
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        from PIL import Image
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))   # transparent = paper, not black
        im = Image.alpha_composite(bg, im)
    return np.asarray(im.convert("L"))


def image_pages(data: bytes):
    """Frames of a picture file (multi-page TIFF/GIF: up to OCR_MAX_PAGES), lazily, and the
    frame count. Raises LimitExceeded for a picture too large to decode."""
    from PIL import Image, ImageOps

    im = Image.open(io.BytesIO(data))
    w, h = im.size
    if w * h > OCR_MAX_SOURCE_PIXELS:
        raise LimitExceeded("too_large", f"picture of {w}×{h} pixels > {OCR_MAX_SOURCE_PIXELS}; not decoded")
    n = getattr(im, "n_frames", 1) or 1

    def frames():
        for i in range(min(n, OCR_MAX_PAGES)):
            im.seek(i)
            if im.format == "JPEG":
                im.draft("L", (w // 2, h // 2) if w * h > 4 * OCR_MAX_PIXELS else (w, h))
            upright = ImageOps.exif_transpose(im) if n == 1 else im   # a phone photo of a page
            yield f"p{i + 1}", _bounded(upright)
    return frames(), n


def pdf_pages(data: bytes):
    """Pages of a PDF rasterised at OCR_DPI (fewer dpi for oversized pages), lazily, and the page count."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    n = len(pdf)

    def frames():
        try:
            for i in range(min(n, OCR_MAX_PAGES)):
                page = pdf[i]
                pw, ph = page.get_size()
                scale = min(OCR_DPI / 72, (OCR_MAX_PIXELS / max(1.0, pw * ph)) ** 0.5)
                im = page.render(scale=scale, grayscale=True).to_pil()
                page.close()
                yield f"p{i + 1}", _bounded(im)
        finally:
            pdf.close()
    return frames(), n


# ------------------------------------------------------------------ ruled tables
def _runs(mask_1d, gap: int = 3) -> list[float]:
    """Centres of the runs of True in a 1-D mask (runs closer than `gap` are one)."""
    import numpy as np

    idx = np.flatnonzero(mask_1d)
    if not len(idx):
        return []
    out, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - prev > gap:
            out.append((start + prev) / 2)
            start = i
        prev = i
    out.append((start + prev) / 2)
    return out


@dataclass
class _Table:
    x0: int
    y0: int
    x1: int
    y1: int
    xs: list[float]
    ys: list[float]
    region: dict      # (r, c) atomic cell → (r0, c0) top-left of its merged cell
    span: dict        # (r0, c0) → (r1, c1) last atomic cell of the merged cell


def find_tables(gray) -> tuple[list[_Table], object]:
    """Ruled tables of a page: their ruling positions and merged cells; also the ink mask."""
    import cv2
    import numpy as np

    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    h, w = ink.shape
    k = max(20, min(w, h) // 40)
    hor = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    ver = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, k)))
    rules = cv2.dilate(hor | ver, np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(rules)
    tables = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if bw < 3 * k or bh < 2 * k // 2:
            continue
        hs = hor[y:y + bh, x:x + bw] > 0
        vs = ver[y:y + bh, x:x + bw] > 0
        ys = _runs(hs.sum(axis=1) >= k)
        xs = _runs(vs.sum(axis=0) >= min(k, bh // 2))
        if len(ys) < 2 or len(xs) < 2:
            continue

        def ruled(mask, a0, a1, b, vertical):
            # share of the ruling present along a cell side (ends left out: rulings cross there)
            b = int(round(b))
            lo, hi = int(a0 + (a1 - a0) * 0.2), int(a1 - (a1 - a0) * 0.2)
            if hi <= lo:
                return True
            band = mask[lo:hi, max(0, b - 3):b + 4] if vertical else mask[max(0, b - 3):b + 4, lo:hi]
            return band.any(axis=1 if vertical else 0).mean() > 0.6

        parent = {(r, c): (r, c) for r in range(len(ys) - 1) for c in range(len(xs) - 1)}

        def find(p):
            while parent[p] != p:
                parent[p] = parent[parent[p]]
                p = parent[p]
            return p

        def union(a, b):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        for r in range(len(ys) - 1):
            for c in range(len(xs) - 1):
                if c + 1 < len(xs) - 1 and not ruled(vs, ys[r], ys[r + 1], xs[c + 1], True):
                    union((r, c), (r, c + 1))
                if r + 1 < len(ys) - 1 and not ruled(hs, xs[c], xs[c + 1], ys[r + 1], False):
                    union((r, c), (r + 1, c))
        region = {p: find(p) for p in parent}
        span: dict = {}
        for p, root in region.items():
            r1, c1 = span.get(root, root)
            span[root] = (max(r1, p[0]), max(c1, p[1]))
        tables.append(_Table(x, y, x + bw, y + bh, [x + v for v in xs], [y + v for v in ys], region, span))
    tables.sort(key=lambda t: (t.y0, t.x0))
    return tables, ink


def _join(parts: list[str]) -> str:
    """Lines of one cell: CJK text wraps without a space, anything else gets one."""
    out = ""
    for p in parts:
        if out and not (re.search(r"[\u3000-\u9fff\uff00-\uffef]$", out) and re.match(r"[\u3000-\u9fff\uff00-\uffef]", p)):
            out += " "
        out += p
    return out


def _rows_of(boxes: list[Box]) -> list[list[Box]]:
    """Boxes → lines (vertical overlap), each left to right."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if lines:
            last = lines[-1]
            top, bot = min(x.y0 for x in last), max(x.y1 for x in last)
            tall = max(b.y1 - b.y0, max(x.y1 - x.y0 for x in last))   # a dash is 2 px tall
            if top < b.cy < bot and abs(b.cy - sum(x.cy for x in last) / len(last)) < 0.6 * tall:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(ln, key=lambda b: b.x0) for ln in lines]


def _split_at(b: Box, xs: list[float]) -> list[Box]:
    """A box that runs across column rulings (two cells read as one) split at them, characters
    shared out by position."""
    cuts = [x for x in xs if b.x0 + 4 < x < b.x1 - 4]
    if not cuts or len(b.text) < 2:
        return [b]
    step = (b.x1 - b.x0) / len(b.text)
    edges = [b.x0] + cuts + [b.x1]
    out = []
    for a, z in zip(edges, edges[1:]):
        t = "".join(ch for i, ch in enumerate(b.text) if a <= b.x0 + (i + 0.5) * step < z).strip()
        if t:
            out.append(Box(t, b.score, a, b.y0, z, b.y1))
    return out


def table_grid(t: _Table, boxes: list[Box], gray, ink, prefix: str) -> tuple[Grid, dict[str, float]]:
    """A ruled table and the boxes inside it → Grid (merged cells as span copies) and the
    confidence of each grid cell by its locator. A cell with ink but no text read gets
    confidence 0, so a digit the detector missed is flagged, not read as a blank."""
    import bisect

    nr, nc = len(t.ys) - 1, len(t.xs) - 1
    texts: dict[tuple[int, int], list[Box]] = {}
    for b0 in boxes:
        r0 = bisect.bisect(t.ys, b0.cy) - 1
        rulings = [t.xs[c] for c in range(1, nc) if 0 <= r0 < nr and t.region[(r0, c - 1)] != t.region[(r0, c)]]
        for b in _split_at(b0, rulings):
            r = bisect.bisect(t.ys, b.cy) - 1
            c = bisect.bisect(t.xs, b.cx) - 1
            if 0 <= r < nr and 0 <= c < nc:
                texts.setdefault(t.region[(r, c)], []).append(b)
    read: dict[tuple[int, int], tuple[str, float]] = {}
    again: list[tuple[tuple[int, int], object]] = []   # short cells read once more from a tight crop
    for root, (r1, c1) in t.span.items():
        bs = texts.get(root, [])
        lines = _rows_of(bs)
        text = _join([_join([b.text for b in ln]) for ln in lines])
        score = min((b.score for b in bs), default=1.0)
        crop = None
        if len(lines) <= 1 and (len(text) <= 3 or _NUMBERISH.fullmatch(text)):   # values, not labels
            y0, y1 = int(t.ys[root[0]]) + 5, int(t.ys[r1 + 1]) - 4
            x0, x1 = int(t.xs[root[1]]) + 5, int(t.xs[c1 + 1]) - 4
            crop = _ink_crop(gray, ink, y0, y1, x0, x1)
            if crop is not None:
                again.append((root, crop))
                if not bs:
                    score = 0.0   # ink but nothing read: a missed digit must not pass as a blank
        read[root] = (text, score)
    for root, (text, score) in list(read.items()):
        if _GARBLED.match(text):   # "(t)总计": a small ordinal misread; read it again, larger
            r1, c1 = t.span[root]
            crop = _ink_crop(gray, ink, int(t.ys[root[0]]) + 5, int(t.ys[r1 + 1]) - 4,
                             int(t.xs[root[1]]) + 5, int(t.xs[c1 + 1]) - 4)
            if crop is not None and crop.shape[0] < 80:
                import cv2
                (text2, score2), = _recognise([cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)])
                text2 = _UNCLOSED.sub(r"（\1）", re.sub(r"\s+", "", text2))
                if not _GARBLED.match(text2) and re.match(r"[（(][一二三四五六七八九十]{1,2}[)）]", text2):
                    read[root] = (text2, min(score, score2))
    if again:   # the detector's boxes are loose around one character ("0" scores 0.6-0.8 there)
        for (root, crop), (text, score) in zip(again, _recognise([c for _, c in again])):
            text = re.sub(r"\s+", " ", text).strip()
            old = read[root][0]
            better = bool(_NUMBERISH.fullmatch(text)) and not _NUMBERISH.fullmatch(old)   # "0." from a speck
            if text and (better or score > read[root][1]):
                read[root] = (text, score)
            text, score = read[root]
            m = _SPECKED.fullmatch(text)
            if m:   # "：0", "1.": a speck beside a value, read as punctuation
                text, score = m.group(1) or m.group(2), min(score, 0.5)
                read[root] = (text, score)
            if text in _STROKES:   # "/" and "1" are one stroke apart: its slant decides
                slash = _slant(crop) >= 12
                if slash != (text == "/"):
                    read[root] = ("/" if slash else "1", min(score, 0.5))
    _confusions(read, t)
    g = Grid(prefix)
    conf: dict[str, float] = {}
    for r in range(nr):
        row = []
        for c in range(nc):
            root = t.region[(r, c)]
            text, score = read[root]
            row.append(GCell(text, copy=root != (r, c)))
            if root == (r, c):
                conf[f"{prefix}/r{r + 1}/c{c + 1}"] = score
        g.rows.append(row)
    return g, conf


_NUMBERISH = re.compile(r"[+\-−]?\d[\d,，.]*|[/／—－\-]+|")
_LOOKALIKE = {"I": "/", "l": "/", "|": "/", "丨": "/", "O": "0", "o": "0", "〇": "0"}


def _confusions(read: dict, t: _Table) -> None:
    """A lone letter in a row of numbers is the recogniser's reading of "/" or "0" (the matcher
    would drop the whole row for it). It is replaced, and its confidence capped so that it is
    flagged, never trusted."""
    rows: dict[int, list] = {}
    for root in read:
        rows.setdefault(root[0], []).append(root)
    for roots in rows.values():
        numeric = sum(1 for p in roots if read[p][0] and _NUMBERISH.fullmatch(read[p][0]))
        for p in roots:
            text, score = read[p]
            if text in _LOOKALIKE and numeric >= 2:
                read[p] = (_LOOKALIKE[text], min(score, 0.5))
            elif text in _DASHES and p[1] > 0 and numeric >= 1:
                # "－" / "——" (not applicable) read as the numerals 一 / 二: a value cell never
                # holds a Chinese numeral alone, so it is the dash, flagged for a look
                read[p] = ("—", min(score, 0.5))


_SPECKED = re.compile(r"[：:.,，。、'`\"·]{1,2}([+\-−]?\d[\d,，]*(?:\.\d+)?|[/／])[：:.,，。、'`\"·]{0,2}"
                      r"|([+\-−]?\d[\d,，]*(?:\.\d+)?|[/／])[：:.,，。、'`\"·]{1,2}")
_STROKES = {"1", "/", "I", "l", "|", "丨", "／"}
_DASHES = {"一", "二", "一一", "="}


def _slant(crop) -> float:
    """Degrees the main stroke of a glyph leans right (a "/" leans ~20°, a "1" ~-8°: its flag)."""
    import cv2
    import numpy as np

    _, b = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(b)
    if len(xs) < 5:
        return 0.0
    _, v = np.linalg.eigh(np.cov(np.vstack([xs, ys]).astype(float)))
    vx, vy = v[:, 1]
    return float(np.degrees(np.arctan2(abs(vx), abs(vy)))) * (1 if vx * vy < 0 else -1)


def _ink_crop(gray, ink, y0: int, y1: int, x0: int, x1: int, pad: int = 4):
    """The printed part of a cell, `pad` pixels around it (None: nothing printed there)."""
    import cv2
    import numpy as np

    if y1 <= y0 or x1 <= x0 or not _has_ink(ink[y0:y1, x0:x1]):
        return None
    ys, xs = np.nonzero(ink[y0:y1, x0:x1])
    a, b = max(0, y0 + ys.min() - pad), y0 + ys.max() + pad + 1
    c, d = max(0, x0 + xs.min() - pad), x0 + xs.max() + pad + 1
    keep = cv2.dilate(ink[a:b, c:d], np.ones((3, 3), np.uint8)) > 0   # the strokes; speckle beside them goes
    return np.where(keep, gray[a:b, c:d], 255).astype(np.uint8)


def _recognise(crops) -> list[tuple[str, float]]:
    """Recognition only (no detection) of single-line crops."""
    import cv2

    res, _ = _engine().text_rec([cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops])
    return [(str(t), float(s)) for t, s in res]


def _has_ink(patch) -> bool:
    """Something printed in an empty-looking cell: a blob bigger than scanner speckle."""
    import cv2

    if patch.size == 0:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(patch)
    return any(stats[i][4] >= 25 and max(stats[i][2], stats[i][3]) >= 6 for i in range(1, n))


# ------------------------------------------------------------------ text outside tables
def _layout_line(line: list[Box]) -> tuple[str, list[tuple[int, int, Box]]]:
    """A line of boxes as text with columns by position (2+ spaces between boxes apart), and
    the character span of each box, so text_stream reads an unruled table like layout text."""
    cw = max(6.0, sorted((b.x1 - b.x0) / max(1, len(b.text)) for b in line)[len(line) // 2])
    s, spans, prev_x1 = "", [], 0.0
    for b in line:
        col = int(b.x0 / cw)
        if s:
            col = max(col, len(s) + 2) if b.x0 - prev_x1 > cw else len(s)
        s = s.ljust(col)
        spans.append((len(s), len(s) + len(b.text), b))
        s += b.text
        prev_x1 = b.x1
    return s, spans


def _line_items(boxes: list[Box]) -> list[tuple[float, str, tuple]]:
    return [(min(b.y0 for b in ln), "line", _layout_line(ln)) for ln in _rows_of(boxes)]


def _missed_marks(gray, ink, boxes: list[Box], tables: list[_Table]) -> list[Box]:
    """Small marks on a text line that the detector left out ("-", "/", "—" in an unruled table
    are too small for it), read by recognition alone. Without them a row of dashes loses its
    cells and the row is misread."""
    import cv2
    import numpy as np

    if not boxes:
        return []
    hs = sorted(b.y1 - b.y0 for b in boxes)
    line_h = hs[len(hs) // 2]
    free = ink.copy()
    for b in boxes:
        free[max(0, int(b.y0) - 2):int(b.y1) + 3, max(0, int(b.x0) - 2):int(b.x1) + 3] = 0
    for t in tables:
        free[t.y0:t.y1 + 1, t.x0:t.x1 + 1] = 0
    n, _, stats, _ = cv2.connectedComponentsWithStats(free)
    found = []
    for i in range(1, min(n, 2000)):
        x, y, w, h, area = stats[i]
        if area < 8 or w > 2 * line_h or h > 1.5 * line_h:
            continue   # speckle, or a picture
        cy = y + h / 2
        if not any(b.y0 <= cy <= b.y1 for b in boxes):
            continue   # only on a line the detector read: a mark in a margin is not text
        found.append((x, y, w, h))
    if not found:
        return []
    crops = []
    for x, y, w, h in found:
        pad = max(4, int(line_h * 0.3))
        y0, y1 = max(0, int(y + h / 2 - line_h / 2) - 2), int(y + h / 2 + line_h / 2) + 3
        crops.append(gray[y0:y1, max(0, x - pad):x + w + pad])
    out = []
    for (x, y, w, h), (text, score) in zip(found, _recognise([c if c.size else np.full((8, 8), 255, np.uint8)
                                                                 for c in crops])):
        text = text.strip()
        if w >= 2 * h and h <= 0.25 * line_h:   # a flat mark: the recogniser calls it "·" or "一"
            text = "—" if w >= 0.7 * line_h else "-"
        if text:
            out.append(Box(text, min(score, 0.85), x, y, x + w, y + h))   # never trusted on its own
    return out


# ------------------------------------------------------------------ pages → stream
def ocr_pages(frames, npages: int, kind: str = "ocr") -> OcrResult:
    """OCR page pictures, (label, grayscale array) pairs, into one token stream (tables as grids,
    the rest as lines), bounded by OCR_MAX_PAGES and OCR_MAX_SECONDS."""
    out = OcrResult(pages=npages)
    start = time.monotonic()
    stopped = False
    for pno, (page, gray) in enumerate(frames, 1):
        if time.monotonic() - start > OCR_MAX_SECONDS:
            stopped = True
            break
        import cv2
        boxes = read_boxes(gray)
        # rulings and ink are found without scanner speckle (a dot would be "ink"); the text is
        # read from the picture as it is (the median filter eats thin strokes: 七 → t)
        tables, ink = find_tables(cv2.medianBlur(gray, 3))
        items: list[tuple] = []
        rest = []
        inside: dict[int, list[Box]] = {}
        for b in boxes:
            ti = next((i for i, t in enumerate(tables) if t.x0 <= b.cx <= t.x1 and t.y0 <= b.cy <= t.y1), None)
            (inside.setdefault(ti, []) if ti is not None else rest).append(b)
        for i, t in enumerate(tables):
            items.append((t.y0, "grid", (i, t)))
        rest += _missed_marks(gray, ink, rest, tables)
        items.extend(_line_items(rest))
        items.sort(key=lambda x: (x[0], 0 if x[1] == "line" else 1))
        for _, what, payload in items:
            if what == "grid":
                i, t = payload
                g, conf = table_grid(t, inside.get(i, []), gray, ink, f"{kind}:{page}/table[{i + 1}]")
                add_grid(g, out.grids, out.toks, out.lines)
                out.confidence.update(conf)
            else:
                _add_line(out, payload, f"{kind}:{page}")
        out.read = pno
    out.seconds = time.monotonic() - start
    release()
    if stopped or npages > OCR_MAX_PAGES:
        out.warnings.append(Problem.warning(
            "ocr_capped", f"OCR read {out.read} of {npages} page(s) (limits: {OCR_MAX_PAGES} pages, "
                          f"{OCR_MAX_SECONDS:.0f} s)"))
    return out


def _add_line(out: OcrResult, payload, kind: str) -> None:
    text, spans = payload
    toks, ls = text_stream(text, kind)
    n = len(out.lines) + 1
    low = min(b.score for _, _, b in spans)
    for tk in toks:
        tk.locator = tk.locator.replace("line 1", f"line {n}", 1)
        # the boxes the token was cut from: by its position, else by its text
        hit = [b.score for a, z, b in spans if tk.x is not None and a <= tk.x <= z] or \
              [b.score for _, _, b in spans if tk.text and (tk.text in b.text or b.text in tk.text)]
        out.confidence[tk.locator] = min(hit) if hit else low
    out.toks.extend(toks)
    out.lines.extend(ls)


def is_scan(data: bytes, lines: list[str], npages: int) -> bool:
    """A PDF whose pages are pictures: most of the first pages have no text layer (a scanner may
    stamp a few characters) and show an image. A page of few characters and no image is just a
    sparse page, not a scan."""
    if npages <= 0 or sum(len(re.sub(r"\s", "", ln)) for ln in lines) > 200 * npages:
        return False
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(data)
    try:
        pages = min(len(pdf), OCR_MAX_PAGES)
        scans = 0
        for i in range(pages):
            page = pdf[i]
            try:
                tp = page.get_textpage()
                chars = tp.count_chars()
                tp.close()
                if chars <= 20 and next(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2), None):
                    scans += 1
            finally:
                page.close()
        return scans * 2 >= pages > 0
    finally:
        pdf.close()


def ocr_image(data: bytes) -> OcrResult:
    frames, n = image_pages(data)
    return ocr_pages(frames, n)


def ocr_pdf(data: bytes) -> OcrResult:
    frames, n = pdf_pages(data)
    return ocr_pages(frames, n, "pdf-ocr")


# A picture that may hold a table: a quarter of the page wide and 1.5% of its area (a seal or a
# logo is narrower; a three-row table 二 block is ~3%).
OCR_MIN_PICTURE_WIDTH = 0.25
OCR_MIN_PICTURE_SHARE = 0.015


def picture_regions(data: bytes) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Pictures of a text PDF big enough to hold a table: (page index, (left, bottom, right,
    top) in points), at most OCR_MAX_PAGES of them."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out = []
    pdf = pdfium.PdfDocument(data)
    try:
        for i in range(min(len(pdf), MAX_SCAN_PAGES)):
            page = pdf[i]
            try:
                pw, ph = page.get_size()
                for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
                    left, bottom, right, top = obj.get_bounds()
                    if right - left >= OCR_MIN_PICTURE_WIDTH * pw \
                            and (right - left) * (top - bottom) >= OCR_MIN_PICTURE_SHARE * pw * ph:
                        out.append((i, (max(0.0, left), max(0.0, bottom), min(pw, right), min(ph, top))))
            finally:
                page.close()
            if len(out) >= OCR_MAX_PAGES:
                break
    finally:
        pdf.close()
    return out[:OCR_MAX_PAGES]


def ocr_pdf_pictures(data: bytes, regions) -> OcrResult:
    """OCR the pictures of a text PDF (tables pasted as images between its paragraphs): each
    region rendered at OCR_DPI from its page, so what is drawn over it is read too."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)

    def frames():
        try:
            seen: dict[int, int] = {}
            for i, (left, bottom, right, top) in regions:
                page = pdf[i]
                pw, ph = page.get_size()
                k = min(OCR_DPI / 72, (OCR_MAX_PIXELS / max(1.0, (right - left) * (top - bottom))) ** 0.5)
                im = page.render(scale=k, grayscale=True,
                                 crop=(left, bottom, pw - right, ph - top)).to_pil()
                page.close()
                seen[i] = seen.get(i, 0) + 1
                yield f"p{i + 1}/img[{seen[i]}]", _bounded(im)
        finally:
            pdf.close()
    return ocr_pages(frames(), len(regions), "pdf-ocr")


def read_pdf(data: bytes, toks: list[Tok], grids: list[Grid], lines: list[str], npages: int) -> OcrResult | None:
    """OCR for a PDF whose text layer gave no cells: every page of a scan, or the pictures of a
    text PDF. For the latter the text layer's tokens stay, each page's OCR tokens after its own
    text, and the OCR lines after the text lines. None: nothing to OCR."""
    if is_scan(data, lines, npages):
        return ocr_pdf(data)
    if not any(heading_section(ln) in ("s2", "s3", "s4") for ln in lines[:3000]):
        return None   # no table section in the text: its pictures are photos, not tables
    regions = picture_regions(data)
    if not regions:
        return None
    res = ocr_pdf_pictures(data, regions)

    def page_of(tk: Tok) -> int:
        m = re.match(r"pdf(?:-ocr)?:p(\d+)", tk.locator)
        return int(m.group(1)) if m else 0
    res.toks = sorted(toks + res.toks, key=page_of)   # stable: the text of a page first
    res.grids = grids + res.grids
    res.lines = lines + res.lines
    res.pages = npages
    return res


# ------------------------------------------------------------------ cells read by OCR
_INTEGER_TABLES = ("t3", "t4")
_FRACTION_COLS = set(canon.T2_DECIMAL_COLS) | {"procurement_amount"}   # the rest of table 二 are counts


def mark_cells(cells: list[dict], confidence: dict[str, float]) -> list[Problem]:
    """Mark matcher cells made from OCR tokens (`source`, `confidence`) and flag the doubtful:
    below OCR_MIN_CONFIDENCE, or failing a plausibility check (text where a number belongs, a
    fraction in a count). Returns the `ocr_low_confidence` warning naming them, if any."""
    flagged = []
    for c in cells:
        conf = confidence.get(c["locator"])
        if conf is None:
            continue
        c["source"] = "ocr"
        c["confidence"] = round(conf, 3)
        why = None
        if conf < OCR_MIN_CONFIDENCE:
            why = f"{conf:.2f}"
        elif c["semantic"] == canon.TEXT:
            why = "not a number"
        elif (c["table"] in _INTEGER_TABLES or c["col"] not in _FRACTION_COLS) \
                and isinstance(c["value"], float) and not c["value"].is_integer():
            why = "a fraction in a count"
        if why:
            flagged.append(f"{c['table']}/{c['row']}/{c['col']}={c['raw']!r} ({why})")
    if not flagged:
        return []
    return [Problem.warning("ocr_low_confidence",
                            f"{len(flagged)} OCR cell(s) to verify: " + "; ".join(flagged[:40])
                            + (" …" if len(flagged) > 40 else ""))]
