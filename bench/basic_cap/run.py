"""Benchmark: the Basic-user cap at ministry scale, through sandbox -> sync -> plan -> apply.

    python bench/basic_cap/run.py                                    # 20,000 people, 800 schools, 1,000 seats
    python bench/basic_cap/run.py --people 2000 --schools 80 --seats 100 --cap 999
    python bench/basic_cap/run.py --create-waiting basic --old-basic 9990

Every school lists people / schools teachers with a quota of 5; the account has `seats` seats and
Zoom's Basic-user cap (`--cap`, 9,999 by default; `--old-basic` Basic users already there). Prints
the seats used, the Basic users against the cap, the creates Zoom refused (2033/3412), the
operations failed, blocked or left, what a second plan finds to do, and the time of each step.
Uses a temporary SQLite database and the in-process sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


async def main(args: argparse.Namespace) -> None:
    from provision.core.policy import Policy
    from tests.provision.apply_kit import converge, database, fresh_plan, seed
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(
        SandboxConfig(seats=args.seats, basic_ceiling=args.cap, pending_in_usage=args.pending_in_usage)
    )
    for i in range(args.old_basic):
        sandbox.add_user(email=f"old{i:05d}@other.example", type=1)
    with tempfile.TemporaryDirectory() as tmp:
        engine = database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        schools = {f"S{n:04d}": 5 for n in range(args.schools)}
        people = [
            (f"p{i:06d}@school.example", f"S{i % args.schools:04d}", "teacher") for i in range(args.people)
        ]
        seed(engine, schools, people)
        policy = Policy(
            create_action="create",
            basic_cap=args.cap,
            create_waiting=args.create_waiting,
            use_groups=False,
            addons={},
        )
        started = time.monotonic()
        plan, result = await converge(engine, sandbox, policy, concurrency=16)
        first = time.monotonic() - started
        started = time.monotonic()
        again = await fresh_plan(engine, sandbox, policy)
        second = time.monotonic() - started
    users = sandbox.users()
    licensed = sum(1 for u in users if u["type"] == 2)
    basic = sum(1 for u in users if u["type"] == 1 and u["status"] in ("active", "pending"))
    refused = [
        r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users") and r.status >= 400
    ]
    print(f"people {args.people}, schools {args.schools}, seats {args.seats}, Basic cap {args.cap}")
    print(f"create_waiting = {args.create_waiting!r}, Basic users before {args.old_basic}")
    print(f"seats used: {licensed} of {args.seats}")
    print(f"Basic users after: {basic} of {args.cap} (plan said {plan.summary.totals.basic_after})")
    print(f"waiting: {len(plan.waiting)}")
    print(f"creates refused by Zoom: {len(refused)}")
    print(f"operations failed {result.failed}, blocked {result.blocked}, left {result.pending}")
    print(f"second plan: {len(again.actions)} actions")
    print(f"sync + plan + apply: {first:.1f} s; sync + plan again: {second:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=800)
    parser.add_argument("--seats", type=int, default=1_000)
    parser.add_argument("--cap", type=int, default=9_999)
    parser.add_argument("--old-basic", type=int, default=0)
    parser.add_argument("--create-waiting", choices=("none", "basic", "unassigned"), default="none")
    parser.add_argument("--pending-in-usage", action="store_true")
    asyncio.run(main(parser.parse_args()))
