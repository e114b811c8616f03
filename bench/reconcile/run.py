"""Benchmark: the drift computation of `provision reconcile` at the ministry's scale.

    python bench/reconcile/run.py                 # SQLite in a temporary directory
    python bench/reconcile/run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test

Builds the same database as bench/plan (100,000 people in 800 schools, a snapshot of 100,000
Zoom users) plus what a year of applies leaves: one succeeded audit event per managed user (and a
second for a fifth of them), creation dates and last logins spread over a year, so every kind of
drift has members. Then, in a fresh subprocess (its own peak memory), `reconcile.check` (load
rosters, snapshot and audit log, compute the drift; no Zoom) and `store` (the DriftReport row),
timed by stage. The sync itself is Zoom-bound and measured by bench/apply's sandbox runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.fresh_process import run_fresh  # noqa: E402  (the repository is on the path now)


def _plan_bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_plan_run", ROOT / "bench" / "plan" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(url: str, people: int, schools: int, seed: int = 11) -> dict[str, int]:
    from sqlalchemy import select, update

    from models import AuditEvent, ManagedUser, ZoomUserSnapshot, bulk_insert, make_engine, session_scope

    shape: dict[str, int] = _plan_bench().build(url, people, schools)  # type: ignore[attr-defined]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(engine) as s:
        managed = [e for (e,) in s.execute(select(ManagedUser.email))]
        types = dict(s.execute(select(ZoomUserSnapshot.email, ZoomUserSnapshot.type)).all())
        events = []
        for email in managed:
            at = now - timedelta(days=rng.randint(1, 365))
            kind = types.get(email, 1)
            # Most as we left them; 1% changed by hand since (the audit says the other type).
            said = kind if rng.random() >= 0.01 else (1 if kind == 2 else 2)
            events.append(
                {
                    "at": at,
                    "actor": "ops",
                    "action": "license" if said == 2 else "unlicense",
                    "institution_code": None,
                    "person_email": email,
                    "before": {"type": 1 if said == 2 else 2},
                    "after": {"type": said, "status": "active"},
                    "result": "succeeded",
                }
            )
            if rng.random() < 0.2:
                events.append({**events[-1], "at": at - timedelta(days=30), "action": "create"})
        bulk_insert(s, AuditEvent, events)
        snap = ZoomUserSnapshot.__table__  # type: ignore[attr-defined]
        conn = s.connection()
        for day in range(0, 400, 20):  # creation dates and last logins spread over a year
            conn.execute(
                update(snap)
                .where(snap.c.id % 20 == day // 20)
                .values(
                    user_created_at=now - timedelta(days=day + 5),
                    last_login_time=None if day % 60 == 0 else now - timedelta(days=day // 2),
                )
            )
    engine.dispose()
    shape["audit_events"] = len(events)
    return shape


def check_once(url: str) -> dict[str, float | int]:
    from models import make_engine, session_scope
    from provision.core.policy import Policy
    from provision.run.reconcile import check, store

    engine = make_engine(url)
    start = time.perf_counter()
    cpu0 = time.process_time()
    with session_scope(engine) as s:
        drift = check(s, Policy())
    checked = time.perf_counter()
    cpu = time.process_time() - cpu0
    with session_scope(engine) as s:
        store(s, drift, actor="bench")
    stored = time.perf_counter()
    figures: dict[str, float | int] = {
        "check_s": round(checked - start, 3),
        # The machine is shared: CPU seconds say what the work costs when wall time is contended.
        "check_cpu_s": round(cpu, 3),
        "store_s": round(stored - checked, 3),
        "total_s": round(stored - start, 3),
        "alerts": drift.alerts,
    }
    figures.update({f"n_{kind}": n for kind, n in drift.counts.items() if n})
    figures["report_json_mb"] = round(len(json.dumps(drift.to_data(), default=str)) / 1e6, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=800)
    parser.add_argument("--check-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.check_only:
        print(json.dumps(check_once(args.db)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        shape = build(url, args.people, args.schools)
        print(f"built in {time.perf_counter() - t0:.1f} s: {shape}")
        for key, value in run_fresh(__file__, "--check-only", "--db", url).items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
