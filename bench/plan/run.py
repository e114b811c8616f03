"""Benchmark: plan for 100,000 people in 800 schools against a snapshot of 100,000 Zoom users.

    python bench/plan/run.py                      # SQLite in a temporary directory
    createdb -h 127.0.0.1 -U postgres bench_plan
    python bench/plan/run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_plan

Builds the database with bulk inserts (not timed as part of the plan), then runs the plan in a
fresh subprocess so its peak memory (ru_maxrss) is the plan's alone: load the rosters and the
snapshot, compute, check safety, record the PlanRecord, write plan.json. Targets on the 2-core
machine: under 5 s and under 500 MB.

Mix: ~5% admins, 55% teachers, 25% staff, 15% students; 3% of the people left the roster two
months ago; 2% are listed by a second school; quotas are tight in a third of the schools; 90% of
the people are on Zoom (half of them licensed), plus 10,000 users on no roster.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import bytecode  # noqa: E402  (the repository is on the path now)
from bench.fresh_process import run_fresh  # noqa: E402

ROLES = ["admin"] * 5 + ["teacher"] * 55 + ["staff"] * 25 + ["student"] * 15


def build(url: str, people: int, schools: int, seed: int = 7) -> dict[str, int]:
    from sqlalchemy import text

    from models import (
        AccountSnapshot,
        Institution,
        ManagedUser,
        Membership,
        Person,
        ZoomUserSnapshot,
        bulk_insert,
        init_db,
        make_engine,
        session_scope,
    )
    from models.bulk import id_map

    rng = random.Random(seed)
    now = datetime.now(UTC)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        if engine.url.database in (None, "", "test", "postgres"):
            raise SystemExit("give the benchmark a database of its own (it drops its public schema)")
        with engine.begin() as conn:  # a fresh schema each run
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    init_db(engine)
    per_school = people // schools
    with session_scope(engine) as s:
        codes = [f"{i:04d}" for i in range(1, schools + 1)]
        bulk_insert(
            s,
            Institution,
            (
                {
                    "code": code,
                    "name": f"School {code}",
                    # a third of the schools are short of seats: people wait
                    "seats": per_school // 2 if i % 3 == 0 else per_school,
                    "zoom_group_id": f"grp-{code}" if i % 2 == 0 else None,
                }
                for i, code in enumerate(codes)
            ),
        )
        emails = [f"user{i:06d}@school.example.ua" for i in range(people)]
        bulk_insert(s, Person, ({"email": e, "given_name": "Given", "family_name": "Family"} for e in emails))
        inst_ids = id_map(s, Institution, "code")
        person_ids = id_map(s, Person, "email")
        left_at = now - timedelta(days=60)
        memberships = []
        for i, email in enumerate(emails):
            code = codes[i % schools]
            active = rng.random() >= 0.03
            memberships.append(
                {
                    "person_id": person_ids[email],
                    "institution_id": inst_ids[code],
                    "role": rng.choice(ROLES),
                    "is_primary": True,
                    "active": active,
                    "left_at": None if active else left_at,
                }
            )
            if rng.random() < 0.02:
                other = codes[(i + 1) % schools]
                memberships.append(
                    {
                        "person_id": person_ids[email],
                        "institution_id": inst_ids[other],
                        "role": "teacher",
                        "is_primary": False,
                        "active": True,
                        "left_at": None,
                    }
                )
        bulk_insert(s, Membership, memberships)

        users = []
        licensed = 0
        for i, email in enumerate(emails):
            if rng.random() >= 0.9:
                continue
            type_ = 2 if rng.random() < 0.5 else 1
            status = rng.choices(["active", "inactive", "pending"], weights=[94, 3, 3])[0]
            licensed += type_ == 2 and status == "active"
            users.append(
                {
                    "email": email,
                    "zoom_id": None if status == "pending" else f"z{i:06d}",
                    "type": type_,
                    "status": status,
                    "first_name": "Given",
                    "last_name": "Family",
                    "group_ids": [f"grp-{codes[i % schools]}"] if rng.random() < 0.5 else [],
                    "large_meeting": False,
                    "large_meeting_capacity": None,
                    "observed_at": now,
                }
            )
        strangers = people - len(users)
        for j in range(strangers):
            type_ = 2 if j % 4 == 0 else 1
            licensed += type_ == 2
            users.append(
                {
                    "email": f"guest{j:06d}@elsewhere.example",
                    "zoom_id": f"g{j:06d}",
                    "type": type_,
                    "status": "active",
                    "first_name": "",
                    "last_name": "",
                    "group_ids": [],
                    "large_meeting": False,
                    "large_meeting_capacity": None,
                    "observed_at": now,
                }
            )
        bulk_insert(s, ZoomUserSnapshot, users)
        managed = [u["email"] for u in users if u["email"].startswith("user") and rng.random() < 0.9]
        bulk_insert(s, ManagedUser, ({"email": e, "zoom_id": None, "created_by_us": False} for e in managed))
        purchased = int(people * 0.8)
        s.add(
            AccountSnapshot(
                observed_at=now,
                seats_purchased=purchased,
                seats_used=licensed,
                seats_pending=0,
                users_total=len(users),
            )
        )
    engine.dispose()
    return {
        "schools": schools,
        "people": people,
        "memberships": len(memberships),
        "zoom_users": len(users),
        "managed": len(managed),
        "seats_purchased": purchased,
        "seats_used": licensed,
    }


def plan_once(url: str, out: Path) -> dict[str, float | int]:
    """Run in a fresh process: what `provision plan --force --out plan.json` does, timed by stage
    (through the database driver alone, as the command: models.reader)."""
    from models.gc_pause import gc_paused
    from models.reader import connect
    from provision.cli.plan import write_plan_file
    from provision.core.diff import compute_plan
    from provision.core.policy import Policy
    from provision.store.loaders import load_desired, load_observed
    from provision.store.planning import encode_plan, make_plan, save_plan

    policy = Policy()
    db = connect(url)
    figures: dict[str, float | int] = {}

    start, cpu = time.perf_counter(), time.process_time()
    with gc_paused():
        plan = make_plan(db, policy, force=True, actor="bench", record=False)
        planned = time.perf_counter()
        encoded = encode_plan(plan.to_data())  # once, for the record and the file (as the command)
        save_plan(db, plan, actor="bench", encoded=encoded)
        db.connection.commit()
    recorded = time.perf_counter()
    write_plan_file(out, encoded)
    end, end_cpu = time.perf_counter(), time.process_time()
    figures["plan_s"] = round(planned - start, 3)  # load + compute + safety checks
    figures["record_s"] = round(recorded - planned, 3)  # PlanRecord with the whole plan, committed
    figures["out_file_s"] = round(end - recorded, 3)  # plan.json written
    figures["total_s"] = round(end - start, 3)
    figures["total_cpu_s"] = round(end_cpu - cpu, 3)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["actions"] = len(plan.actions)
    figures["waiting"] = len(plan.waiting)
    figures["unmanaged"] = len(plan.unmanaged)
    figures.update({f"n_{k}": v for k, v in plan.counts().items() if v and k not in ("waiting", "unmanaged")})
    figures["plan_json_mb"] = round(out.stat().st_size / 1e6, 1)

    # The stages again, separately (after the peak was read): where the time goes.
    with gc_paused():
        t0 = time.perf_counter()
        desired = load_desired(db)
        observed = load_observed(db)
        t1 = time.perf_counter()
        compute_plan(desired, observed, policy)
        figures["load_s"] = round(t1 - t0, 3)
        figures["compute_s"] = round(time.perf_counter() - t1, 3)
    db.close()
    return figures


def whole_command(url: str, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `provision --db URL plan --force --out FILE` as an operator runs it."""
    script = Path(sys.executable).parent / "provision"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(script), "--db", url, "plan", "--force", "--out", str(out)], check=True, capture_output=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=800)
    parser.add_argument("--runs", type=int, default=3, help="runs of the whole command (median)")
    bytecode.add_option(parser)
    parser.add_argument("--plan-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.plan_only:
        print(json.dumps(plan_once(args.db, args.out)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        shape = build(url, args.people, args.schools)
        print(f"built in {time.perf_counter() - t0:.1f} s: {shape}")
        figures = run_fresh(__file__, "--plan-only", "--db", url, "--out", str(Path(tmp) / "plan.json"))
        for key, value in figures.items():
            print(f"{key:>18}: {value}")
        ok_time = figures["total_s"] < 5
        ok_mem = figures["peak_rss_mb"] < 500
        verdict = {True: "met", False: "MISSED"}
        print(f"target < 5 s: {verdict[ok_time]}; target < 500 MB: {verdict[ok_mem]}")
        if not args.no_compile:
            bytecode.compile_project()
        whole = [whole_command(url, Path(tmp) / "plan-cli.json") for _ in range(args.runs)]
        wall = sorted(w for w, _ in whole)[len(whole) // 2]
        cpu = sorted(c for _, c in whole)[len(whole) // 2]
        print(
            f"whole command `provision plan --force --out FILE` (process start included), median of "
            f"{args.runs}: {wall:.2f} s wall, {cpu:.2f} s CPU; "
            f"{bytecode.describe(args.no_compile)}; "
            f"load average {os.getloadavg()[0]:.2f}; "
            f"target (issue 17) <= 3 s: {verdict[wall <= 3]}"
        )


if __name__ == "__main__":
    main()
