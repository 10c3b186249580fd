"""OCR of pictures (docs/report-format.md#ocr): a table picture, a scanned PDF without a text
layer and a 图解 are drawn at test time (farm/scans.py) from the farm's printed cells,
read by extract(), and compared with what was drawn."""
from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from farm import scans as make
from nianbao.model import Cell, Document
from pipelines.extract import ocr
from pipelines.extract.document import extract
from pipelines.extract.sniff import image_format, sniff

pytestmark = pytest.mark.skipif(not Path(make.FONT_PATH).exists(), reason="CJK font of `make setup` missing")


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _score(doc: Document, truth: dict) -> tuple[int, list]:
    """Cells read exactly as drawn, and the wrong or missing ones (key, drawn raw, read cell)."""
    got = {(c.table, c.row, c.col): c for c in doc.cells}
    ok, wrong = 0, []
    for key, want in truth.items():
        c = got.get(key)
        # full-width digits print like ASCII ones: OCR gives ASCII, the value is the same
        if c is not None and nfkc(c.raw) == nfkc(want["raw"]) and c.value == want["value"] \
                and c.semantic == want["semantic"]:
            ok += 1
        else:
            wrong.append((key, want["raw"], c))
    return ok, wrong


def _flagged(doc: Document) -> str:
    return " ".join(w.message for w in doc.warnings if w.code == "ocr_low_confidence")


def _check_reading(doc: Document, truth: dict) -> None:
    ok, wrong = _score(doc, truth)
    assert ok >= 0.99 * len(truth), f"{ok}/{len(truth)} read; wrong: {wrong[:10]}"
    flagged = _flagged(doc)
    for key, raw, c in wrong:
        # a wrong cell is never trusted silently: it is missing (the table checks see it), or named
        assert c is None or f"{'/'.join(key)}=" in flagged, (key, raw, c)
    for c in doc.cells:
        assert c.source == "ocr" and 0.0 <= c.confidence <= 1.0, c
        if c.confidence < ocr.OCR_MIN_CONFIDENCE:
            assert f"{c.table}/{c.row}/{c.col}=" in flagged, c


@pytest.fixture(scope="module")
def table_doc():
    data, truth = make.table_png()
    return extract(data, "https://example.gov.cn/tu/table.png"), truth


@pytest.fixture(scope="module")
def scan_doc():
    data, truth, npages = make.scanned_pdf()
    return extract(data, "https://example.gov.cn/scan.pdf"), truth, npages


def test_table_picture_is_read_like_a_table(table_doc):
    doc, truth = table_doc
    assert doc.error is None and doc.doc_type == "image" and doc.kind == "report"
    assert doc.format == "2021"
    assert set(doc.tables) == {"t3"}
    _check_reading(doc, truth)
    assert doc.metadata["ocr"]["pages_read"] == 1


def test_scanned_pdf_without_text_layer(scan_doc):
    doc, truth, npages = scan_doc
    assert doc.error is None and doc.doc_type == "pdf" and doc.kind == "report"
    assert set(doc.tables) == {"t2", "t3", "t4"}
    _check_reading(doc, truth)
    assert doc.metadata["ocr"]["pages_read"] == npages == doc.metadata["pages"]
    # the text outside the tables is read too: headings split the body into the six sections
    assert {s.key for s in doc.sections} >= {"s1", "s2", "s3", "s4", "s5", "s6"}
    assert doc.report_year == 2023


@pytest.mark.parametrize("seed", [2, 7])
def test_unruled_table_read_by_column_positions(seed):
    """Tables without rulings (Word tables without borders): columns come from the positions of
    the text, and small marks the detector leaves out ("-", "/") are still read."""
    data, truth = make.unruled_png(seed)
    doc = extract(data)
    assert doc.error is None and set(doc.tables) == {"t2", "t4"}
    assert all(":line " in c.locator for c in doc.cells)   # read as lines, not as a ruled grid
    _check_reading(doc, truth)


def test_text_pdf_with_tables_as_pictures():
    """A text PDF whose tables are pictures between its paragraphs: the text layer gives the
    headings, OCR gives the cells, each picture's tokens after its page's text."""
    data, truth = make.mixed_pdf()
    doc = extract(data)
    assert doc.error is None and doc.kind == "report" and set(doc.tables) == {"t2", "t3", "t4"}
    _check_reading(doc, truth)
    assert all(c.locator.startswith("pdf-ocr:p") and "/img[" in c.locator for c in doc.cells)
    assert "一、总体情况" in doc.body_text   # from the text layer
    assert doc.metadata["ocr"]["pages_read"] >= 5   # one per picture: 4 table 二 blocks, 三, 四


def test_text_pdf_with_cells_is_not_ocrd():
    from farm.reports import ReportSpec, generate
    g = generate(ReportSpec(agency="清河县人民政府", year=2022, fmt="2021", layout="word", attachment="pdf", seed=3))
    pdf = next(a.data for a in g.attachments if a.data[:5] == b"%PDF-")
    doc = extract(pdf)
    assert doc.cells and "ocr" not in doc.metadata and all(c.source is None for c in doc.cells)


def test_ocr_cells_carry_source_and_confidence_in_json(table_doc):
    doc, _ = table_doc
    js = json.loads(json.dumps(doc.to_json()))
    assert all(c["source"] == "ocr" and isinstance(c["confidence"], float) for c in js["cells"])
    back = Document.from_json(js)
    assert back.cells == doc.cells


def test_cells_without_ocr_keep_their_json_shape():
    c = Cell("t3", "granted", "total", 5, "5", "NUMERIC", "html:table[1]/r4/c10")
    assert set(c.to_json()) == {"table", "row", "col", "raw", "value", "semantic", "locator"}
    assert Cell.from_json(c.to_json()) == c


def test_tujie_numbers_are_read_as_text():
    data, numbers = make.tujie_png()
    doc = extract(data, "https://example.gov.cn/tujie.png")
    assert doc.error is None and doc.kind == "graphic" and not doc.cells
    text = doc.body_text.replace(" ", "")
    for label, n in numbers.items():
        assert label in text and str(n) in text, (label, n, doc.body_text)


def test_switched_off_gives_not_extractable(monkeypatch):
    monkeypatch.setenv("NIANBAO_OCR", "0")
    data, _ = make.table_png()
    doc = extract(data)
    assert doc.error.code == "not_extractable" and doc.kind == "graphic" and not doc.cells
    for pdf in (make.scanned_pdf()[0], make.mixed_pdf()[0]):
        doc = extract(pdf)
        assert doc.doc_type == "pdf" and not doc.cells and "ocr" not in doc.metadata


def test_low_confidence_cells_are_flagged_not_dropped():
    cells = [{"table": "t3", "row": "granted", "col": "total", "raw": "8", "value": 8, "semantic": "NUMERIC",
              "locator": "ocr:p1/table[1]/r6/c10"},
             {"table": "t3", "row": "granted", "col": "natural_person", "raw": ".11", "value": 0.11,
              "semantic": "NUMERIC", "locator": "ocr:p1/table[1]/r6/c4"},
             {"table": "t3", "row": "granted", "col": "legal_other", "raw": "3", "value": 3, "semantic": "NUMERIC",
              "locator": "ocr:p1/table[1]/r6/c9"},
             {"table": "t3", "row": "granted", "col": "legal_research", "raw": "2", "value": 2, "semantic": "NUMERIC",
              "locator": "html:table[1]/r6/c6"}]
    conf = {"ocr:p1/table[1]/r6/c10": 0.31, "ocr:p1/table[1]/r6/c4": 0.97, "ocr:p1/table[1]/r6/c9": 0.99}
    (w,) = ocr.mark_cells(cells, conf)
    assert w.code == "ocr_low_confidence"
    assert "t3/granted/total='8'" in w.message and "t3/granted/natural_person='.11'" in w.message
    assert "legal_other" not in w.message and "legal_research" not in w.message
    assert [c.get("source") for c in cells] == ["ocr", "ocr", "ocr", None]
    assert cells[0]["raw"] == "8" and cells[0]["value"] == 8   # kept as read


def test_pages_are_bounded(monkeypatch):
    monkeypatch.setattr(ocr, "OCR_MAX_PAGES", 1)
    data, _, npages = make.scanned_pdf()
    doc = extract(data)
    assert doc.metadata["ocr"]["pages_read"] == 1 < npages
    assert any(w.code == "ocr_capped" for w in doc.warnings)


@pytest.mark.parametrize("h", [ocr.DET_STRIP + ocr.DET_OVERLAP + 1, 1754, 1755, 2339, 4000, 9999])
def test_detector_strips_cover_the_page_with_room_for_a_line(h):
    strips = ocr._strips(h)
    assert strips[0][0] == 0 and strips[-1][0] + ocr.DET_STRIP == h
    assert strips[0][1] == 0 and strips[-1][2] > h
    for (top, lo, hi), (top2, lo2, _) in zip(strips, strips[1:]):
        assert hi == lo2 and top2 + ocr.DET_OVERLAP <= top + ocr.DET_STRIP   # shares meet; strips overlap
    for top, lo, hi in strips:
        # a line up to DET_OVERLAP tall whose centre is in the share lies wholly inside the strip
        assert top == 0 or lo - ocr.DET_OVERLAP / 2 >= top
        assert top + ocr.DET_STRIP == h or hi + ocr.DET_OVERLAP / 2 <= top + ocr.DET_STRIP


def _spy_detector(monkeypatch, eng) -> list:
    """[(shape given to the detector, shape it resized that to)] of every detector call."""
    seen = []
    real = type(eng.text_det).__call__

    def spy(det, img):
        seen.append((img.shape[:2], det.get_preprocess(max(img.shape[:2])).resize(img).shape[:2]))
        return real(det, img)
    monkeypatch.setattr(type(eng.text_det), "__call__", spy)
    return seen


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_detector_sees_a_tall_page_in_strips_at_its_own_scale(monkeypatch):
    """An A4 page is detected strip by strip (never more than DET_STRIP rows at once, never
    scaled) and read as well as whole: the cells of the table picture as drawn."""
    eng = ocr._engine()
    limit = eng.text_det.limit_side_len
    seen = _spy_detector(monkeypatch, eng)
    data, truth = make.table_png()
    doc = extract(data)
    assert len(seen) >= 4 and all(shape[0] <= ocr.DET_STRIP for shape, _ in seen)
    assert all(resized[0] == shape[0] for shape, resized in seen)
    assert eng.text_det.limit_side_len == limit > ocr.DET_STRIP   # the detector's own limit is back
    _check_reading(doc, truth)


def test_a_small_picture_is_scaled_as_the_detector_would_and_read_in_strips(monkeypatch):
    """A picture smaller than the detector's limit (a 图解 chart) used to be scaled up whole, its
    tensors larger than any strip's; it is scaled up by the same factor and read in strips, with
    the same boxes as read whole. Only a very flat picture, which RapidOCR pads first, is whole."""
    from PIL import Image
    eng = ocr._engine()
    limit = eng.text_det.limit_side_len
    seen = _spy_detector(monkeypatch, eng)
    extract(_png(Image.new("L", (800, 300), 255)))
    # never scaled again (the width only rounded to the network's multiple of 32)
    assert len(seen) >= 2 and all(shape[0] <= ocr.DET_STRIP and resized[0] == shape[0] for shape, resized in seen)
    assert {shape[1] for shape, _ in seen} == {round(800 * limit / 300)}
    seen.clear()
    extract(_png(Image.new("L", (900, 100), 255)))
    assert len(seen) == 1 and seen[0][0][1] == 900
    # the boxes of a small picture with text: the same read in strips as read whole
    png, _ = make.tujie_png()
    small = Image.open(io.BytesIO(png)).convert("L")
    small = np.array(small.resize((small.width * 2 // 3, small.height * 2 // 3)))
    assert min(small.shape) < limit
    strips = ocr.read_boxes(small)
    monkeypatch.setattr(ocr, "_read_in_strips", lambda eng, bgr: None)
    whole = ocr.read_boxes(small)
    # (the order of boxes on one line may differ: it is sorted by coordinates a pixel apart)
    strips, whole = (sorted(bs, key=lambda b: (b.text, b.x0)) for bs in (strips, whole))
    assert len(strips) >= 5 and [b.text for b in strips] == [b.text for b in whole]
    assert all(abs(a.x0 - b.x0) <= 3 and abs(a.y1 - b.y1) <= 3 for a, b in zip(strips, whole))


def test_image_types_sniffed():
    from PIL import Image
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (255, 255, 255)).save(buf, fmt)
        assert sniff(buf.getvalue()) == "image", fmt
        assert image_format(buf.getvalue()) == fmt.lower().replace("jpeg", "jpg"), fmt
    # text that happens to start with "BM" is not a bitmap
    assert sniff("BM 某某局2023年政府信息公开工作年度报告\n一、总体情况\n".encode() * 3) == "text"


def test_multi_frame_tiff_is_read_page_by_page():
    imgs, truth = make.pages()
    buf = io.BytesIO()
    imgs[0].save(buf, "TIFF", save_all=True, append_images=imgs[1:], compression="tiff_deflate")
    doc = extract(buf.getvalue())
    assert doc.doc_type == "image" and doc.metadata["ocr"]["pages_read"] == len(imgs)
    ok, _ = _score(doc, truth)
    assert ok >= 0.99 * len(truth)


def test_huge_picture_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(ocr, "OCR_MAX_SOURCE_PIXELS", 1000)
    data, _ = make.tujie_png()
    doc = extract(data)
    assert doc.error.code == "too_large"


def test_worker_without_room_for_ocr_says_so():
    """Under an address-space limit too small for onnxruntime (pipelines/bounded.py's 1 GB), OCR
    is not started (it would fail half-way and leave the worker broken); with room, it reads."""
    import asyncio

    from pipelines.bounded import BoundedExtractor

    data, truth = make.table_png()

    async def run(mb):
        b = BoundedExtractor(memory_mb=mb, timeout=120)
        try:
            return await b.extract(data, None, None)
        finally:
            b.close()

    small = asyncio.run(run(ocr.OCR_MIN_ADDRESS_SPACE // (1 << 20) // 2))
    assert small["error"]["code"] == "not_extractable" and "OCR off: address-space limit" in small["error"]["message"]
    roomy = asyncio.run(run(ocr.OCR_MIN_ADDRESS_SPACE // (1 << 20)))
    assert roomy["error"] is None and len(roomy["cells"]) >= 0.99 * len(truth)


def test_models_ship_in_the_package_and_no_network_is_used(monkeypatch):
    import socket

    import rapidocr_onnxruntime

    models = list((Path(rapidocr_onnxruntime.__file__).parent / "models").glob("*.onnx"))
    assert {m.name.split("_infer")[0].split("_")[-1] for m in models} >= {"det", "rec"}

    def refuse(*a, **k):
        raise AssertionError(f"network used: {a!r}")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)   # load the models again, offline
    data, numbers = make.tujie_png()
    doc = extract(data)
    assert doc.error is None and str(next(iter(numbers.values()))) in doc.body_text


def test_photo_stored_sideways_is_turned_upright():
    """A JPEG stored rotated with an EXIF orientation (phones do this) is read upright."""
    from PIL import Image

    data, truth = make.table_png()
    sideways = Image.open(io.BytesIO(data)).rotate(90, expand=True).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6   # "rotate 90° clockwise to view"
    buf = io.BytesIO()
    sideways.save(buf, "JPEG", quality=90, exif=exif)
    ok, _ = _score(extract(buf.getvalue()), truth)
    assert ok >= 0.99 * len(truth)
