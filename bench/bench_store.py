"""The archive's write path per report, in one process: capture (WARC record), store_document and
the derive drain (checks, search index) every 50 reports, CPU time per report. Baseline: bare
`extract_document` of the same pages (what a crawl must spend anyway), and with `--code` the same
write path of another checkout, in the same run.

    python bench/bench_store.py                       # 150 farm reports
    python bench/bench_store.py --quick               # 50
    python bench/bench_store.py --code /path/to/older/checkout

Last line: {"bench": "store", "ratio": write CPU / extraction CPU, "ms_per_report": …, …}.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run inside the checkout under test (its own archive/ and pipelines/).
CHILD = r'''
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.bench_archive import CTYPE, farm_page
from pipelines.extract.document import extract_document
from archive.writer import Archive
n = int(sys.argv[2])
pages = [farm_page(i) for i in range(n)]
t = time.process_time()
docs = [(url, data, extract_document(data, url, {"content-type": CTYPE})) for url, data in pages]
extract = time.process_time() - t
arc = Archive(Path(tempfile.mkdtemp()) / "a.db")
t = time.process_time()
store = drain = 0.0
for k, (url, data, doc) in enumerate(docs):
    cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200, headers=[("Content-Type", CTYPE)],
                          body=data, role="detail")
    arc.store_document(capture_id=cap.id, source_id=None, url=url, doc=doc)
    if (k + 1) % 50 == 0 or k == n - 1:
        t1 = time.process_time()
        arc.drain_derived()
        drain += time.process_time() - t1
total = time.process_time() - t
print(json.dumps({"extract_ms": 1000 * extract / n, "write_ms": 1000 * total / n,
                  "store_ms": 1000 * (total - drain) / n, "drain_ms": 1000 * drain / n}))
'''


def measure(code: Path, n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(code), str(n)], capture_output=True, text=True,
                         cwd=tempfile.gettempdir(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150, help="farm reports")
    ap.add_argument("--quick", action="store_true", help="50 reports")
    ap.add_argument("--code", type=Path, help="another checkout measured too, in the same run")
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs, best kept")
    a = ap.parse_args(argv)
    n = 50 if a.quick else a.n
    trees = [("this", ROOT)] + ([("older", a.code.resolve())] if a.code else [])
    best: dict[str, dict] = {}
    for _ in range(a.rounds):
        for label, code in trees:
            r = measure(code, n)
            if label not in best or r["write_ms"] < best[label]["write_ms"]:
                best[label] = r
    for label, code in trees:
        r = best[label]
        print(f"{label} ({code}): write {r['write_ms']:.1f} ms/report (store {r['store_ms']:.1f}, derive "
              f"{r['drain_ms']:.1f}); extraction {r['extract_ms']:.1f} ms/report", flush=True)
    me = best["this"]
    result = {"bench": "store", "reports": n, "ratio": round(me["write_ms"] / me["extract_ms"], 2),
              "ratio_is": "write CPU per report / extraction CPU per report",
              **{k: round(v, 1) for k, v in me.items()}}
    if "older" in best:
        result.update({f"older_{k}": round(v, 1) for k, v in best["older"].items()})
        result["vs_older"] = round(best["older"]["write_ms"] / me["write_ms"], 2)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
