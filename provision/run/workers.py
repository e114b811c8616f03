"""Workers: several processes, on one machine or several, share the accounts of a plan.

PostgreSQL is the coordinator; there is no broker. `provision apply` chooses the plan and writes
all of it to the journal under the Zoom lock (exclusive), then shares that lock and works the
accounts itself; `provision worker` (`run_worker`) and the local workers of `apply --workers N`
(`spawn_local_workers`) take the accounts it does not hold:

- one account of one plan is worked by one worker at a time: a session advisory lock per plan
  and account (models.locks.try_account_lock), which dies with the worker's connection, so a
  worker killed with -9 leaves its account to another within a poll (`apply.POLL`);
- an operation is claimed as it is marked `sent` (store.journal: compare-and-set, FOR UPDATE
  SKIP LOCKED), so even a worker that lost its lock unnoticed cannot send what another took;
- the journal's states stay the guarantee: whoever takes an account over re-reads its `sent`
  operations from Zoom before anything is resent;
- a plan nobody works (its apply stopped at a daily limit or was killed, its workers gone) is
  taken up as `provision apply` would: rechecked against the current rosters and policy under
  the Zoom lock held exclusively, before anyone joins (`_take_up_alone`).

Workers hold the Zoom lock shared while they work (no sync or new plan meanwhile) and let go
when idle. On SQLite there is one process: `apply` works every account at once in it, and
`provision worker` / `--workers` above 1 are refused.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from models.errors import LockedError
from models.locks import ZOOM, operation_lock, worker_presence
from provision.core.policy import Policy
from provision.errors import InputError
from provision.run.apply import POLL, AccountClients, ApplyIncomplete, account_clients, apply_plan, work_plan
from provision.run.recheck import recheck
from provision.store import journal as jr
from provision.store.journal import Journal
from zoom_client import AsyncZoomClient

SQLITE_REFUSAL = (
    "several workers share a plan only on PostgreSQL (DATABASE_URL=postgresql+psycopg://…), the "
    "coordinator they lock and claim through; on SQLite one `provision apply` works every account "
    "at once in its own process"
)


def require_shared_database(engine: Engine, what: str) -> None:
    """InputError (exit 2) for workers on a database other processes cannot coordinate through."""
    if engine.dialect.name != "postgresql":
        raise InputError(f"{what}: {SQLITE_REFUSAL}")


class _Idle(Exception):
    """No unfinished plan: nothing to lock for."""


@dataclass
class WorkerReport:
    """What one worker did: the accounts it worked (plan, account), in order, and the stops met."""

    worked: list[tuple[str, str]] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "accounts": [{"plan": fp, "account": account} for fp, account in self.worked],
            "stops": self.stops,
        }


async def run_worker(
    engine: Engine,
    client: AsyncZoomClient | AccountClients,
    *,
    actor: str,
    policy: Policy,
    follow: bool = False,
    concurrency: int = 16,
    say: Callable[[str], None] = lambda line: None,
    plan: str | None = None,
) -> WorkerReport:
    """Work the accounts of unfinished plans until none is left (or, with `follow`, forever).

    Accounts another worker holds are waited for (and taken over if it dies), so a worker leaves
    only when every operation is settled. While an apply is still choosing its plan, or a sync
    holds the Zoom lock, it waits. A plan nobody works is rechecked first, under `policy` (the
    policy in force, as `provision apply` takes it).

    `plan` (a local worker of `apply --workers N`, started as the apply starts so that its own
    start overlaps the journaling): that plan only, waited for until it is journaled and shared,
    for as long as the apply that started this worker lives.
    """
    require_shared_database(engine, "provision worker")
    parent = os.getppid()
    clients = account_clients(client)
    report = WorkerReport()

    def on_account(fingerprint: str) -> Callable[[str, str], None]:
        def tell(event: str, account: str) -> None:
            name = account or "the main account"
            if event == "start":
                report.worked.append((fingerprint, account))
                say(f"working {name} of plan {fingerprint[:12]} (pid {os.getpid()})")
            else:
                say(f"finished {name} of plan {fingerprint[:12]}")

        return tell

    stopped: set[str] = set()
    with worker_presence(engine) as live:
        while True:
            # Looked at without the lock first: an idle worker never stands in an apply's way.
            # Asked before looking for it among the unfinished, or it could be journaled between.
            journaled = plan is None or jr.has_operations(engine, plan)
            plans = _open_plans(engine, stopped, plan)
            try:
                if not plans:
                    raise _Idle
                if await _take_up_alone(
                    engine,
                    clients,
                    policy,
                    report,
                    stopped,
                    plan,
                    actor=actor,
                    concurrency=concurrency,
                    live=live,
                    on_account=on_account,
                    say=say,
                ):
                    continue  # worked alone: look again at once
                with operation_lock(engine, ZOOM, shared=True, wait=0):
                    plans = _open_plans(engine, stopped, plan)
                    for fingerprint in plans:
                        # Whole in the journal: apply writes a plan in one transaction before
                        # any worker can see it. Each account read from there (the authority)
                        # as this worker takes it: a worker of two accounts in fifty reads two.
                        async with Journal(engine, actor, fingerprint) as journal:
                            stops, _ = await work_plan(
                                engine,
                                clients,
                                journal,
                                [],
                                concurrency=concurrency,
                                live_workers=live,
                                on_account=on_account(fingerprint),
                                load=functools.partial(jr.journaled, engine, fingerprint),
                            )
                        report.stops.extend(stop.reason for stop in stops)
                        if stops:  # a daily limit, refused credentials: not again from this worker
                            stopped.add(fingerprint)
            except _Idle:
                pass
            except LockedError:
                plans = ["(waiting for the Zoom lock: an apply choosing its plan, or a sync)"]
            if not journaled:
                plans = ["(waiting for the apply to journal its plan)"]
            if plan is not None and os.getppid() != parent:
                plans = []  # the apply that started us is gone (before it shared its plan)
            if not plans and not follow:
                return report
            # A local worker waits for its apply's plan: it looks again soon.
            await asyncio.sleep(POLL if plan is None else POLL / 10)


async def _take_up_alone(
    engine: Engine,
    clients: AccountClients,
    policy: Policy,
    report: WorkerReport,
    stopped: set[str],
    only: str | None,
    *,
    actor: str,
    concurrency: int,
    live: Callable[[], int],
    on_account: Callable[[str], Callable[[str, str], None]],
    say: Callable[[str], None],
) -> bool:
    """Resume an unfinished plan that nobody works, as `provision apply` would; False if someone does.

    The Zoom lock tells: an apply holds it from its recheck to its last write, and workers join
    only while somebody holds it (shared). Free, then, means no run covers the plan now (its
    apply stopped at a daily limit, or was killed, and its workers left): its actions may have
    lost their reason since (someone left every roster), and `sent` ones wait to be read back.
    So this worker holds it exclusively, rechecks the plan (provision.run.recheck: ended unsent,
    or read back and dropped unless Zoom shows them done) and only then lets others join.
    """
    with ExitStack() as stack:
        try:
            held = stack.enter_context(operation_lock(engine, ZOOM, wait=0))
        except LockedError:
            return False  # held: by a run that rechecked (joined, shared) or by a sync (waited for)
        left = _open_plans(engine, stopped, only)
        if not left:
            return True
        fingerprint = left[0]
        plan = jr.load_plan(engine, fingerprint)
        rechecked = recheck(engine, plan, policy, actor=actor)
        say(
            f"plan {fingerprint[:12]} was left unfinished and nobody works it: rechecked against the "
            f"current rosters and policy ({rechecked.dropped} unsent changes dropped, "
            f"{len(rechecked.in_flight)} sent ones to read back first), as `provision apply` does"
        )
        try:
            result = await apply_plan(
                engine,
                clients,
                plan,
                actor=actor,
                concurrency=concurrency,
                drop_unless_done=rechecked.in_flight,
                live_workers=live,
                on_account=on_account(fingerprint),
                journaled=held.share,  # other workers may join once the `sent` are read back
            )
        except ApplyIncomplete as exc:
            result = exc.result
        if result.stopped is not None:  # a daily limit, refused credentials: not again from here
            report.stops.append(result.stopped)
            stopped.add(fingerprint)
        return True


def _open_plans(engine: Engine, stopped: set[str], only: str | None) -> list[str]:
    return [
        u.fingerprint
        for u in jr.unfinished(engine)
        if u.fingerprint not in stopped and only in (None, u.fingerprint)
    ]


def spawn_local_workers(
    count: int, environ: Mapping[str, str], *, plan: str | None = None, concurrency: int | None = None
) -> list[subprocess.Popen[bytes]]:
    """Start `count` `provision worker` processes beside this one (apply --workers N).

    They inherit the environment (database URL, Zoom credentials, policy: never on the command
    line, where `ps` shows them), print their lines on our stderr, and exit when the plan is done.
    With `plan` they may start before it is journaled: they wait for it (see run_worker).
    """
    command = [sys.executable, "-c", "from provision.cli import main; main()", "worker"]
    if plan is not None:
        command += ["--plan", plan]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    return [
        subprocess.Popen(command, env=dict(environ), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]


def alive(processes: list[subprocess.Popen[bytes]]) -> int:
    """How many of the local workers still run: counted as live before they can say so themselves
    (their start takes a second or two), so this process leaves them their share from the start."""
    return sum(1 for process in processes if process.poll() is None)


def stop_local_workers(processes: list[subprocess.Popen[bytes]], *, timeout: float = 30.0) -> None:
    """Wait for the local workers to finish (they do once nothing is left); end any still running."""
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
