"""Every table-bearing report of the farm and every attachment extracts to the manifest's cells
(all of them), with the right format, report year and agency. Pages are fetched over real HTTP
from the farm on 127.0.0.1."""
from __future__ import annotations

import http.client
from urllib.parse import urljoin, urlsplit

import pytest

from pipelines.extract.document import extract_document

farm = pytest.importorskip("farm")


def fetch(port: int, url: str, referer: str | None = None, hops: int = 5) -> tuple[int, dict, bytes]:
    for _ in range(hops):
        u = urlsplit(url)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        headers = {"Host": u.netloc, "User-Agent": "nianbao-test"}
        if referer:
            headers["Referer"] = referer
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        hdrs = {k: v for k, v in r.getheaders()}
        conn.close()
        if r.status in (301, 302, 303, 307, 308) and r.getheader("Location"):
            url = urljoin(url, r.getheader("Location"))
            continue
        return r.status, hdrs, body
    raise AssertionError(f"too many redirects: {url}")


def key(c):
    return (c["table"], c["row"], c["col"])


def cellmap(cells):
    return {key(c): (c["raw"], c["value"], c["semantic"]) for c in cells}


@pytest.fixture(scope="module")
def farm_run():
    from farm import Farm
    with Farm(port=0) as f:
        f.set_politeness(False)
        yield f, f.manifest(variants=True)


def test_farm_reports_extract_exactly(farm_run):
    f, man = farm_run
    failures, n_reports, n_attach, n_cells = [], 0, 0, 0
    for rep in man["reports"]:
        if rep["cells"]:
            status, hdrs, body = fetch(f.port, rep["url"])
            assert status == 200, rep["url"]
            d = extract_document(body, url=rep["url"], headers=hdrs)
            n_reports += 1
            n_cells += len(rep["cells"])
            problems = []
            if cellmap(d["cells"]) != cellmap(rep["cells"]):
                want, got = cellmap(rep["cells"]), cellmap(d["cells"])
                diff = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
                problems.append(f"{len(diff)} cells differ, e.g. {[(k, want.get(k), got.get(k)) for k in diff[:3]]}")
            for field in ("format", "report_year", "agency"):
                if d[field] != rep[field]:
                    problems.append(f"{field}: {d[field]!r} != {rep[field]!r}")
            if problems:
                failures.append((rep["url"], problems))
        for att in rep.get("attachments", []):
            status, hdrs, body = fetch(f.port, att["url"], referer=rep["url"])
            assert status == 200, att["url"]
            d = extract_document(body, url=att["url"], headers=hdrs)
            n_attach += 1
            if cellmap(d["cells"]) != cellmap(att["cells"]):
                want, got = cellmap(att["cells"]), cellmap(d["cells"])
                diff = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
                failures.append((att["url"], [f"{d['doc_type']}: {len(diff)} cells differ, e.g. "
                                              f"{[(k, want.get(k), got.get(k)) for k in diff[:3]]}"]))
            if att["cells"] and d["format"] != rep["format"]:
                failures.append((att["url"], [f"format {d['format']!r} != {rep['format']!r}"]))
    assert n_reports >= 5 and n_cells > 0
    assert not failures, "\n".join(f"{u}: {p}" for u, p in failures[:20]) + f"\n({len(failures)} failing)"


def test_farm_kinds(farm_run):
    """Graphic and attachment-only pages are recognised as such from the page itself."""
    f, man = farm_run
    for rep in man["reports"]:
        if rep["kind"] in ("graphic", "attachment_only"):
            status, hdrs, body = fetch(f.port, rep["url"])
            d = extract_document(body, url=rep["url"], headers=hdrs)
            assert d["kind"] == rep["kind"], (rep["url"], d["kind"])
            assert d["cells"] == []
