"""Many accounts at once: one apply, then two workers, against a master with sub-accounts.

The sandbox runs in its own process (served by uvicorn) as a master account with N sub-accounts,
each with its own seats, caps and Business+ rate budget, 100 ms latency per request, and M Basic
users each. The plan licenses all of them (bulk POST /users/features, 30 a call, Medium 60/s:
1,800 users/s per account, N x 1,800 in all). The records are PostgreSQL (a fresh schema per case).

1. one worker: `apply_plan` in this process drives every account at once;
2. two workers: the same, plus one local `provision worker` process started with the apply, which
   waits for the plan to be journaled (as `provision apply --workers 2` does);
3. takeover: two workers, the other one killed with -9 once it works its accounts: the seconds
   until this process takes one of them over.

Printed per case: aggregate users/s against N x 1,800, each account's ratio (its users over the
span from its first to its last settled operation, against 1,800), CPU ms per user (this process
plus the worker process; the sandbox's own excluded), and for case 3 the takeover seconds.

    python bench/accounts/run.py [--accounts 4] [--people 25000] [--latency 0.1] [--cases one,two,kill]

Prints figures (one JSON line per case); never pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from models import Operation, init_db, make_engine
from models.locks import ZOOM, operation_lock, worker_presence
from provision.core.actions import TO_LICENSED
from provision.core.plan import Action, ActionKind, Plan
from provision.run.apply import ApplyIncomplete, ApplyResult, apply_plan
from provision.run.workers import alive, spawn_local_workers
from zoom_client import AsyncZoomClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench import bytecode
from bench.served import ServedSandbox

CEILING = 30 * 60.0  # users/s per account: 30 users a call, Medium 60 calls/s on Business+
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

_SERVER = r"""
import json, sys
import uvicorn
from zoom_client.sandbox import Sandbox, SandboxConfig

cfg = json.loads(sys.argv[1])
subs = {f"benchsub{i:02d}": cfg["people"] + 10 for i in range(cfg["accounts"])}
sb = Sandbox(SandboxConfig(seats=10, tier="business_plus", rate_limits=True, latency=cfg["latency"],
                           seed=1, basic_ceiling=10**7, sub_accounts=subs, request_log_limit=1000))
ids = {}
for account in subs:
    ids[account] = []
    for i in range(cfg["people"]):
        user = sb.add_user(email=f"p{i}.{account}@bench.example", type=1, account_id=account)
        ids[account].append([user["email"], user["id"]])
with open(cfg["ids_file"], "w") as fh:
    json.dump(ids, fh)
settings = sb.settings()
print(json.dumps({
    "account_id": settings.account_id, "client_id": settings.client_id,
    "client_secret": settings.client_secret.get_secret_value(),
    "api_url": settings.api_url, "oauth_url": settings.oauth_url,
}), flush=True)
uvicorn.run(sb.asgi_app, host="127.0.0.1", port=cfg["port"], log_level="warning", access_log=False)
"""


class Server(ServedSandbox):
    """The sandbox master account with its sub-accounts, in a process of its own."""

    def __init__(self, *, accounts: int, people: int, latency: float) -> None:
        cfg = {"accounts": accounts, "people": people, "latency": latency}
        super().__init__(_SERVER, cfg, timeout=30.0, start_within=60.0)
        self.users: dict[str, list[tuple[str, str]]] = {
            account: [(e, i) for e, i in users] for account, users in self.ids().items()
        }


def license_plan(users: dict[str, list[tuple[str, str]]], tag: str) -> Plan:
    actions = [
        Action(
            ActionKind.LICENSE,
            email,
            "B01",
            "bench",
            zoom_id=uid,
            payload=TO_LICENSED,
            before={"type": 1},
            after={"type": 2},
            account=account,
        )
        for account, pairs in users.items()
        for email, uid in pairs
    ]
    return Plan(actions=actions, fingerprint=f"bench-accounts-{tag}-{time.time_ns()}")


class Schema:
    """A fresh PostgreSQL schema for one case (dropped afterwards)."""

    def __init__(self, base: str) -> None:
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        self.base = base
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        admin.dispose()
        self.url = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={self.name}"})
            .render_as_string(hide_password=False)
        )
        self.engine = make_engine(self.url)
        init_db(self.engine)

    def drop(self) -> None:
        self.engine.dispose()
        admin = make_engine(self.base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        admin.dispose()


def per_account(engine: Engine, t0: datetime) -> dict[str, dict[str, Any]]:
    """Each account's users and ratio: users over the span of its settled operations, and when
    (seconds after the case started) its first and last operation settled."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Operation.account,
                func.count(),
                func.min(Operation.updated_at),
                func.max(Operation.updated_at),
            )
            .where(Operation.state == "succeeded")
            .group_by(Operation.account)
        ).all()
    figures = {}
    for account, n, first, last in rows:
        span = (last - first).total_seconds() if first and last else 0.0
        rate = n / span if span > 0 else 0.0
        figures[account] = {
            "users": n,
            "seconds": round(span, 2),
            "ratio": round(rate / CEILING, 3),
            "from": round((first.replace(tzinfo=UTC) - t0).total_seconds(), 1),
            "to": round((last.replace(tzinfo=UTC) - t0).total_seconds(), 1),
        }
    return figures


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (from /proc: no extra dependency)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process now (the server is shared: other work counts too)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += process_cpu(int(entry.name))
        except (OSError, IndexError):
            continue
    return total


class Watch:
    """CPU seconds of named processes, sampled until the case ends (a killed worker keeps its last)."""

    def __init__(self) -> None:
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def add(self, pid: int) -> None:
        if pid not in self.base:
            self.base[pid] = self.last[pid] = process_cpu(pid)

    def sample(self) -> None:
        for pid in self.base:
            try:
                self.last[pid] = process_cpu(pid)
            except (OSError, IndexError):
                pass

    def used(self, pid: int) -> float:
        return self.last[pid] - self.base[pid]


async def run_case(
    server: Server, db: str, *, workers: int, kill: bool, concurrency: int, tag: str
) -> dict[str, Any]:
    schema = Schema(db)
    plan = license_plan(server.users, tag)
    users = len(plan.actions)
    env = {**os.environ, **server.env(), "DATABASE_URL": schema.url, "PROVISION_ACTOR": "bench"}
    env.pop("PROVISION_POLICY", None)
    env.pop("PROVISION_POLICY_FILE", None)
    local: list[subprocess.Popen[bytes]] = []
    starts: dict[str, float] = {}
    killed: dict[str, Any] = {}

    def on_account(event: str, account: str) -> None:
        if event == "start":
            starts.setdefault(account, time.monotonic())
            if "at" in killed and account in killed["accounts"] and "takeover" not in killed:
                killed["takeover"] = time.monotonic() - killed["at"]

    async def killer() -> None:
        # Once the other worker holds its accounts and has worked a while: kill it with -9.
        while not local:
            await asyncio.sleep(0.05)
        child = local[0]
        while True:
            held = await asyncio.to_thread(_held_by, schema.engine, child.pid)
            if held and await asyncio.to_thread(_settled, schema.engine) > users // 4:
                break
            await asyncio.sleep(0.1)
        killed["accounts"] = held
        os.kill(child.pid, signal.SIGKILL)
        killed["at"] = time.monotonic()

    watch = Watch()
    watch.add(server.proc.pid)
    pg_cpu = postgres_cpu()

    async def sampler() -> None:
        while True:
            for process in local:
                if process.poll() is None:
                    watch.add(process.pid)
            await asyncio.to_thread(watch.sample)
            await asyncio.sleep(0.25)

    sample_task = asyncio.create_task(sampler())
    cpu_children = children_cpu()
    cpu = time.process_time()
    started = time.monotonic()
    t0 = datetime.now(UTC)
    if workers > 1:  # as `apply --workers N` does: started at once, they wait for the plan
        local.extend(spawn_local_workers(workers - 1, env, plan=plan.fingerprint, concurrency=concurrency))
        for process in local:  # counted from their start: the journaling blocks the sampler
            watch.add(process.pid)
    async with AsyncZoomClient(server.settings) as client:
        # The Zoom lock as `provision apply` holds it: its own until the plan is journaled, then
        # shared (`journaled`); a worker finding it free would take the plan up alone.
        with worker_presence(schema.engine) as live, operation_lock(schema.engine, ZOOM) as held:
            kill_task = asyncio.create_task(killer()) if kill else None
            try:
                result: ApplyResult = await apply_plan(
                    schema.engine,
                    client,
                    plan,
                    actor="bench",
                    concurrency=concurrency,
                    live_workers=lambda: max(live(), 1 + alive(local)),
                    on_account=on_account,
                    journaled=held.share,
                )
            except ApplyIncomplete as exc:
                result = exc.result
            if kill_task is not None:
                kill_task.cancel()
    elapsed = time.monotonic() - started
    own_cpu = time.process_time() - cpu
    for process in local:
        process.wait(timeout=120)
    sample_task.cancel()
    watch.sample()
    pg_cpu = postgres_cpu() - pg_cpu
    workers_cpu = children_cpu() - cpu_children
    cpu = own_cpu + workers_cpu
    sandbox_cpu = watch.used(server.proc.pid)
    accounts = per_account(schema.engine, t0)
    first_start = min(starts.values()) if starts else started
    line = {
        "case": f"{workers} worker{'s' if workers > 1 else ''}" + (", one killed -9" if kill else ""),
        "accounts": len(server.users),
        "users": users,
        "seconds": round(elapsed, 2),
        "journal_seconds": round(first_start - started, 2),
        "users_per_s": round(users / elapsed, 1),
        "ceiling": CEILING * len(server.users),
        "ratio": round(users / elapsed / (CEILING * len(server.users)), 3),
        "ratio_after_journal": round(
            users / (elapsed - (first_start - started)) / (CEILING * len(server.users)), 3
        ),
        "succeeded": result.succeeded,
        "failed": result.failed,
        "pending": result.pending,
        "per_account": accounts,
        "cpu_ms_per_user": round(cpu * 1000 / users, 3),
        "cpu_seconds": {
            "apply_process": round(own_cpu, 2),
            "workers": [round(watch.used(p.pid), 2) for p in local],
            "sandbox": round(sandbox_cpu, 2),
            "postgres": round(pg_cpu, 2),
        },
        "sandbox_busy": round(sandbox_cpu / elapsed, 2),
        "sandbox_cpu_ms_per_user": round(sandbox_cpu * 1000 / users, 3),
        "postgres_cpu_ms_per_user": round(pg_cpu * 1000 / users, 3),
    }
    if kill:
        line["killed_accounts"] = killed.get("accounts")
        line["takeover_seconds"] = round(killed["takeover"], 2) if "takeover" in killed else None
    schema.drop()
    print(json.dumps(line), flush=True)
    return line


def _held_by(engine: Engine, pid: int) -> list[str]:
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT application_name FROM pg_stat_activity WHERE application_name LIKE :p"),
            {"p": f"provision:worker %, pid {pid} %"},
        ).scalars()
        return sorted(n.removeprefix("provision:worker ").split(",")[0] for n in names)


def _settled(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(Operation).where(Operation.state == "succeeded")
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--people", type=int, default=25_000, help="Basic users per sub-account")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per account")
    parser.add_argument("--cases", default="one,two,kill")
    parser.add_argument("--database-url", default=os.environ.get("PROVISION_BENCH_DATABASE_URL", DEFAULT_DB))
    bytecode.add_option(parser)
    args = parser.parse_args()
    if not args.no_compile:
        bytecode.compile_project()  # the spawned `provision worker` processes start as installed
    os.environ.setdefault("PROVISION_LOG", "warning")
    print(json.dumps({"uptime": os.getloadavg()}), flush=True)
    for case in args.cases.split(","):
        # A fresh sandbox per case: every user Basic again.
        server = Server(accounts=args.accounts, people=args.people, latency=args.latency)
        try:
            asyncio.run(
                run_case(
                    server,
                    args.database_url,
                    workers=1 if case == "one" else 2,
                    kill=case == "kill",
                    concurrency=args.concurrency,
                    tag=case,
                )
            )
        finally:
            server.close()
        print(json.dumps({"uptime": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
