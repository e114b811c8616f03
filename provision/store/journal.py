"""The apply journal: one Operation row per action, written before Zoom is touched.

States: pending -> sent -> succeeded | failed. A row is marked `sent` (and committed) before the
request leaves, so after a crash every action whose outcome is unknown is exactly the `sent`
rows, and those are re-read from Zoom before anything is resent. The outcome, its audit event
and the snapshot update are one transaction: there is never a result without its audit event.

All database work runs on one thread, and everything queued while a commit runs goes into the
next one (group commit): the event loop never waits on the disk, and a fast run costs tens of
transactions a second, not thousands.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update
from sqlmodel import Session

from models import (
    AuditEvent,
    ManagedUser,
    Operation,
    PlanRecord,
    ZoomUserSnapshot,
    bulk_insert,
    bulk_update,
)
from provision.core.actions import SPECS, Group, NewUser, SnapshotEffect
from provision.core.plan import Action, ActionKind, Plan, sort_actions

# Seconds a write waits for others to share its commit. Bulk calls are marked `sent` while they
# wait for a request slot (provision.run.apply), so the wait costs them no throughput.
GROUP_COMMIT_WINDOW = 0.05
JOURNAL_CHUNK = 2_000  # operations inserted per statement batch
# Operations journaled ahead of need per idle commit: small, so a `sent` mark that arrives
# meanwhile waits for a short insert, not a long one.
AHEAD_CHUNK = 500
AHEAD_WITH_WORK = 200  # and with each other write (tens a second): ahead of any apply's pace


class OpState(StrEnum):
    """Where one operation stands: pending -> sent -> succeeded | failed (stored as the value)."""

    PENDING = "pending"  # not sent yet (or sent and known not to have taken: sent again)
    SENT = "sent"  # on its way, outcome unknown: re-read from Zoom before anything is resent
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused for a reason that may pass (gave up on 5xx): a rerun tries again
    BLOCKED = "blocked"  # refused for good (a cap, a field Zoom rejects, no seat left): never resent
    DROPPED = "dropped"  # its reason was gone when the plan was resumed: never sent
    ABANDONED = "abandoned"  # the operator ended the plan (`apply --abandon`) before it was sent


PENDING, SENT, SUCCEEDED, FAILED = OpState.PENDING, OpState.SENT, OpState.SUCCEEDED, OpState.FAILED
BLOCKED, DROPPED, ABANDONED = OpState.BLOCKED, OpState.DROPPED, OpState.ABANDONED
UNFINISHED = (PENDING, SENT)

_op = Operation.__table__  # type: ignore[attr-defined]
_snap = ZoomUserSnapshot.__table__  # type: ignore[attr-defined]
_managed = ManagedUser.__table__  # type: ignore[attr-defined]
_audit = AuditEvent.__table__  # type: ignore[attr-defined]


@dataclass
class OpRecord:
    id: int | None  # None until journaled (see prepare)
    seq: int
    action: Action
    state: OpState
    attempts: int
    error: str | None = None
    zoom_code: int | None = None
    # The action's kind and account, read once: apply groups 40,000 operations by them several
    # times before its first request, and each look through `action` reached an object scattered
    # in memory (15-20 ms a pass). A later `action` of the same operation has the same two.
    kind: ActionKind = field(init=False, repr=False, compare=False)
    account: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.kind = self.action.kind
        self.account = self.action.account


@dataclass
class Outcome:
    """The known result of one operation (what the journal, the audit log and the snapshot record)."""

    op: OpRecord
    state: OpState  # SUCCEEDED | FAILED | BLOCKED | DROPPED | ABANDONED
    zoom_code: int | None = None
    tracking_id: str | None = None
    error: str | None = None
    zoom_id: str | None = None  # learnt from a create
    observed: dict[str, Any] = field(default_factory=dict)  # extra facts for the audit "after"


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- reading and preparing


def prepare(engine: Engine, plan: Plan) -> tuple[list[OpRecord], bool]:
    """The plan's operations and whether the journal already had them (a resume).

    Operations not journaled yet come back with id None: the Journal writer inserts them, in
    chunks and always before the first write that names them, so sending starts at once
    instead of after 100,000 inserts. A plan whose journaling was cut short (a crash) gets its
    missing operations added here.
    """
    actions = sort_actions(list(plan.actions))
    with engine.connect() as conn:
        if conn.execute(select(_op.c.id).where(_op.c.plan_fingerprint == plan.fingerprint).limit(1)).first():
            known = {op.seq: op for op in _load(conn, plan.fingerprint)}
            ops = [
                known.get(seq) or OpRecord(id=None, seq=seq, action=action, state=PENDING, attempts=0)
                for seq, action in enumerate(actions)
            ]
            ops.extend(op for seq, op in sorted(known.items()) if seq >= len(actions))
            return ops, True
    return [
        OpRecord(id=None, seq=seq, action=action, state=PENDING, attempts=0)
        for seq, action in enumerate(actions)
    ], False


def _insert(conn: Connection, fingerprint: str, ops: Sequence[OpRecord]) -> None:
    payloads: dict[int, dict[str, Any]] = {}  # each shared payload turned into JSON data once
    rows = [  # created_at/updated_at: the model's defaults, one timestamp for the batch
        {
            "seq": op.seq,
            "kind": op.action.kind.value,
            "email": op.action.email,
            "zoom_id": op.action.zoom_id,
            "institution_code": op.action.institution_code,
            "account": op.action.account,
            "payload": op.action.to_data(payloads),
        }
        for op in ops
    ]
    # The same for every row: bound once for the batch.
    alike = {"plan_fingerprint": fingerprint, "state": PENDING.value, "attempts": 0}
    bulk_insert(Session(bind=conn), Operation, rows, values=alike)
    low, high = ops[0].seq, ops[-1].seq
    ids: dict[int, int] = {}
    if high - low < 2 * len(ops):
        ids.update(
            conn.execute(
                select(_op.c.seq, _op.c.id).where(
                    _op.c.plan_fingerprint == fingerprint, _op.c.seq >= low, _op.c.seq <= high
                )
            ).all()
        )
    else:  # scattered (inserted as named, see Journal._journal_named): not a whole range's ids
        for chunk in _chunks([op.seq for op in ops]):
            ids.update(
                conn.execute(
                    select(_op.c.seq, _op.c.id).where(
                        _op.c.plan_fingerprint == fingerprint, _op.c.seq.in_(chunk)
                    )
                ).all()
            )
    for op in ops:
        op.id = ids[op.seq]


def _load(
    conn: Connection, fingerprint: str, seqs: Sequence[int] | None = None, account: str | None = None
) -> list[OpRecord]:
    where = [_op.c.plan_fingerprint == fingerprint]
    if account is not None:
        where.append(_op.c.account == account)
    if seqs is not None:
        if not seqs:
            return []
        where += [_op.c.seq >= min(seqs), _op.c.seq <= max(seqs)]
    wanted = None if seqs is None else set(seqs)
    result = conn.execute(
        select(
            _op.c.id,
            _op.c.seq,
            _op.c.payload,
            _op.c.state,
            _op.c.attempts,
            _op.c.zoom_id,
            _op.c.error,
            _op.c.zoom_code,
        )
        .where(*where)
        .order_by(_op.c.seq)
    )
    records = []
    for op_id, seq, payload, state, attempts, zoom_id, error, code in result:
        if wanted is not None and seq not in wanted:
            continue
        action = Action.from_data(payload)
        if zoom_id and not action.zoom_id:  # learnt by a create that succeeded
            action = Action.from_data({**payload, "zoom_id": zoom_id})
        records.append(
            OpRecord(
                id=op_id,
                seq=seq,
                action=action,
                state=OpState(state),
                attempts=attempts,
                error=error,
                zoom_code=code,
            )
        )
    return records


def journaled(engine: Engine, fingerprint: str, account: str | None = None) -> list[OpRecord]:
    """The plan's operations (of `account`, or all) as the journal holds them (a worker's view of
    a plan apply wrote)."""
    with engine.connect() as conn:
        return _load(conn, fingerprint, account=account)


def journal_all(engine: Engine, fingerprint: str, ops: Sequence[OpRecord]) -> None:
    """Write every operation not journaled yet, in one transaction: before other workers may
    take accounts of the plan, all of it must be in the journal (they read it from there)."""
    missing = [op for op in ops if op.id is None]
    if not missing:
        return
    with engine.begin() as conn:
        for start in range(0, len(missing), JOURNAL_CHUNK):
            _insert(conn, fingerprint, missing[start : start + JOURNAL_CHUNK])


def refresh(engine: Engine, fingerprint: str, ops: Sequence[OpRecord], account: str | None = None) -> None:
    """Bring `ops` (of `account`, or all) up to date from the journal, where another worker may
    have moved them on."""
    by_seq = {op.seq: op for op in ops}
    with engine.connect() as conn:
        for record in _load(conn, fingerprint, list(by_seq), account):
            op = by_seq[record.seq]
            op.id, op.state, op.attempts = record.id, record.state, record.attempts
            op.error, op.zoom_code, op.action = record.error, record.zoom_code, record.action


def accounts_left(engine: Engine, fingerprint: str, states: Sequence[OpState] = UNFINISHED) -> set[str]:
    """The accounts of the plan with operations not settled yet (pending or sent, or `states`)."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(_op.c.account)
                .where(_op.c.plan_fingerprint == fingerprint, _op.c.state.in_(states))
                .distinct()
            ).scalars()
        )


def has_operations(engine: Engine, fingerprint: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(select(_op.c.id).where(_op.c.plan_fingerprint == fingerprint).limit(1)).first()
            is not None
        )


@dataclass(frozen=True)
class Applied:
    """A plan whose every operation succeeded: applying it again has nothing to do."""

    fingerprint: str
    operations: int
    finished_at: datetime | None


def applied(engine: Engine, fingerprint: str) -> Applied | None:
    """The plan's journal when all of it succeeded; None if it never ran or something is left."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_op.c.state, func.count(), func.max(_op.c.updated_at))
            .where(_op.c.plan_fingerprint == fingerprint)
            .group_by(_op.c.state)
        ).all()
    states = {state: (count, last) for state, count, last in rows}
    if not states or set(states) != {SUCCEEDED}:
        return None
    count, last = states[SUCCEEDED]
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return Applied(fingerprint, int(count), last)


@dataclass(frozen=True)
class Unfinished:
    fingerprint: str
    pending: int
    sent: int
    since: datetime | None


def unfinished(engine: Engine) -> list[Unfinished]:
    """Plans with operations neither succeeded nor failed (a crash, a kill, a daily limit)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_op.c.plan_fingerprint, _op.c.state, func.count(), func.min(_op.c.created_at))
            .where(_op.c.state.in_(UNFINISHED))
            .group_by(_op.c.plan_fingerprint, _op.c.state)
        ).all()
    plans: dict[str, dict[str, Any]] = {}
    for fingerprint, state, count, since in rows:
        entry = plans.setdefault(fingerprint, {"pending": 0, "sent": 0, "since": since})
        entry[state] = count
        if since is not None and (entry["since"] is None or since < entry["since"]):
            entry["since"] = since
    return [Unfinished(fp, e["pending"], e["sent"], e["since"]) for fp, e in plans.items()]


def end_unsent(
    engine: Engine,
    fingerprint: str,
    ops: Sequence[OpRecord],
    seqs: Iterable[int] | None,
    state: OpState,
    reason: str,
    actor: str,
) -> int:
    """End operations without sending them (DROPPED at a resume, ABANDONED by the operator).

    `ops` are the plan's operations as `prepare` gives them. Only those not settled yet are
    ended (pending or failed; sent too when abandoning, since the operator gives up knowing),
    each with its audit event, in one transaction. Operations the journal had not written yet
    (a run cut short while journaling) are written first, so nothing of the plan can come back
    to life. Returns how many were ended.
    """
    wanted = None if seqs is None else set(seqs)
    open_states = (PENDING, FAILED, SENT) if state is ABANDONED else (PENDING, FAILED)
    ending = [op for op in ops if (wanted is None or op.seq in wanted) and op.state in open_states]
    if not ending:
        return 0
    with engine.begin() as conn:
        missing = [op for op in ops if op.id is None]
        for start in range(0, len(missing), JOURNAL_CHUNK):
            _insert(conn, fingerprint, missing[start : start + JOURNAL_CHUNK])
        if missing:  # their ids, now that they are written
            seqs_ending = {op.seq for op in ending}
            ending = [op for op in _load(conn, fingerprint) if op.seq in seqs_ending]
        _record(conn, [Outcome(op=op, state=state, error=reason) for op in ending], actor)
    return len(ending)


def counts(engine: Engine, fingerprint: str) -> dict[str, int]:
    """How many operations of the plan are in each state (pending, sent, succeeded, failed)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_op.c.state, func.count())
            .where(_op.c.plan_fingerprint == fingerprint)
            .group_by(_op.c.state)
        ).all()
    return {str(state): int(n) for state, n in rows}


def load_plan(engine: Engine, fingerprint: str) -> Plan:
    """The plan to resume without its file: the PlanRecord `make_plan` kept, else its operations.

    The record is preferred because a run killed while still journaling holds only part of
    its operations; `prepare` journals the rest.
    """
    with engine.connect() as conn:
        data = conn.execute(
            select(PlanRecord.data).where(PlanRecord.fingerprint == fingerprint)  # type: ignore[call-overload]
        ).scalar_one_or_none()
        if data:
            plan = Plan.from_data(data)
            if plan.fingerprint == fingerprint:
                return plan
        records = _load(conn, fingerprint)
    return Plan(actions=[r.action for r in records], fingerprint=fingerprint)


# ---------------------------------------------------------------- writing


_IN_CHUNK = 500  # bound parameters per IN (...): far below SQLite's limit


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield list(items[start : start + _IN_CHUNK])


def _mark_sent(conn: Connection, ids: Sequence[int]) -> None:
    now = _now()
    for chunk in _chunks(ids):
        conn.execute(
            update(_op)
            .where(_op.c.id.in_(chunk))
            .values(state=SENT, attempts=_op.c.attempts + 1, updated_at=now)
        )


# Claiming on PostgreSQL, where several workers share the journal: an operation is marked `sent`
# only if it is still as this worker last wrote it (state and attempts: a compare-and-set) and no
# other transaction holds its row (FOR UPDATE SKIP LOCKED). What is refused was taken or settled
# by another worker meanwhile and is not sent. The account's advisory lock keeps two workers off
# one account; this keeps a worker that lost its lock (its connection cut) from sending twice.
_CLAIM = """
WITH wanted AS (
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:states AS text[]), CAST(:attempts AS int[]))
        AS w(id, state, attempts)
), free AS (
    SELECT o.id FROM {table} o JOIN wanted w ON o.id = w.id AND o.state = w.state AND o.attempts = w.attempts
    ORDER BY o.id FOR UPDATE OF o SKIP LOCKED
)
UPDATE {table} SET state = :sent, attempts = {table}.attempts + 1, updated_at = :now
FROM free WHERE {table}.id = free.id RETURNING {table}.id
"""


def _claim_sent(conn: Connection, ops: Sequence[OpRecord]) -> set[int]:
    """Mark `ops` sent where they are still as we left them; the ids claimed (PostgreSQL)."""
    now = _now()
    claimed: set[int] = set()
    statement = text(_CLAIM.format(table=conn.dialect.identifier_preparer.quote(_op.name)))
    for chunk in _chunks([op for op in ops if op.id is not None]):
        rows = conn.execute(
            statement,
            {
                "ids": [op.id for op in chunk],
                "states": [op.state.value for op in chunk],
                "attempts": [op.attempts for op in chunk],
                "sent": SENT.value,
                "now": now,
            },
        )
        claimed.update(rows.scalars())
    return claimed


def _mark_pending(conn: Connection, ids: Sequence[int]) -> None:
    now = _now()
    for chunk in _chunks(ids):
        conn.execute(update(_op).where(_op.c.id.in_(chunk)).values(state=PENDING, updated_at=now))


def _record(conn: Connection, outcomes: Sequence[Outcome], actor: str) -> None:
    now = _now()
    session = Session(bind=conn)
    # Most outcomes carry nothing but their state (a success): one UPDATE ... IN per state.
    plain: dict[OpState, list[int]] = {}
    # A zoom_id learnt by a create is kept; an outcome that learnt none leaves the column alone.
    rows: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for o in outcomes:
        if o.zoom_id is None and o.zoom_code is None and o.tracking_id is None and o.error is None:
            if o.op.id is not None:
                plain.setdefault(o.state, []).append(o.op.id)
            continue
        row = {"id": o.op.id, "state": o.state.value, "zoom_code": o.zoom_code}
        row["tracking_id"], row["error"] = o.tracking_id, o.error
        if o.zoom_id is not None:
            row["zoom_id"] = o.zoom_id
        rows[o.zoom_id is not None].append(row)
    for state, ids in plain.items():
        for chunk in _chunks(ids):
            conn.execute(
                update(_op)
                .where(_op.c.id.in_(chunk))
                .values(state=state.value, zoom_code=None, tracking_id=None, error=None, updated_at=now)
            )
    for learnt in (False, True):
        if rows[learnt]:
            bulk_update(session, Operation, rows[learnt], "id", values={"updated_at": now})
    bulk_insert(
        session, AuditEvent, [_audit_row(o, actor) for o in outcomes], values={"at": now, "actor": actor}
    )
    _update_snapshot(conn, [o for o in outcomes if o.state == SUCCEEDED], now)


def _audit_row(outcome: Outcome, actor: str) -> dict[str, Any]:
    """The columns of one outcome's audit event (as provision.store.audit.event_row gives them;
    `at` and `actor` are bound once for the batch by the caller)."""
    action = outcome.op.action
    base = action.after if outcome.state == SUCCEEDED else action.before
    # Read only, and turned into JSON within this transaction: a plain dict needs no copy.
    after = {**base, **outcome.observed} if outcome.observed or type(base) is not dict else base
    before = action.before
    return {
        "action": action.kind.value,
        "institution_code": action.institution_code,
        "person_email": action.email,
        "before": before if type(before) is dict else dict(before),
        "after": after,
        "result": outcome.state.value,
        "zoom_code": outcome.zoom_code,
        "tracking_id": outcome.tracking_id,
        "operation_id": outcome.op.id,
        "detail": outcome.error or action.reason,
    }


def _update_snapshot(conn: Connection, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Apply what succeeded actions change (each kind's SnapshotEffect), so a fresh plan is empty."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    created: list[Outcome] = []
    managed: dict[str, tuple[str | None, bool]] = {}
    for outcome in outcomes:
        action = outcome.op.action
        entry = SPECS[action.kind]
        effect = entry.effect
        if effect is SnapshotEffect.NEW_USER:
            created.append(outcome)
            managed[action.email] = (outcome.zoom_id or action.zoom_id, True)
        elif effect is SnapshotEffect.MANAGE:
            managed.setdefault(action.email, (action.zoom_id, False))
        elif effect is SnapshotEffect.JOIN_GROUP:
            assert isinstance(action.payload, Group)
            _snapshot_group(conn, action.email, action.payload.group_id, now)
        else:
            change = entry.snapshot(action.payload)
            if change:
                key = tuple(sorted(change))
                by_columns.setdefault(key, []).append({"email": action.email, **change})
    for rows in by_columns.values():
        bulk_update(Session(bind=conn), ZoomUserSnapshot, rows, "email", values={"observed_at": now})
    if created:
        _snapshot_created(conn, created, now)
    if managed:
        _managed_upsert(conn, managed, now)


def _snapshot_created(conn: Connection, outcomes: Sequence[Outcome], now: datetime) -> None:
    rows = []
    for outcome in outcomes:
        action = outcome.op.action
        new = action.payload
        assert isinstance(new, NewUser)
        rows.append(
            {
                "email": action.email,
                "account": action.account,
                "zoom_id": outcome.zoom_id or action.zoom_id,
                "type": new.type,
                "zoom_one_type": new.zoom_one_type,
                # Only action=create sends an invitation; the other actions make an active user.
                "status": "pending" if new.action == "create" else "active",
                "first_name": new.first_name,
                "last_name": new.last_name,
                "role_id": "2",  # POST /users makes a member; a later sync reads any other role
                "observed_at": now,
            }
        )
    emails = [row["email"] for row in rows]
    known: set[str] = set()
    for chunk in _chunks(emails):
        known.update(conn.execute(select(_snap.c.email).where(_snap.c.email.in_(chunk))).scalars())
    fresh: list[dict[str, Any]] = [
        {**row, "group_ids": [], "large_meeting": False} for row in rows if row["email"] not in known
    ]
    if fresh:
        conn.execute(insert(_snap), fresh)
    again = [{**{f"b_{k}": v for k, v in row.items()}} for row in rows if row["email"] in known]
    if again:
        columns = [k for k in rows[0] if k != "email"]
        conn.execute(
            update(_snap)
            .where(_snap.c.email == bindparam("b_email"))
            .values(**{c: bindparam(f"b_{c}") for c in columns}),
            again,
        )


def _snapshot_group(conn: Connection, email: str, group_id: str, now: datetime) -> None:
    current = conn.execute(select(_snap.c.group_ids).where(_snap.c.email == email)).scalar_one_or_none()
    if current is None and not conn.execute(select(_snap.c.id).where(_snap.c.email == email)).first():
        return
    groups = list(current or [])
    if group_id not in groups:
        groups.append(group_id)
    conn.execute(update(_snap).where(_snap.c.email == email).values(group_ids=groups, observed_at=now))


def _managed_upsert(conn: Connection, users: dict[str, tuple[str | None, bool]], now: datetime) -> None:
    """email -> (zoom_id, created_by_us): new rows inserted, a learnt zoom_id filled in."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(list(users)):
        found.update(
            (email, zoom_id)
            for email, zoom_id in conn.execute(
                select(_managed.c.email, _managed.c.zoom_id).where(_managed.c.email.in_(chunk))
            )
        )
    fresh = [
        {"email": email, "zoom_id": zoom_id, "adopted_at": now, "created_by_us": ours}
        for email, (zoom_id, ours) in users.items()
        if email not in found
    ]
    if fresh:
        conn.execute(insert(_managed), fresh)
    learnt = [
        {"b_email": email, "b_zoom_id": zoom_id}
        for email, (zoom_id, _) in users.items()
        if email in found and zoom_id and found[email] != zoom_id
    ]
    if learnt:
        conn.execute(
            update(_managed)
            .where(_managed.c.email == bindparam("b_email"))
            .values(zoom_id=bindparam("b_zoom_id")),
            learnt,
        )


# ---------------------------------------------------------------- the writer


class Journal:
    """Serializes every journal write on one thread, committing whatever is queued together."""

    def __init__(
        self, engine: Engine, actor: str, fingerprint: str = "", ops: Sequence[OpRecord] = ()
    ) -> None:
        self.engine = engine
        self.actor = actor
        self.fingerprint = fingerprint
        # Not journaled yet, in seq order: inserted in chunks, always before a write names them.
        self._unjournaled = sorted((op for op in ops if op.id is None), key=lambda op: op.seq)
        self._next = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._queue: asyncio.Queue[tuple[tuple[str, list[Any]], asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        self._written = False  # a write came (ahead journaling waits for the first)
        self.window = GROUP_COMMIT_WINDOW
        self._sqlite = engine.dialect.name == "sqlite"
        # Several processes may work one plan only on PostgreSQL: there `sent` is a claim.
        self._claims = engine.dialect.name == "postgresql"
        self._refused: set[int | None] = set()  # written by the journal thread, read after its commit
        # Requests in flight (see in_flight): the group-commit window waits for their answers only.
        self._flying = 0
        self._landed = asyncio.Event()
        self._landed.set()

    async def __aenter__(self) -> Journal:
        self._task = asyncio.create_task(self._writer())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        try:
            # Whatever was not reached (a stop, a failure) is journaled pending for the rerun.
            if self._next < len(self._unjournaled):
                await asyncio.get_running_loop().run_in_executor(self._pool, self._commit, [])
        finally:
            self._pool.shutdown(wait=True)

    @property
    def fully_journaled(self) -> bool:
        return self._next >= len(self._unjournaled)

    def _journal_ahead(self, conn: Connection, count: int | None) -> None:
        """Insert the next `count` operations not journaled yet, in seq order (None: all left)."""
        while self._next < len(self._unjournaled):
            chunk: list[OpRecord] = []
            limit = JOURNAL_CHUNK if count is None else min(count, JOURNAL_CHUNK)
            while self._next < len(self._unjournaled) and len(chunk) < limit:
                op = self._unjournaled[self._next]
                self._next += 1
                if op.id is None:  # not written already as named by an earlier write
                    chunk.append(op)
            if chunk:
                _insert(conn, self.fingerprint, chunk)
            if count is not None:
                return

    def _journal_named(self, conn: Connection, ops: Iterable[OpRecord]) -> None:
        """Insert the operations a write names that are not journaled yet, and only those.

        Not everything before them in seq order: a phase that runs beside another (adopt beside
        the license calls) would otherwise hold up a `sent` mark behind thousands of inserts. The
        journal may have holes after a crash; `prepare` fills them in before a rerun.
        """
        missing = sorted({op.seq: op for op in ops if op.id is None}.values(), key=lambda op: op.seq)
        for start in range(0, len(missing), JOURNAL_CHUNK):
            _insert(conn, self.fingerprint, missing[start : start + JOURNAL_CHUNK])

    async def _submit(self, work: tuple[str, list[Any]]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((work, future))
        await future

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._queue.empty() and not self.fully_journaled and self._written:
                # Idle: journal the next chunk ahead of need. Not before the first write: until
                # then the run prepares its first requests, and ahead inserts only took the CPU
                # from it and held up its first `sent` marks (what a run killed before writing
                # anything left unjournaled, nothing sent, prepare adds on the rerun).
                await loop.run_in_executor(self._pool, self._commit, [("ahead", [])])
                continue
            items = [await self._queue.get()]
            self._written = True
            if self.window and self._flying:
                # A short wait gathers more operations into one commit: fewer statements and
                # fewer pages written per operation; requests take 100 ms anyway. It ends when
                # no request is in flight any more: no answer is coming then (the first `sent`
                # marks of a run, its last outcome), and waiting would only delay the run.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._landed.wait(), self.window)
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            works = [work for work, _ in items]
            try:
                await loop.run_in_executor(self._pool, self._commit, works)
            except Exception as exc:
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in items:
                if not future.done():
                    future.set_result(None)

    def _commit(self, works: Iterable[Any]) -> None:
        with self.engine.begin() as conn:
            if self._sqlite:
                # WAL + NORMAL: a commit survives a crash or kill -9 of this process (what resume
                # needs) without an fsync each time; only a power cut may lose the last commits,
                # and a lost `sent` mark only means a re-read or an idempotent resend.
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            works = list(works)
            # Everything queued meanwhile in one statement per kind, not one per operation.
            pending: list[OpRecord] = []
            sent: list[OpRecord] = []
            outcomes: list[Outcome] = []
            lists: dict[str, list[Any]] = {"pending": pending, "sent": sent, "record": outcomes}
            for kind, items in works:
                if kind == "ahead":
                    self._journal_ahead(conn, AHEAD_CHUNK)
                else:
                    lists[kind].extend(items)
            if not works:
                self._journal_ahead(conn, None)
            self._journal_named(conn, [*pending, *sent, *(o.op for o in outcomes)])
            if works and works[0][0] != "ahead":
                # A busy journal is never idle: a few more ride along with each write, so the
                # whole plan is journaled early in any case (and, killed, is resumed as a whole).
                self._journal_ahead(conn, AHEAD_WITH_WORK)
            if pending:
                _mark_pending(conn, [op.id for op in pending if op.id is not None])
            if sent and self._claims:
                claimed = _claim_sent(conn, sent)
                self._refused.update(op.id for op in sent if op.id not in claimed)
            elif sent:
                _mark_sent(conn, [op.id for op in sent if op.id is not None])
            if outcomes:
                _record(conn, outcomes, self.actor)
        self.commits += 1

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Around a request to Zoom: while any is in flight, writes wait the group-commit window
        for the answers to come; with none, they are committed at once."""
        self._flying += 1
        self._landed.clear()
        try:
            yield
        finally:
            self._flying -= 1
            if not self._flying:
                self._landed.set()

    async def sent(self, ops: Sequence[OpRecord]) -> list[OpRecord]:
        """Mark `ops` sent before they are sent; those claimed (send only these). On PostgreSQL an
        operation another worker took or settled meanwhile is not claimed (see _CLAIM)."""
        await self._submit(("sent", list(ops)))
        claimed = []
        for op in ops:
            if op.id in self._refused:
                self._refused.discard(op.id)
                continue
            op.state = SENT
            op.attempts += 1
            claimed.append(op)
        return claimed

    async def back_to_pending(self, ops: Sequence[OpRecord]) -> None:
        if ops:
            await self._submit(("pending", list(ops)))
        for op in ops:
            op.state = PENDING

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        items = list(outcomes)
        await self._submit(("record", items))
        for outcome in items:
            outcome.op.state = outcome.state
            outcome.op.error = outcome.error
            outcome.op.zoom_code = outcome.zoom_code
