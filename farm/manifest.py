"""Ground-truth manifest of the farm (shape in the farm interface notes): assembled from the portals,
reflecting the current edition. Report cells come from the generator, so computing it generates
every body (a few seconds the first time; bodies are cached)."""
from __future__ import annotations

import json
from pathlib import Path

KEYS = ("portals", "reports", "noise", "blocked", "broken")


def build(farm, variants: bool = False) -> dict:
    out = {"edition": farm.edition, **{k: [] for k in KEYS}, "list_pages": {},
           "changes": {"edited": [], "added": [], "deleted": [], "corrected": []}}
    for p in farm.portals:
        if p.extra and not variants:
            continue
        part = p.manifest_part()
        for k in KEYS:
            out[k] += part[k]
        out["list_pages"].update(part["list_pages"])
        for k, v in p.changes().items():
            out["changes"][k] += v
        _planted(p, part["reports"], out)
    return out


def _planted(portal, reports: list[dict], out: dict) -> None:
    """`planted`: the findings farm/portals/catalog.py PLANTS put in reports, with their URLs —
    narrative/table contradictions (S-TEXT-TABLE) and paragraphs shared across agencies (X-COPY-OTHER)."""
    planted = out.setdefault("planted", {"contradictions": [], "copies": []})
    by_key = {(r["agency"], r["report_year"], r["title"]): r["url"] for r in reports}
    for e in portal.live():
        if e.kind != "report" or e.spec is None or not (e.spec.contradict or e.spec.shared_text):
            continue
        g = e.gen(portal.edition)
        url = by_key.get((g.agency, g.report_year, g.title))
        if url is None:
            continue   # withheld from the manifest (not reachable)
        for f in g.planted:
            if f["kind"] == "contradiction":
                planted["contradictions"].append({"url": url, "agency": g.agency, "report_year": g.report_year,
                                                  **{k: f[k] for k in ("claim", "stated", "table")}})
            else:
                group = next((c for c in planted["copies"] if c["text"] == f["text"]), None)
                if group is None:
                    group = {"text": f["text"], "reports": []}
                    planted["copies"].append(group)
                group["reports"].append({"url": url, "agency": g.agency, "report_year": g.report_year})


def write(farm, path: str | Path, variants: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(farm, variants), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
