"""`python -m farm [--port N] [--manifest out.json]`: start the farm, print one JSON line per portal
column, serve until Ctrl-C."""
from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m farm", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: OS-chosen)")
    ap.add_argument("--manifest", help="write the ground-truth manifest JSON to this path")
    ap.add_argument("--edition", type=int, default=0)
    ap.add_argument("--no-politeness", action="store_true", help="switch off throttling and Crawl-delay")
    ap.add_argument("--variants", action="store_true",
                    help="also list the opt-in variant portals and the blocked sources (and put them in the manifest)")
    args = ap.parse_args(argv)
    from farm import Farm
    t0 = time.perf_counter()
    farm = Farm(port=args.port)
    started = time.perf_counter() - t0
    farm.set_edition(args.edition)
    if args.no_politeness:
        farm.set_politeness(False)
    for s in farm.sources(variants=args.variants, blocked=args.variants):
        print(json.dumps(s, ensure_ascii=False), flush=True)
    print(f"farm listening on 127.0.0.1:{farm.port} (started in {started:.2f}s; map *.test to 127.0.0.1)",
          file=sys.stderr, flush=True)
    if args.manifest:
        from farm import manifest
        print(f"manifest written to {manifest.write(farm, args.manifest, variants=args.variants)}", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        farm.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
