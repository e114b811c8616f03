"""Time each query on a ministry-sized database (target: under 1 s each).

    python bench/queries/run.py [--db URL] [--people 100000]

Builds the world once (bench/queries/world.py) unless the database already holds it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from world import build, email_of, school_code

from models import session_scope
from provision.errors import InputError
from provision.reports import queries


def timed(engine: Any, fn: Callable[[Any], Any], repeat: int = 3) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        with session_scope(engine) as s:
            start = time.perf_counter()
            try:
                result = fn(s)
            except InputError as exc:
                result = exc
            times.append(time.perf_counter() - start)
    return times[0], min(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:////tmp/bench-queries.db")
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args()
    start = time.perf_counter()
    engine = build(args.db, people=args.people)
    where = engine.url.render_as_string(hide_password=True)
    print(f"database {where} ready in {time.perf_counter() - start:.1f} s")
    cases: list[tuple[str, Callable[[Any], Any], Callable[[Any], str]]] = [
        (
            "schools (800)",
            lambda s: queries.schools(s),
            lambda r: (
                f"{len(r.schools)} schools, {r.totals['licensed']} licensed, {r.totals['waiting']} waiting"
            ),
        ),
        (
            "schools --region",
            lambda s: queries.schools(s, region="Region 07"),
            lambda r: f"{len(r.schools)} schools",
        ),
        ("school CODE", lambda s: queries.school(s, school_code(7)), lambda r: f"{len(r.members)} members"),
        (
            "person EMAIL",
            lambda s: queries.person(s, email_of(4321).upper()),
            lambda r: f"{r.license}, {len(r.history)} events",
        ),
        (
            "person unknown (suggestions)",
            lambda s: queries.person(s, "person00432@school321.edu.ua"),
            lambda r: str(r)[:70],
        ),
        ("school unknown (suggestions)", lambda s: queries.school(s, "07x"), lambda r: str(r)[:70]),
    ]
    print(f"{'query':32} {'first':>8} {'best':>8}  result")
    for name, fn, describe in cases:
        first, best, result = timed(engine, fn)
        print(f"{name:32} {first * 1000:7.0f}ms {best * 1000:7.0f}ms  {describe(result)}")


if __name__ == "__main__":
    main()
