"""Real documents on a portal (opt-in): the files offices actually publish, in a crawl.

A city's 年报 column (a gkmlpt-style list, like the other opt-in portals) whose entries are:
- the real WPS-exported PDF of 洪泽区 2023 (farm/data/real/), linked from its report page;
- the three Word-like PDFs that LibreOffice made from DOCX with the official table layouts
  (farm/data/wordlike/: a page break inside table 三 with a `- N -` footer, wrapped labels,
  `1、`, a collapsed （六）, a label typo, a two-line title, a table printed all blank);
- a scanned report: a PDF of page pictures without a text layer (farm/scans.py);
- a report page whose tables 二, 三 and 四 are pictures between its paragraphs (`<img>` in the
  body, one table per picture), as when an office pastes screenshots of its tables;
- a 图解 poster (PNG) carrying the report's headline numbers, never counted.

Not listed by `Farm.sources()` / `Farm.manifest()`: a test takes `sources(farm)` and
`manifest(farm)` from this module; `manifest()["realdocs"]` is the ground truth of every entry
(cells as printed: a blank is None, never 0).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

from farm import scans
from farm.portals.base import Req, Resp, esc, html_resp
from farm.portals.catalog import Plan
from farm.portals.optin import OptInColumn
from nianbao import canon
from nianbao.canon import label_key

HOST = "www.realdocs-city.gov.cn.test"
SID, CLASSIFY = "990003", 2613
PLACE = "淮安市"
DATA = Path(__file__).resolve().parents[1] / "data"
SCAN_SEED, PICTURE_SEED = 3, 3
SCAN_AGENCY, PICTURE_AGENCY = "淮安市淮阴区人民政府", "淮安市淮安区人民政府"

PLAN = Plan(portal="farm-realdocs", place=PLACE, years=(2023,), units=("d0",), noise=0, seed=97, id_base=9700000)


def hongze_cells(values: dict) -> dict[tuple[str, str, str], float | None]:
    """The real PDF's values file (farm/data/real/README.md) → {(table, row, col): printed value}.
    Table 三 keys are label paths whose last part is the row's official label; its 7 values and
    table 四's 15 are in canon column order."""
    out: dict[tuple[str, str, str], float | None] = {}
    t2_rows = canon.keys_by_label(canon.ROWS["t2"])
    t2_cols = canon.keys_by_label(canon.COLS["t2"])
    for row, cols in values["table2"].items():
        for col, v in cols.items():
            if col != "unit":
                out[("t2", t2_rows[label_key(row)], t2_cols[label_key(col)])] = v
    t3_rows = canon.keys_by_label(canon.ROWS["t3"])
    for path, vals in values["table3"].items():
        row = t3_rows[label_key(path.split("/")[-1])]
        assert len(vals) == len(canon.T3_COLS)
        for k, v in zip(canon.T3_COLS, vals):
            out[("t3", row, k.key)] = v
    assert len(values["table4"]) == len(canon.T4_ORDER)
    for (r, c), v in zip(canon.T4_ORDER, values["table4"]):
        out[("t4", r, c)] = v
    return out


def _drawn(cells: dict) -> list[list]:
    """farm/scans.py cells → [[table, row, col, value]] (a blank printed cell is None)."""
    return [[t, r, c, None if v["semantic"] == canon.EMPTY else v["value"]] for (t, r, c), v in cells.items()]


class RealDocsPortal(OptInColumn):
    id = "farm-realdocs"
    name = "淮安市人民政府 政府信息公开年报（真实文件）"
    platform = "gkmlpt"
    hosts = (HOST,)
    region = "江苏省淮安市"
    site = "淮安市人民政府"
    idcode = "3208000003"
    sid, classify, expect, domain, prefix = SID, CLASSIFY, "realdocs", "www.huaian.gov.cn", "/realdocs/"
    article_ids = 9200

    def __init__(self, farm):
        super().__init__(farm, PLAN)
        self._files: dict[str, tuple[bytes, str]] | None = None
        self._truth: list[dict] = []
        self._lock = threading.Lock()

    # -- the documents (built once: drawing the scan takes a second or two)
    def files(self) -> dict[str, tuple[bytes, str]]:
        with self._lock:
            if self._files is None:
                self._files, self._truth = self._build()
            return self._files

    def truth(self) -> list[dict]:
        self.files()
        return self._truth

    def warm(self) -> None:
        self.files()

    def _build(self):
        base, files, truth = self.base(), {}, []
        real = json.loads((DATA / "real" / "hongze-2023-wps.values.json").read_text("utf-8"))
        files["hongze-2023.pdf"] = ((DATA / "real" / real["file"]).read_bytes(), "application/pdf")
        truth.append({"key": "wps_real", "title": real["title"], "agency": "洪泽区人民政府", "report_year": 2023,
                      "kind": "attachment_only", "file": "hongze-2023.pdf", "ocr": False,
                      "cells": [[*k, v] for k, v in hongze_cells(real["values"]).items()]})
        wordlike = json.loads((DATA / "wordlike" / "expected.json").read_text("utf-8"))
        for name, exp in sorted(wordlike.items()):
            files[name] = ((DATA / "wordlike" / name).read_bytes(), "application/pdf")
            truth.append({"key": name.rsplit(".", 1)[0], "title": f"{exp['agency']}{exp['report_year']}年政府信息公开工作年度报告",
                          "agency": exp["agency"], "report_year": exp["report_year"], "kind": "attachment_only",
                          "file": name, "ocr": False, "cells": exp["cells"]})
        data, cells, _ = scans.scanned_pdf(seed=SCAN_SEED, agency=SCAN_AGENCY)
        files["scan-2023.pdf"] = (data, "application/pdf")
        truth.append({"key": "scanned_pdf", "title": f"{SCAN_AGENCY}2023年政府信息公开工作年度报告",
                      "agency": SCAN_AGENCY, "report_year": 2023, "kind": "attachment_only", "file": "scan-2023.pdf",
                      "ocr": True, "cells": _drawn(cells)})
        pictures, cells = scans.table_pngs(seed=PICTURE_SEED, agency=PICTURE_AGENCY)
        for t, png in pictures:
            files[f"huaian-2023-{t}.png"] = (png, "image/png")
        truth.append({"key": "picture_tables", "title": f"{PICTURE_AGENCY}2023年政府信息公开工作年度报告",
                      "agency": PICTURE_AGENCY, "report_year": 2023, "kind": "report", "ocr": True,
                      "pictures": [f"huaian-2023-{t}.png" for t, _ in pictures], "cells": _drawn(cells)})
        poster, numbers = scans.tujie_png()
        files["tujie-2023.png"] = (poster, "image/png")
        truth.append({"key": "tujie", "title": f"图解：{PICTURE_AGENCY}2023年政府信息公开工作年度报告",
                      "agency": PICTURE_AGENCY, "report_year": 2023, "kind": "graphic", "ocr": True,
                      "file": "tujie-2023.png", "numbers": numbers, "cells": []})
        for t in truth:
            t["url"] = f"{base}/realdocs/{t['key']}.html"
            for k in ("file",):
                if k in t:
                    t["file_url"] = f"{base}/realdocs/files/{t[k]}"
        return files, truth

    # -- the column
    def listed(self) -> list[dict]:
        return [{"title": t["title"], "url": t["url"]} for t in self.truth()]

    def findings(self) -> dict:
        return {"realdocs": self.truth()}

    def doc_page(self, req: Req, t: dict) -> str:
        if "pictures" in t:   # the tables are screenshots between the paragraphs
            pic = {p.split("-")[-1][:2]: p for p in t["pictures"]}
            body = (f"<p>{esc(t['agency'])}根据《中华人民共和国政府信息公开条例》要求，编制本报告。</p>"
                    "<h3>一、总体情况</h3><p>本年度，我区认真贯彻落实政府信息公开工作要求。</p>"
                    f"<h3>二、主动公开政府信息情况</h3><p><img src=\"/realdocs/files/{pic['t2']}\" alt=\"\"></p>"
                    f"<h3>三、收到和处理政府信息公开申请情况</h3><p><img src=\"/realdocs/files/{pic['t3']}\" alt=\"\"></p>"
                    f"<h3>四、政府信息公开行政复议、行政诉讼情况</h3><p><img src=\"/realdocs/files/{pic['t4']}\" alt=\"\"></p>"
                    "<h3>五、存在的主要问题及改进情况</h3><p>信息公开工作仍有不足，下一步将加强培训。</p>"
                    "<h3>六、其他需要报告的事项</h3><p>无。</p>")
        elif t["kind"] == "graphic":
            body = f"<p><img src=\"/realdocs/files/{t['file']}\" alt=\"{esc(t['title'])}\"></p>"
        else:
            ext = t["file"].rsplit(".", 1)[1]
            body = (f"<p>{esc(t['title'])}全文见附件。</p>"
                    f"<p>附件：<a href=\"/realdocs/files/{t['file']}\">{esc(t['title'])}.{ext}</a></p>")
        # published on 20 January after the report year, as a department's report must be
        return self.article(req, t["title"], datetime(t["report_year"] + 1, 1, 20, 10, 0), body, t["agency"])

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p.startswith("/realdocs/files/"):
            f = self.files().get(p.rsplit("/", 1)[1])
            if f is not None:
                return Resp(body=f[0], ctype=f[1])
        if p.startswith("/realdocs/") and p.endswith(".html"):
            t = next((t for t in self.truth() if t["key"] == p[len("/realdocs/"):-5]), None)
            if t is not None:
                return html_resp(self.doc_page(req, t))
        return super().handle(req)


def portal_of(farm) -> RealDocsPortal:
    return farm.by_host[HOST]


def sources(farm) -> list[dict]:
    return portal_of(farm).own_sources()


def manifest(farm) -> dict:
    return portal_of(farm).own_manifest()
