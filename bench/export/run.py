"""Time and peak memory of the audit export (xlsx and CSV) on a ministry-sized database.

    python bench/export/run.py [--db URL] [--people 100000] [--compare 20000]

Builds the world of bench/queries/world.py (people, 100,000 audit events), then runs each export in
a fresh process and reports wall time, rows/s and peak RSS above the process's baseline. With
--compare N, the same on a world of N people: bounded memory means the peak hardly grows.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "bench" / "queries"))
sys.path.insert(0, str(ROOT))

from bench.fresh_process import run_fresh  # noqa: E402  (the repository is on the path now)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(url: str, fmt: str, out: str) -> None:
    from models import make_engine, session_scope
    from provision.reports import export, queries

    engine = make_engine(url)
    with session_scope(engine) as s:  # warm up: imports, connection, schema, a small query
        queries.schools(s)
    base = _rss_mb()
    cpu0 = time.process_time()
    start = time.perf_counter()
    with session_scope(engine) as s:
        result = export.export_csv(s, out) if fmt == "csv" else export.export_audit_xlsx(s, out)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    size = sum(Path(p).stat().st_size for p in result.paths)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu": cpu,
                "rows": result.rows,
                "base_mb": base,
                "peak_mb": _rss_mb(),
                "bytes": size,
            }
        )
    )


def run(url: str, people: int) -> None:
    from world import build

    start = time.perf_counter()
    build(url, people=people)
    print(f"world of {people} people at {url.split('?')[0]} ready in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("xlsx", "csv"):
            out = str(Path(tmp) / f"audit.{fmt}")
            r = run_fresh(__file__, "--child", fmt, "--db", url, "--out", out)
            total = sum(r["rows"].values())
            print(
                f"  {fmt:4}: {r['seconds']:6.1f} s wall, {r['cpu']:5.1f} s CPU, {total:7d} rows "
                f"({total / r['cpu']:6.0f} rows/CPU-s), "
                f"peak RSS {r['peak_mb']:.0f} MB (+{r['peak_mb'] - r['base_mb']:.0f} MB over "
                f"{r['base_mb']:.0f} MB baseline), file {r['bytes'] / 1e6:.1f} MB; {r['rows']}"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--compare", type=int, default=0)
    ap.add_argument("--child", choices=("xlsx", "csv"))
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        child(args.db, args.child, args.out)
        return
    run(args.db or f"sqlite:////tmp/bench-export-{args.people}.db", args.people)
    if args.compare:
        run(f"sqlite:////tmp/bench-export-{args.compare}.db" if args.db is None else args.db, args.compare)


if __name__ == "__main__":
    main()
