"""Apply: carry out a plan against Zoom, journal first, as fast as the rate limits allow.

Phases run in ActionKind order (add-ons off, downgrades, then upgrades so freed seats are reused).
Inside a phase the work is concurrent, bounded by `concurrency` and paced by the client's limiter.
Kinds whose registry entry says `bulk` (license changes and Large Meeting add-ons of existing
users) go BULK_SIZE at a time through their executor's `send_many` (POST /users/features); a user
such a call failed for, other than for want of a seat, meets Zoom alone (PATCH), as does every
other action, one request each. Which kinds need a seat or an add-on seat is their entry's to say
(core.actions.SPECS). Seats are re-read from plan usage before the first upgrade and never
handed out beyond what is free: the rest fail with "waiting: account seats". Plan usage is Heavy,
its daily budget shared by every app on the account: one read per account and run
(provision.run.plan_usage), carried forward by what the run changed for the add-on phase and the
seats recorded at the end. Creates the account cannot take are not sent (provision.run.create_checks).

Every operation is journaled (provision.store.journal) before it is sent; a rerun after any
interruption re-reads the `sent` ones from Zoom, then completes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AccountSnapshot
from models.locks import AccountLock, accounts_free, try_account_lock
from provision.core.actions import SPECS, KindSpec
from provision.core.blocked import ADDON_WAITING, SEATS_WAITING, explain_block
from provision.core.plan import ORDER, Action, ActionKind, Plan
from provision.core.readings import detect_pending_reading, free_by_reading
from provision.errors import ApplyIncompleteError
from provision.run.create_checks import CreateGate
from provision.run.executors import BULK_SIZE, Done, batch_key, execute, execute_many, verify
from provision.run.observe import addons_data, pools_data
from provision.run.plan_usage import (
    PlanUsageOnce,
    PlanUsageReads,
    held_in_snapshot,
    once_for,
    recorded,
    seat_pool,
)
from provision.run.reread import Listed, read_listed
from provision.store import journal as jr
from provision.store.journal import (
    ABANDONED,
    BLOCKED,
    DROPPED,
    FAILED,
    PENDING,
    SENT,
    SUCCEEDED,
    Journal,
    OpRecord,
    Outcome,
)
from zoom_client import (
    AsyncZoomClient,
    PlanUsage,
    RateLimitError,
    ServerError,
    ZoomAPIError,
    ZoomAuthError,
    ZoomConnectionError,
    ZoomError,
)

# kind, done, total
Progress = Callable[[str, int, int], None]

REASON_GONE = "dropped: no longer planned (the rosters, the policy or Zoom changed since the plan was made)"
MAX_ATTEMPTS = 3  # per operation and run, on answers that leave the outcome unknown


@dataclass
class ApplyResult:
    fingerprint: str
    # kind -> {"succeeded": n, "failed": n, "blocked": n, "dropped": n, "pending": n}
    counts: dict[str, dict[str, int]]
    failures: list[dict[str, Any]]
    elapsed: float
    resumed: bool = False
    reread: int = 0  # `sent` operations confirmed from Zoom without resending
    stopped: str | None = None  # why the run stopped early (daily limit, token)
    retry_at: datetime | None = None
    requests: int = 0

    @property
    def succeeded(self) -> int:
        return sum(c["succeeded"] for c in self.counts.values())

    @property
    def failed(self) -> int:
        return sum(c["failed"] for c in self.counts.values())

    @property
    def pending(self) -> int:
        return sum(c["pending"] for c in self.counts.values())

    @property
    def blocked(self) -> int:
        return sum(c["blocked"] for c in self.counts.values())

    @property
    def dropped(self) -> int:
        return sum(c["dropped"] for c in self.counts.values())

    @property
    def finished(self) -> bool:
        """Nothing a rerun of this plan could still do (what is left is blocked for good)."""
        return self.failed == 0 and self.pending == 0

    @property
    def complete(self) -> bool:
        return self.finished and self.blocked == 0

    def to_data(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "complete": self.complete,
            "resumed": self.resumed,
            "reread": self.reread,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "pending": self.pending,
            "blocked": self.blocked,
            "dropped": self.dropped,
            "rerun_helps": not self.finished,
            "counts": self.counts,
            "failures": self.failures,
            "stopped": self.stopped,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "elapsed_seconds": round(self.elapsed, 3),
        }


class ApplyIncomplete(ApplyIncompleteError):
    """ApplyIncompleteError carrying the result, so the CLI can still show the summary."""

    def __init__(self, message: str, result: ApplyResult) -> None:
        super().__init__(message)
        self.result = result


class _Stop(Exception):
    """The whole run must stop (daily limit, credentials refused); nothing more is sent."""

    def __init__(self, reason: str, retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at


def _is_ambiguous(exc: BaseException) -> bool:
    """The request may or may not have reached Zoom: verify before deciding."""
    if isinstance(exc, RateLimitError):
        return exc.limit_type != "Daily-limit"
    return isinstance(exc, ServerError | ZoomConnectionError)


def _stop_for(exc: BaseException) -> _Stop | None:
    if isinstance(exc, RateLimitError) and exc.limit_type == "Daily-limit":
        when = f" after {exc.retry_at.isoformat()}" if exc.retry_at else " after 00:00 UTC"
        return _Stop(
            f"Zoom's daily limit for {exc.category or 'this API'} is reached; "
            f"run `provision apply` again{when}",
            exc.retry_at,
        )
    if isinstance(exc, ZoomAuthError):
        return _Stop(f"Zoom refused the credentials ({exc}); fix them and run `provision apply` again")
    return None


def _cut(exc: BaseException) -> _Stop | None:
    """Zoom unreachable even after the client's retries: stop rather than fail everything left."""
    if isinstance(exc, ZoomConnectionError):
        return _Stop(f"lost the connection to Zoom ({exc}); run `provision apply` again to finish")
    return None


def _waiting(op: OpRecord) -> str:
    """What a refused operation waits for: its add-on's own pool, or the account's licensed seats."""
    addon = SPECS[op.action.kind].addon_seat(op.action.payload)
    return SEATS_WAITING if addon is None else ADDON_WAITING


def _failure(
    op: OpRecord, exc: BaseException | None = None, *, error: str | None = None, blocked: bool = False
) -> Outcome:
    """The outcome of a refused operation: BLOCKED when Zoom would refuse it again, else FAILED."""
    code = tracking = None
    permanent = blocked or (isinstance(exc, ZoomError) and exc.is_permanent())
    if isinstance(exc, ZoomAPIError):
        code, tracking = exc.code, exc.tracking_id
        if exc.is_seat_exhausted() or exc.is_addon_seats_exhausted():
            # No seat now means none for the rest of this plan: a rerun would only fail again.
            error, permanent = f"{_waiting(op)} (Zoom: {exc.message})", True
        elif error is None and (reason := exc.refusal_reason()) is not None:
            # "Basic-user cap reached", "email domain blocked", ...: the person's reason, in words.
            error = f"{reason} (Zoom {exc.code}: {exc.message})"
    state = BLOCKED if permanent else FAILED
    return Outcome(op=op, state=state, zoom_code=code, tracking_id=tracking, error=error or str(exc))


def _ours_after_all(action: Action, exc: ZoomError) -> bool:
    return action.kind is ActionKind.CREATE and isinstance(exc, ZoomAPIError) and exc.is_email_taken()


def _success(op: OpRecord, done: Done | None = None) -> Outcome:
    done = done or Done()
    return Outcome(op=op, state=SUCCEEDED, zoom_id=done.zoom_id, observed=dict(done.observed or {}))


@dataclass
class _Answered:
    """A bulk call's answer: outcomes to journal, and the users to send again one by one."""

    outcomes: list[Outcome]
    retry: list[OpRecord]


class _Run:
    """One account's work in one process: its client (hence its rate budget), its stop."""

    def __init__(
        self,
        client: AsyncZoomClient,
        journal: Journal,
        concurrency: int,
        progress: Progress | None,
        tally: _Tally | None = None,
        account: str = "",
        plan_usage: PlanUsageOnce | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        # The account's one plan-usage read (reconcile --fix hands in its own), and what this run
        # learns of the account's create action.
        self.plan_usage = plan_usage or PlanUsageOnce(client, account)
        self.creates = CreateGate()
        self.concurrency = max(1, concurrency)
        self.sem = asyncio.Semaphore(self.concurrency)
        # Bulk calls whose operations are marked `sent` while they wait for a request slot: the
        # mark's commit overlaps the requests in flight instead of holding a slot (on a busy
        # machine a commit took 0.2 s, and 16 slots carried 42 calls a second, not 60). At most
        # `concurrency` of them: a run killed leaves at most twice as many to read back.
        self.marking = asyncio.Semaphore(max(1, concurrency))
        self.progress = progress
        self.stop: _Stop | None = None
        self.tally = tally or _Tally()
        self.account = account
        self.handing_over = False  # stopped on purpose: another worker takes the account on
        # Set once the run's first `sent` mark is written (or nothing more will be sent): the
        # adoptions journaled beside the last phase wait for it, so that the first requests
        # do not wait for a commit of hundreds of adoptions.
        self.sending = asyncio.Event()

    def _tick(self, kind: ActionKind, n: int) -> None:
        done = self.tally.done[kind.value] = self.tally.done.get(kind.value, 0) + n
        if self.progress is not None:
            self.progress(kind.value, done, self.tally.total.get(kind.value, 0))

    async def finish(self, outcomes: Sequence[Outcome]) -> None:
        await self.journal.record(outcomes)
        if outcomes:
            self._tick(outcomes[0].op.action.kind, len(outcomes))

    # ------------------------------------------------------------ re-reading `sent` operations

    async def reread(self, ops: Sequence[OpRecord]) -> int:
        """Settle operations whose answer never came: done in Zoom -> succeeded, else pending again.
        Many of them: from the account's user list where that is fewer round trips (run.reread)."""
        try:
            listed = await read_listed(self.client, ops, self.concurrency)
        except ZoomError as exc:
            stop = _stop_for(exc) or _cut(exc)
            if stop:
                self.stop = stop
                raise stop from exc
            listed = Listed(unread=list(ops))  # the list refused: every one read alone
        if listed.done:
            await self.journal.record([_success(op, done) for op, done in listed.done])
        # Only a user's own GET decides a resend (run.reread: the list settles what it shows done).
        ops = listed.unread
        confirmed = len(listed.done)

        async def one(op: OpRecord) -> None:
            nonlocal confirmed
            async with self.sem:
                try:
                    with self.journal.in_flight():
                        done = await verify(self.client, op.action)
                except ZoomError as exc:
                    stop = _stop_for(exc) or _cut(exc)
                    if stop:
                        self.stop = stop
                        raise stop from exc
                    return  # stays `sent`; reread again next time
            if done is not None:
                confirmed += 1
                await self.journal.record([_success(op, done)])
            else:
                await self.journal.back_to_pending([op])

        await _gather(one(op) for op in ops)
        return confirmed

    # ------------------------------------------------------------ one action at a time

    async def single(self, op: OpRecord) -> None:
        if self.stop is not None:
            return
        async with self.sem:
            if self.stop is not None:
                return
            outcome = await self._single(op)
        if outcome is not None:
            await self.finish([outcome])

    async def _single(self, op: OpRecord) -> Outcome | None:
        action = op.action
        if action.kind is ActionKind.ADOPT:
            return _success(op)
        if action.kind is ActionKind.CREATE and (held := self.creates.held(action)) is not None:
            # Zoom would refuse it as it refused this action or domain already: not sent at all.
            return Outcome(op=op, state=BLOCKED, zoom_code=held.code, error=held.error)
        sent_before = op.attempts > 0  # by an earlier run, read back then as not done
        last: BaseException | None = None
        for _ in range(MAX_ATTEMPTS):
            claimed = await self.journal.sent([op])
            self.sending.set()
            if not claimed:
                return None  # another worker took or settled it meanwhile: theirs
            try:
                with self.journal.in_flight():
                    return _success(op, await execute(self.client, action))
            except ZoomError as exc:
                last = exc
                stop = _stop_for(exc)
                if stop is not None:
                    self.stop = self.stop or stop
                    await self.journal.back_to_pending([op])
                    return None
                if sent_before and _ours_after_all(action, exc):
                    # The earlier run's create reached Zoom after it was read back: it is ours.
                    with self.journal.in_flight():
                        done = await verify(self.client, action)
                    if done is not None:
                        return _success(op, done)
                if not _is_ambiguous(exc):
                    if action.kind is ActionKind.CREATE and isinstance(exc, ZoomAPIError):
                        self.creates.learn(action, exc)
                    return _failure(op, exc)
            # Unknown outcome: read before writing again.
            try:
                with self.journal.in_flight():
                    done = await verify(self.client, action)
            except ZoomError as exc:
                last = exc
                stop = _stop_for(exc) or _cut(exc)
                if stop is not None:
                    self.stop = self.stop or stop
                    return None  # stays `sent`: the next run re-reads it
                continue
            if done is not None:
                return _success(op, done)
        return _failure(op, last, error=f"gave up after {MAX_ATTEMPTS} attempts: {last}")

    # ------------------------------------------------------------ bulk kinds, BULK_SIZE a call

    async def bulk(self, ops: Sequence[OpRecord]) -> None:
        if self.stop is not None:
            return
        async with self.marking:
            if self.stop is not None:
                return
            marked = await self.journal.sent(ops)  # what another worker took is theirs
            self.sending.set()
            if not marked:
                return
            await self.sem.acquire()
        try:
            if self.stop is not None:
                await self.journal.back_to_pending(marked)  # never sent: nothing to read back
                return
            answered = await self._bulk(marked, marked=True)
        finally:
            self.sem.release()
        if isinstance(answered, _Answered):
            # Written outside the concurrency slot: it bounds requests in flight, and a slot held
            # through the outcome's commit as well let 16 slots fall short of 60 calls a second.
            await self.finish(answered.outcomes)
            if answered.retry:
                await self.journal.back_to_pending(answered.retry)
            leftovers = answered.retry
        else:
            leftovers = answered
        for op in leftovers:  # per-user failures: one request each, as Zoom can explain them one by one
            await self.single(op)

    async def _bulk(self, ops: Sequence[OpRecord], *, marked: bool = False) -> _Answered | list[OpRecord]:
        """Send `ops` in one call (again while the outcome is unknown): Zoom's answer, still to be
        journaled, or the operations left for one request each (already back to pending).
        `marked`: the first attempt's `sent` mark is written already."""
        last: BaseException | None = None
        by_id = {op.action.zoom_id: op for op in ops if op.action.zoom_id}
        remaining = list(ops)
        for attempt in range(MAX_ATTEMPTS):
            if attempt or not marked:
                remaining = await self.journal.sent(remaining)  # what another worker took is theirs
            if not remaining:
                return []
            try:
                with self.journal.in_flight():
                    result = await execute_many(self.client, [op.action for op in remaining])
            except ZoomError as exc:
                stop = _stop_for(exc)
                if stop is not None:
                    self.stop = self.stop or stop
                    await self.journal.back_to_pending(remaining)
                    return []
                if _is_ambiguous(exc):
                    last = exc
                    # A bulk kind sets a value, which is idempotent: the same call again cannot
                    # apply anything twice and costs one request instead of thirty reads.
                    continue
                # Refused as a whole (a malformed id, say): let each one meet Zoom alone.
                await self.journal.back_to_pending(remaining)
                return list(remaining)
            outcomes = [_success(by_id[uid]) for uid in result.success_user_ids if uid in by_id]
            settled = {o.op.seq for o in outcomes}
            retry: list[OpRecord] = []
            for failure in result.fail_details:
                for uid in failure.user_ids:
                    op = by_id.get(uid)
                    if op is None or op.seq in settled:
                        continue
                    settled.add(op.seq)
                    if "seat" in (failure.reason or "").lower():
                        outcomes.append(_failure(op, error=f"{_waiting(op)} (Zoom: {failure.reason})"))
                    else:
                        retry.append(op)
            # Neither listed as success nor failure: unknown, re-read one by one.
            retry.extend(op for op in remaining if op.seq not in settled)
            return _Answered(outcomes, retry)
        cut = _cut(last) if last is not None else None
        if cut is not None:
            self.stop = self.stop or cut
            return []  # left `sent`: the next run re-reads them
        await self.journal.back_to_pending(remaining)
        return list(remaining)

    # ------------------------------------------------------------ seats

    async def free_seats(self) -> tuple[int, dict[int, int]]:
        """Free licensed seats and add-on seats now; _Stop if Zoom cannot say (no upgrade blind)."""
        usage: PlanUsage | None = None
        last: ZoomError | None = None
        for _ in range(MAX_ATTEMPTS):
            try:
                usage = await self.plan_usage.get(self.journal.engine)
                break
            except ZoomError as exc:
                last = exc
                if _stop_for(exc) is not None or not _is_ambiguous(exc):
                    break
        if usage is None:
            stop = (_stop_for(last) if last is not None else None) or _Stop(
                f"could not read the account's free seats ({last}); nothing was upgraded blind: "
                "run `provision apply` again to finish"
            )
            self.stop = self.stop or stop
            raise stop
        pools = {}
        for capacity in (500, 1000):
            pool = usage.large_meeting_pool(capacity)
            pools[capacity] = pool.free if pool is not None else 0
        # The pool sync recorded as the one handed out (plan_base, or the Zoom One product's).
        base = usage.pool(seat_pool(self.journal.engine, self.account))
        if base is None:
            return 0, pools
        reading = seat_reading(self.journal.engine, base.usage, base.pending, self.account)
        return free_by_reading(
            hosts=base.hosts, usage=base.usage, pending=base.pending, reading=reading
        ), pools


def seat_reading(engine: Engine, usage: int, pending: int, account: str = "") -> str | None:
    """Which reading of `usage` holds now: told from these numbers and the snapshot's users (kept
    current by the journal) when they tell it, else the one sync recorded. Never both subtracted
    when Zoom already counts invitations inside `usage` (that left seats unused). Per account."""
    with Session(engine) as session:
        last = recorded(session, AccountSnapshot.pending_reading, account)
    held = held_in_snapshot(engine, account)  # seat holders as the snapshot counts them
    live = detect_pending_reading(
        usage=usage,
        pending=pending,
        licensed_active=held.licensed_active,
        licensed_pending=held.licensed_pending,
    )
    if live.reading in ("pending_in_usage", "pending_apart"):
        return live.reading
    return last  # type: ignore[no-any-return]


async def _gather(coros: Any) -> None:
    # Every task runs to its end before we go on: none may outlive the journal it writes to.
    tasks = [asyncio.ensure_future(c) for c in coros]
    if not tasks:
        return
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in results:
        if isinstance(outcome, BaseException) and not isinstance(outcome, _Stop):
            raise outcome


class AccountClients(Protocol):
    """The Zoom client of each account by its key ("" = the main account): `ZoomAccounts`."""

    def client_for(self, account: str) -> AsyncZoomClient: ...


class _MainOnly:
    """One client given: the main account's, and its sub-accounts under it."""

    def __init__(self, client: AsyncZoomClient) -> None:
        self.main = client

    def client_for(self, account: str) -> AsyncZoomClient:
        return self.main if not account else self.main.sub_account(account)


def account_clients(client: AsyncZoomClient | AccountClients) -> AccountClients:
    return _MainOnly(client) if isinstance(client, AsyncZoomClient) else client


def _account(op: OpRecord) -> str:
    return op.account


POLL = 1.0  # seconds between looks at accounts other workers hold (a takeover waits at most this)


@dataclass
class _Tally:
    """Progress across the accounts of one run: done and total per kind."""

    done: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)


async def work_plan(
    engine: Engine,
    clients: AccountClients,
    journal: Journal,
    ops: list[OpRecord],
    *,
    concurrency: int = 16,
    progress: Progress | None = None,
    drop_unless_done: frozenset[int] = frozenset(),
    live_workers: Callable[[], int] = lambda: 1,
    on_account: Callable[[str, str], None] | None = None,
    plan_usage: PlanUsageReads | None = None,
    load: Callable[[str], list[OpRecord]] | None = None,
    early: dict[str, PlanUsageOnce] | None = None,
) -> tuple[list[_Stop], int]:
    """Work every account of the plan at once, each with its own client (its own rate budget).

    An account is worked by one worker at a time (models.locks.try_account_lock: a PostgreSQL
    advisory lock per plan and account; always granted on SQLite, where one process works them
    all). Accounts another worker holds are waited for: if that worker dies its lock goes with
    its connection, and this one takes the account over, reading its operations afresh from the
    journal (the authority) and re-reading the `sent` ones from Zoom before anything is resent.
    A worker takes at most its share of the accounts left (their number over the live workers),
    so workers started together split them. Returns the stops met and the `sent` re-read.

    `load` (a worker): `ops` are not given; an account's operations are read from the journal
    when this worker takes it, so a worker reads only the accounts it works. `early`: plan-usage
    reads begun before the journal was opened (apply_plan's `_Early`), valid for an account taken
    at the first look only (later, another worker may have sent to it since).
    """
    fingerprint = journal.fingerprint
    by_account: dict[str, list[OpRecord]] = {}
    if len(accounts := set(map(_OP_ACCOUNT, ops))) == 1:
        by_account[accounts.pop()] = list(ops)  # one account, most plans
    else:
        for op in ops:
            by_account.setdefault(_account(op), []).append(op)
    tally = _Tally()
    open_states = (PENDING, SENT, FAILED)
    left = {acct for acct, mine in by_account.items() if any(op.state in open_states for op in mine)}
    if load is not None:
        left = await asyncio.to_thread(jr.accounts_left, engine, fingerprint, open_states)
    shared = engine.dialect.name == "postgresql"
    running: dict[str, _Slot] = {}
    stops: list[_Stop] = []
    reread = 0
    fresh = True  # the first look: `ops` are as the journal holds them now
    try:
        while left or running:
            share = max(1, -(-len(left) // max(1, await asyncio.to_thread(live_workers))))
            candidates = sorted(left - set(running)) if len(running) < share else []
            if shared and candidates:  # one look for all, rather than a connection per held one
                candidates = await asyncio.to_thread(accounts_free, engine, fingerprint, candidates)
            for acct in candidates:
                if len(running) >= share:
                    break
                lock = await asyncio.to_thread(try_account_lock, engine, fingerprint, acct)
                if lock is None:
                    continue  # another worker's
                if load is not None:
                    mine = by_account[acct] = await asyncio.to_thread(load, acct)
                else:
                    mine = by_account[acct]
                    if shared and not fresh:
                        # Another worker may have worked it: the journal says where it stands.
                        await asyncio.to_thread(jr.refresh, engine, fingerprint, mine, acct)
                if on_account is not None:
                    on_account("start", acct)
                client = clients.client_for(acct)
                once: PlanUsageOnce | None = None
                if plan_usage is not None:
                    once = once_for(plan_usage, client, acct)
                elif early is not None and fresh:
                    once = early.pop(acct, None)
                run = _Run(client, journal, concurrency, progress, tally, acct, once)
                task = asyncio.create_task(_work_account(run, mine, drop_unless_done, lock))
                running[acct] = _Slot(task, lock, run)
            fresh = False
            if len(running) > share and not any(slot.run.handing_over for slot in running.values()):
                # More workers than when we took these: hand one over at its next safe point.
                slot = running[sorted(running)[-1]]
                slot.run.handing_over = True
                slot.run.stop = slot.run.stop or _Stop(HANDED_OVER)
            tasks = [slot.task for slot in running.values()]
            if tasks:
                await asyncio.wait(tasks, timeout=POLL, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(POLL)
            for acct, slot in list(running.items()):
                if not slot.task.done():
                    continue
                del running[acct]
                await asyncio.to_thread(slot.lock.release)
                stop, confirmed = slot.task.result()
                reread += confirmed
                if slot.run.handing_over:
                    continue  # still open: another worker takes it (or we do, later)
                left.discard(acct)
                if stop is not None:
                    stops.append(stop)
                if on_account is not None:
                    on_account("done", acct)
            if shared and left - set(running):
                # Accounts held elsewhere: done once no operation of theirs is open any more.
                still = await asyncio.to_thread(jr.accounts_left, engine, fingerprint)
                left = {acct for acct in left if acct in still or acct in running}
    finally:
        for slot in running.values():
            slot.task.cancel()
        for slot in running.values():
            try:
                await slot.task
            except BaseException:
                pass
            await asyncio.to_thread(slot.lock.release)
    return stops, reread


HANDED_OVER = "handed over to another worker"


@dataclass
class _Slot:
    task: asyncio.Task[tuple[_Stop | None, int]]
    lock: AccountLock
    run: _Run


async def _work_account(
    run: _Run, ops: list[OpRecord], drop_unless_done: frozenset[int], lock: AccountLock
) -> tuple[_Stop | None, int]:
    """One account's part of the plan: re-read what was sent, then the phases."""
    total = run.tally.total
    for kind, n in Counter(op.kind for op in ops if op.state in (PENDING, SENT, FAILED)).items():
        total[kind.value] = total.get(kind.value, 0) + n
    watchdog = asyncio.create_task(_watch(run, lock))
    reread = 0
    try:
        sent = [op for op in ops if op.state == SENT]
        if sent:
            reread = await run.reread(sent)
        lost = [op for op in ops if op.seq in drop_unless_done and op.state == PENDING]
        if lost:
            await run.finish([Outcome(op=op, state=DROPPED, error=REASON_GONE) for op in lost])
        await _phases(run, ops)
    except _Stop:
        pass
    finally:
        watchdog.cancel()
    await _refresh_account(run.journal.engine, run.plan_usage, run.account)
    return run.stop, reread


async def _settle_gone(
    clients: AccountClients,
    journal: Journal,
    ops: list[OpRecord],
    gone: frozenset[int],
    concurrency: int,
) -> tuple[list[_Stop], int]:
    """Read back the `sent` operations whose reason is gone, every account at once: succeeded if
    Zoom shows them done, else dropped (never resent). One Zoom could not answer for stops the run
    before any account is shared: a worker would resend it."""
    by_account: dict[str, list[OpRecord]] = {}
    for op in ops:
        if op.seq in gone and op.state == SENT:
            by_account.setdefault(_account(op), []).append(op)

    async def one(account: str, mine: list[OpRecord]) -> tuple[_Stop | None, int]:
        run = _Run(clients.client_for(account), journal, concurrency, None, account=account)
        confirmed = 0
        try:
            confirmed = await run.reread(mine)
        except _Stop:
            pass
        lost = [op for op in mine if op.state == PENDING]
        if lost:
            await run.finish([Outcome(op=op, state=DROPPED, error=REASON_GONE) for op in lost])
        if run.stop is None and any(op.state == SENT for op in mine):
            run.stop = _Stop(
                f"Zoom could not say whether {sum(op.state == SENT for op in mine)} changes sent "
                f"before to {account or 'the main account'}, no longer planned, were made; "
                "nothing was resent: run `provision apply` again to finish"
            )
        return run.stop, confirmed

    settled = await asyncio.gather(*(one(account, mine) for account, mine in sorted(by_account.items())))
    return [stop for stop, _ in settled if stop is not None], sum(n for _, n in settled)


async def _watch(run: _Run, lock: AccountLock) -> None:
    """Stop sending as soon as this worker no longer holds the account (its connection cut)."""
    while True:
        await asyncio.sleep(POLL * 2)
        if not await asyncio.to_thread(lock.alive):
            run.stop = run.stop or _Stop(
                f"lost the lock of {run.account or 'the main account'} (database connection cut); "
                "another worker finishes it, or run `provision apply` again"
            )
            return


async def apply_plan(
    engine: Engine,
    client: AsyncZoomClient | AccountClients,
    plan: Plan,
    *,
    actor: str,
    concurrency: int = 16,
    progress: Progress | None = None,
    drop_unless_done: frozenset[int] = frozenset(),
    live_workers: Callable[[], int] = lambda: 1,
    on_account: Callable[[str, str], None] | None = None,
    journaled: Callable[[], None] | None = None,
    plan_usage: PlanUsageReads | None = None,
) -> ApplyResult:
    """Carry out a chosen plan; ApplyIncomplete (exit 1) if anything is left to do by a rerun.

    `plan_usage`: the command's plan-usage reads by account when the caller has them (reconcile
    --fix); an account not in them (or without them) is read at most once by its run.

    `client`: the main account's client, or one per account (`ZoomAccounts`); every account of
    the plan is worked at once, each at its own rate budget (see `work_plan`).
    `drop_unless_done`: seqs of `sent` operations whose reason is gone (see ApplySession.choose):
    read back like every `sent` one, and dropped instead of resent when Zoom shows them not done.
    `journaled` is called once every operation is in the journal (PostgreSQL), where other
    workers may then take accounts (`live_workers` says how many are live, this one included).

    Which plan, whether it is fresh, and the lock are the caller's: come through
    `provision.run.apply_session` (as the CLI, reconcile and the demo do). A plan the journal
    already holds is resumed: `sent` operations are re-read before anything is resent.
    """
    started = time.monotonic()
    shared = engine.dialect.name == "postgresql"
    clients = account_clients(client)
    early = _Early(engine, clients, plan, shared=shared, given=plan_usage, live_workers=live_workers)
    with _heap_frozen():
        async with early:
            # In a thread: meanwhile the loop sends the early reads and takes their answers.
            ops, resumed = await asyncio.to_thread(jr.prepare, engine, plan)
            gc.freeze()  # the operations too
            if shared:
                # Other workers may take accounts of this plan: every operation must be in the journal.
                jr.journal_all(engine, plan.fingerprint, ops)
            async with Journal(engine, actor, plan.fingerprint, ops) as journal:
                stops: list[_Stop] = []
                reread = 0
                if shared and drop_unless_done:
                    # Only this process knows which `sent` operations lost their reason: a worker
                    # taking their account would read them back and resend them. Settled before
                    # anyone may.
                    stops, reread = await _settle_gone(clients, journal, ops, drop_unless_done, concurrency)
                if not stops:
                    if shared and journaled is not None:
                        journaled()
                    stops, more = await work_plan(
                        engine,
                        clients,
                        journal,
                        ops,
                        concurrency=concurrency,
                        progress=progress,
                        drop_unless_done=drop_unless_done,
                        live_workers=live_workers,
                        on_account=on_account,
                        plan_usage=plan_usage,
                        early=early.reads,
                    )
                    reread += more
    if shared:
        # Other workers' accounts as they left them; what this process settled is final as it is.
        stale = {_account(op) for op in ops if op.state in (PENDING, SENT, FAILED)}
        for acct in sorted(stale):
            jr.refresh(engine, plan.fingerprint, [op for op in ops if _account(op) == acct], acct)
    stop = stops[0] if stops else None
    result = _result(plan.fingerprint, ops, started, resumed, reread, stop)
    if not result.complete:
        raise ApplyIncomplete(incomplete_message(result, ops, stop), result)
    return result


class _Early:
    """What a run asks of Zoom before its journal is open, so that the answers' 100 ms or more
    in flight overlap the preparations (prepare, the journal, the phases' sorting) instead of
    following them: the token of each account's client (every run calls Zoom: at the least the
    seats recorded at the end), and the plan-usage read of each account whose first change sent
    to Zoom needs a seat, since that read would come before anything the run sends there anyway.

    Not read early: for a plan already journaled (a resume: `sent` operations are re-read first,
    and what they did would count twice in the carried read), for reads the caller hands in
    (reconcile --fix), or where other workers may take the accounts (read for nothing).
    """

    def __init__(
        self,
        engine: Engine,
        clients: AccountClients,
        plan: Plan,
        *,
        shared: bool,
        given: PlanUsageReads | None,
        live_workers: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._clients = clients
        self._plan = plan
        self._read_usage = given is None and (not shared or live_workers() <= 1)
        self.reads: dict[str, PlanUsageOnce] = {}  # taken by work_plan as it starts each account
        self._started: list[PlanUsageOnce] = []
        self._tokens: list[asyncio.Future[None]] = []

    async def __aenter__(self) -> _Early:
        if not self._plan.actions:
            return self
        accounts = _seats_first(self._plan.actions)
        tokens = {id(c): c for c in (self._clients.client_for(acct) for acct in accounts)}
        self._tokens = [asyncio.ensure_future(_fetch_token(c)) for c in tokens.values()]
        if self._read_usage and not jr.has_operations(self._engine, self._plan.fingerprint):
            for account, seats_first in accounts.items():
                if seats_first:
                    once = self.reads[account] = PlanUsageOnce(self._clients.client_for(account), account)
                    once.start_early(self._engine)
                    self._started.append(once)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tokens:
            task.cancel()
        await asyncio.gather(*self._tokens, return_exceptions=True)
        for once in self._started:
            await once.discard_early()


async def _fetch_token(client: AsyncZoomClient) -> None:
    # A failure is met again, and reported, by the first request that needs the token.
    with contextlib.suppress(ZoomError):
        await client.fetch_token()


def _seats_first(actions: Sequence[Action]) -> dict[str, bool]:
    """Each account of `actions` -> whether the first kind sent to Zoom there (ORDER; adopting
    sends nothing) needs a seat or an add-on seat: its seat read then precedes every send."""
    by_account: dict[str, Sequence[Action]] = {}
    if len(accounts := set(map(_ACCOUNT_OF, actions))) == 1:
        by_account[accounts.pop()] = actions  # one account, most plans: no pass to split them
    else:
        split: dict[str, list[Action]] = {}
        for action in actions:
            split.setdefault(action.account, []).append(action)
        by_account.update(split)
    seats: dict[str, bool] = {}
    for account, mine in sorted(by_account.items()):
        kinds = set(map(_KIND_OF, mine)) - {ActionKind.ADOPT}
        seats[account] = False
        if not kinds:
            continue
        first = min(kinds, key=ORDER.index)
        entry = SPECS[first]
        asked: set[int] = set()  # the payloads asked about: a kind's actions share a few
        for action in mine:
            if action.kind is not first or id(action.payload) in asked:
                continue
            asked.add(id(action.payload))
            if entry.needs_seat(action.payload) or entry.addon_seat(action.payload) is not None:
                seats[account] = True
                break
    return seats


_ACCOUNT_OF = attrgetter("account")
_OP_ACCOUNT = attrgetter("account")
_KIND_OF = attrgetter("kind")


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep what exists now (the plan, what the process loaded) out of the cyclic collector's
    passes for the run: none of it is cyclic garbage, and the full passes that the run's many
    small objects (requests, outcomes) trigger walked all of it each time (in prepare alone
    0.15 s of CPU at 40,000 operations). Reference counting still frees everything. The youngest
    generation is collected less often meanwhile: a run's objects are short-lived and acyclic."""
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(20_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def incomplete_message(result: ApplyResult, ops: Sequence[OpRecord], stop: _Stop | None) -> str:
    """What is left and what would fix it; a rerun is advised only where a rerun can help."""
    parts: list[str] = []
    if stop is not None:
        parts.append(f"{stop.reason} ({result.pending} operations left, {result.failed} failed)")
    elif result.failed or result.pending:
        left = f"{result.failed} of {len(ops)} operations failed" + (
            f", {result.pending} not done" if result.pending else ""
        )
        parts.append(f"{left}; run `provision apply` again to finish them")
    if result.blocked:
        parts.append(blocked_summary([op for op in ops if op.state == BLOCKED]))
    return "; ".join(parts)


def blocked_summary(ops: Sequence[OpRecord]) -> str:
    """Blocked operations grouped by what would unblock them (a rerun never does)."""
    groups: dict[str, int] = {}
    for op in ops:
        fix = explain_block(op.zoom_code, op.error or "")
        groups[fix] = groups.get(fix, 0) + 1
    reasons = "; ".join(f"{n} × {fix}" for fix, n in sorted(groups.items(), key=lambda item: -item[1]))
    return (
        f"{len(ops)} changes blocked: Zoom refuses them for reasons a rerun cannot change ({reasons}); "
        "once fixed, `provision plan` shows them again"
    )


async def _phases(run: _Run, ops: list[OpRecord]) -> None:
    by_kind: dict[ActionKind, list[OpRecord]] = {}
    for op in ops:
        if op.state in (PENDING, FAILED):
            by_kind.setdefault(op.kind, []).append(op)
    # Adopting sends nothing to Zoom. It is still the last kind, but journaled beside the last
    # phase that calls Zoom, while that one waits for its rate budget, rather than after it
    # (seconds at 20,000 people); a run stopped before that phase adopts no one, as before.
    adopt = by_kind.pop(ActionKind.ADOPT, [])
    beside: list[asyncio.Future[None]] = []

    def last_phase() -> None:
        if adopt:
            beside.append(asyncio.ensure_future(_adopt(run, adopt)))

    try:
        await _zoom_phases(run, by_kind, last_phase)
        run.sending.set()  # nothing more to send: the adoptions wait no longer
        if adopt and not beside and run.stop is None:
            await _adopt(run, adopt)  # nothing to send to Zoom at all
    except BaseException:
        for task in beside:
            task.cancel()
        await asyncio.gather(*beside, return_exceptions=True)
        raise
    for task in beside:
        await task


async def _adopt(run: _Run, ops: list[OpRecord]) -> None:
    """Record adoptions a chunk at a time: no Zoom call, and not one task and one journal write
    per person (20,000 adopted in an apply cost seconds of CPU the other way)."""
    await run.sending.wait()
    for start in range(0, len(ops), ADOPT_CHUNK):
        if run.stop is not None:
            return
        await run.finish([_success(op) for op in ops[start : start + ADOPT_CHUNK]])


# Adoptions per journal write: small, so a `sent` mark committed with them waits little.
ADOPT_CHUNK = 500


async def _zoom_phases(
    run: _Run, by_kind: dict[ActionKind, list[OpRecord]], last_phase: Callable[[], None]
) -> None:
    """The kinds that call Zoom, in ORDER; `last_phase` is called as the last of them starts."""
    seats_checked = False
    seat_budget = 0
    addon_budget: dict[int, int] = {}
    last = max((kind for kind, ops in by_kind.items() if ops), key=ORDER.index, default=None)
    for kind in ORDER:
        phase = by_kind.get(kind)
        if not phase or run.stop is not None:
            continue
        if kind is last:
            last_phase()
        entry = SPECS[kind]
        needs = _seat_needs(entry, phase)
        if any(seat for seat, _ in needs) and not seats_checked:
            # After the downgrades: the seats they freed are free now.
            seat_budget, addon_budget = await run.free_seats()
            seats_checked = True
        if kind is ActionKind.CREATE:
            phase = await _screen_creates(run, phase)
            needs = _seat_needs(entry, phase)
        if any(capacity is not None for _, capacity in needs):
            _, addon_budget = await run.free_seats()
        over: list[Outcome] = []
        allowed: list[OpRecord] = []
        for op, (seat, capacity) in zip(phase, needs, strict=True):
            if seat:
                if seat_budget <= 0:
                    over.append(
                        _failure(op, error=f"{SEATS_WAITING}: no free licensed seat left", blocked=True)
                    )
                    continue
                seat_budget -= 1
            if capacity is not None:
                if addon_budget.get(capacity, 0) <= 0:
                    over.append(
                        _failure(
                            op, error=f"{ADDON_WAITING}: no free Large Meetings {capacity} seat", blocked=True
                        )
                    )
                    continue
                addon_budget[capacity] -= 1
            allowed.append(op)
        if over:
            await run.finish(over)
        if entry.bulk:
            # One call carries one value (one type, one capacity): batch by the executor's key.
            by_payload: dict[Any, list[OpRecord]] = {}
            without = []
            for op in allowed:
                if op.action.zoom_id:
                    by_payload.setdefault(batch_key(op.action), []).append(op)
                else:
                    without.append(op)
            chunks = [
                same[i : i + BULK_SIZE]
                for same in by_payload.values()
                for i in range(0, len(same), BULK_SIZE)
            ]
            await _gather([run.bulk(chunk) for chunk in chunks] + [run.single(op) for op in without])
        elif kind is ActionKind.CREATE and allowed:
            # The first create alone: an account-wide refusal (no SSO, an action not allowed)
            # then holds the others back unsent instead of meeting Zoom `concurrency` times.
            await run.single(allowed[0])
            await _gather(run.single(op) for op in allowed[1:])
        else:
            await _gather(run.single(op) for op in allowed)


def _seat_needs(entry: KindSpec, ops: Sequence[OpRecord]) -> list[tuple[bool, int | None]]:
    """Each operation's (needs a licensed seat, add-on seat capacity or None), asked of the kind's
    entry once per payload: a phase's operations share a few (one for 20,000 licenses)."""
    known: dict[int, tuple[bool, int | None]] = {}
    needs = []
    for op in ops:
        payload = op.action.payload
        need = known.get(id(payload))
        if need is None:
            need = known[id(payload)] = (entry.needs_seat(payload), entry.addon_seat(payload))
        needs.append(need)
    return needs


async def _screen_creates(run: _Run, phase: list[OpRecord]) -> list[OpRecord]:
    """The creates the account can take; the others blocked unsent (provision.run.create_checks)."""
    await run.creates.prepare(run.client, [op.action for op in phase])
    held: list[Outcome] = []
    keep: list[OpRecord] = []
    for op in phase:
        why = run.creates.held(op.action)
        if why is None:
            keep.append(op)
        else:
            held.append(Outcome(op=op, state=BLOCKED, zoom_code=why.code, error=why.error))
    if held:
        await run.finish(held)
    return keep


async def _refresh_account(engine: Engine, plan_usage: PlanUsageOnce, account: str = "") -> None:
    """Record the seats as they are after the run, so the next plan counts from them: the run's
    read carried forward by its own changes, or (a run that needed no seat) the one read."""
    try:
        usage = await plan_usage.get(engine)
    except ZoomError:
        return  # the next sync records them; the user rows are already up to date
    key = seat_pool(engine, account)
    base = usage.pool(key)
    if base is None or base.hosts <= 0:
        return
    reading = seat_reading(engine, base.usage, base.pending, account)
    with Session(engine) as session, session.begin():
        last = session.exec(
            select(AccountSnapshot)
            .where(AccountSnapshot.account == account)
            .order_by(AccountSnapshot.observed_at.desc())  # type: ignore[attr-defined]
        ).first()
        session.add(
            AccountSnapshot(
                account=account,
                seats_purchased=base.hosts,
                seats_used=base.usage,
                seats_pending=base.pending,
                addons=addons_data(usage),
                users_total=last.users_total if last else 0,
                pools=pools_data(usage),
                seat_pool=key,
                pending_reading=reading,
            )
        )


def _result(
    fingerprint: str, ops: list[OpRecord], started: float, resumed: bool, reread: int, stop: _Stop | None
) -> ApplyResult:
    counts: dict[str, dict[str, int]] = {}
    failures: list[dict[str, Any]] = []
    by_kind: dict[ActionKind, dict[str, int]] = {}  # the same dicts, by kind: one lookup an operation
    for op in ops:
        entry = by_kind.get(op.kind)
        if entry is None:
            entry = by_kind[op.kind] = counts[op.kind.value] = {
                "succeeded": 0,
                "failed": 0,
                "blocked": 0,
                "dropped": 0,
                "pending": 0,
            }
        if op.state == SUCCEEDED:
            entry["succeeded"] += 1
        elif op.state in (FAILED, BLOCKED):
            entry[op.state.value] += 1
            # Every one of them: a list cut short would hide people from the operator.
            failures.append(
                {
                    "kind": op.action.kind.value,
                    "email": op.action.email,
                    "state": op.state.value,
                    "error": op.error,
                    "zoom_code": op.zoom_code,
                }
            )
        elif op.state in (DROPPED, ABANDONED):
            entry["dropped"] += 1
        else:
            entry["pending"] += 1
    return ApplyResult(
        fingerprint=fingerprint,
        counts=counts,
        failures=failures,
        elapsed=time.monotonic() - started,
        resumed=resumed,
        reread=reread,
        stopped=stop.reason if stop else None,
        retry_at=stop.retry_at if stop else None,
    )
