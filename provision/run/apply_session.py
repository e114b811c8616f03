"""The one way into apply: the Zoom lock, held from choosing the plan to its last write.

`apply_session` takes the lock; `ApplySession.choose` decides which plan runs (a plan file, else
the plan an interrupted run left unfinished, else a fresh one) and refuses what must not run;
`ApplySession.run` carries it out. `provision apply`, `reconcile --fix` and the demo all come
through here, so none of them decides freshness or locking on its own.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session

from models.locks import ZOOM, HeldLock, operation_lock, worker_presence
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.errors import InputError
from provision.run.apply import AccountClients, ApplyResult, Progress, apply_plan
from provision.run.plan_usage import PlanUsageReads
from provision.run.recheck import recheck
from provision.run.workers import alive, require_shared_database, spawn_local_workers, stop_local_workers
from provision.store import journal
from provision.store.audit import record_contests
from provision.store.journal import Unfinished
from provision.store.planning import check_fresh, make_plan
from zoom_client import AsyncZoomClient


class PlanSource(StrEnum):
    """Where the plan that runs came from."""

    FILE = "file"  # given by the caller (a plan file): checked against the inputs unless journaled
    RESUME = "resume"  # left unfinished by an interrupted run: the journal is the authority
    FRESH = "fresh"  # computed now, under the lock


@dataclass(frozen=True)
class Chosen:
    plan: Plan
    source: PlanSource
    resuming: Unfinished | None = None  # the unfinished run being finished (RESUME)
    dropped: int = 0  # unfinished actions whose reason was gone: ended, never sent
    # `sent` actions whose reason is gone: read back, and dropped unless Zoom shows them done
    drop_unless_done: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Abandoned:
    fingerprint: str
    operations: int  # ended without being sent (or, if sent, without knowing the answer)


class ApplySession:
    """What may run while the lock is held (made by `apply_session`)."""

    def __init__(self, engine: Engine, *, actor: str, policy: Policy, held: HeldLock | None = None) -> None:
        self.engine = engine
        self.actor = actor
        self.policy = policy
        self.held = held or HeldLock()

    def choose(
        self,
        plan: Plan | None = None,
        *,
        resume: bool = True,
        force: bool = False,
        now: datetime | None = None,
        retry_blocked: bool = False,
    ) -> Chosen:
        """The plan to run: `plan` if given, else an unfinished one (if `resume`), else a fresh one.

        A given plan never started is checked against the current rosters, snapshot and policy
        (InputError if stale); one the journal already holds is a resume. Another plan left
        unfinished must be finished first (InputError), whatever was asked. A fresh plan is
        checked against the policy's safety thresholds (UnsafePlanError unless `force`).
        """
        unfinished = journal.unfinished(self.engine)
        if plan is not None:
            self._refuse_other_unfinished(unfinished, plan.fingerprint)
            if not journal.has_operations(self.engine, plan.fingerprint):
                with Session(self.engine) as session:
                    check_fresh(session, plan, self.policy, now=now)
                return Chosen(plan, PlanSource.FILE)
            return self._recheck(Chosen(plan, PlanSource.FILE), now)
        if unfinished and resume:
            # An interrupted run (crash, kill, daily limit): finish exactly that plan first, minus
            # what has lost its reason since.
            left = unfinished[0]
            plan = journal.load_plan(self.engine, left.fingerprint)
            return self._recheck(Chosen(plan, PlanSource.RESUME, left), now)
        self._refuse_other_unfinished(unfinished, None)
        with Session(self.engine) as session, session.begin():
            fresh = make_plan(
                session, self.policy, force=force, actor=self.actor, now=now, retry_blocked=retry_blocked
            )
            # Whom this run leaves alone (or sets again) because another writer sets them back.
            record_contests(session, fresh.contested, actor=self.actor)
        return Chosen(fresh, PlanSource.FRESH)

    def _recheck(self, chosen: Chosen, now: datetime | None) -> Chosen:
        """Drop the unfinished actions that the current rosters, policy and snapshot no longer give
        (provision.run.recheck): ended as DROPPED, never sent; the `sent` ones are read back first."""
        rechecked = recheck(self.engine, chosen.plan, self.policy, actor=self.actor, now=now)
        return replace(chosen, dropped=rechecked.dropped, drop_unless_done=rechecked.in_flight)

    def abandon(self) -> list[Abandoned]:
        """End every unfinished plan on purpose (`apply --abandon`), each operation audited.

        Operations `sent` without an answer are ended too: whether Zoom made them is then for the
        next sync to show. A new plan can run afterwards.
        """
        ended: list[Abandoned] = []
        reason = f"abandoned by {self.actor}: the plan was ended before this change was confirmed"
        for left in journal.unfinished(self.engine):
            ops, _ = journal.prepare(self.engine, journal.load_plan(self.engine, left.fingerprint))
            n = journal.end_unsent(
                self.engine, left.fingerprint, ops, None, journal.ABANDONED, reason, self.actor
            )
            ended.append(Abandoned(left.fingerprint, n))
        return ended

    @staticmethod
    def _refuse_other_unfinished(unfinished: list[Unfinished], fingerprint: str | None) -> None:
        others = [u for u in unfinished if u.fingerprint != fingerprint]
        if others:
            first = others[0]
            raise InputError(
                f"an earlier apply (plan {first.fingerprint[:12]}) left {first.pending + first.sent} "
                "operations unfinished; run `provision apply` without a plan file to finish it first"
            )

    async def run(
        self,
        client: AsyncZoomClient | AccountClients,
        chosen: Chosen,
        *,
        concurrency: int = 16,
        progress: Progress | None = None,
        workers: int = 1,
        environ: Mapping[str, str] | None = None,
        on_account: Callable[[str, str], None] | None = None,
        plan_usage: PlanUsageReads | None = None,
    ) -> ApplyResult:
        """Carry out the chosen plan, every account at once; ApplyIncomplete (exit 1) if anything
        is left for a rerun. `plan_usage`: the command's plan-usage reads by account, when it already
        made them (reconcile --fix).

        On PostgreSQL, once the plan is in the journal the Zoom lock turns shared: `provision
        worker`s (and the `workers - 1` local ones started here, with `environ`) take accounts
        this process does not hold (provision.run.workers). Elsewhere `workers` above 1 is
        refused (InputError).
        """
        if workers > 1:
            require_shared_database(self.engine, f"--workers {workers}")
        local: list[subprocess.Popen[bytes]] = []

        def journaled() -> None:
            self.held.share()

        try:
            if workers > 1:
                # Started now, so their start overlaps the journaling: each waits for this plan to
                # be journaled and the lock shared.
                local.extend(
                    spawn_local_workers(
                        workers - 1,
                        environ or os.environ,
                        plan=chosen.plan.fingerprint,
                        concurrency=concurrency,
                    )
                )
            with worker_presence(self.engine) as live:
                return await apply_plan(
                    self.engine,
                    client,
                    chosen.plan,
                    actor=self.actor,
                    concurrency=concurrency,
                    progress=progress,
                    drop_unless_done=chosen.drop_unless_done,
                    live_workers=lambda: max(live(), 1 + alive(local)),
                    on_account=on_account,
                    journaled=journaled,
                    plan_usage=plan_usage,
                )
        except BaseException:
            for process in local:  # stopped or failed here: they stop too (SIGTERM: a clean stop)
                if process.poll() is None:
                    process.terminate()
            raise
        finally:
            if local:
                await asyncio.to_thread(stop_local_workers, local)


@contextmanager
def apply_session(engine: Engine, *, actor: str, policy: Policy) -> Iterator[ApplySession]:
    """Hold the Zoom lock (LockedError if an apply, sync or reconcile holds it) for the block."""
    with operation_lock(engine, ZOOM) as held:
        yield ApplySession(engine, actor=actor, policy=policy, held=held)
