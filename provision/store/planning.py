"""The imperative shell around the pure diff: load the inputs, compute, check safety, record.

`make_plan` is what `provision plan` (and `apply` without a plan file, and `reconcile --fix`)
calls. `check_fresh` is what `apply` calls before acting on a saved plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from models.gc_pause import gc_paused
from models.plain_locks import ROSTERS, HeldLock, url_lock
from models.reader import Reader, as_reader
from provision.core.accounts_plan import compute_accounts_plan
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.core.safety import check_safety
from provision.core.state import Desired, Observed
from provision.errors import InputError
from provision.store.loaders import load_desired, load_observed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def load_inputs(source: Reader | Session, product: int | None = None) -> tuple[Desired, Observed]:
    """The rosters and the last snapshot (users' types read for the managed `product`, see
    loaders.load_observed); no snapshot at all is the operator's to fix."""
    observed = load_observed(source, logins=False, product=product)
    if observed.account is None and not observed.users:
        raise InputError("no Zoom snapshot: run `provision sync` first")
    return load_desired(source), observed


@contextmanager
def rosters_shared(source: Reader | Session) -> Iterator[HeldLock]:
    """The rosters lock, shared (an import holds it alone): a plan never reads half a roster.

    Through the Reader's own URL (models.plain_locks), or the session's engine (models.locks):
    the same lock either way. A Reader borrowed from a session (as_reader) has no URL: give the
    session itself.
    """
    if isinstance(source, Reader):
        if source.url is None:
            raise ValueError("the rosters lock needs the Reader's URL (models.reader.connect)")
        with url_lock(source.url, ROSTERS, shared=True) as held:
            yield held
        return
    from models.locks import operation_lock  # a session: SQLAlchemy is loaded already

    with operation_lock(source.get_bind(), ROSTERS, shared=True) as held:
        yield held


def make_plan(
    source: Reader | Session,
    policy: Policy,
    *,
    school: str | None = None,
    now: datetime | None = None,
    force: bool = False,
    actor: str = "unknown",
    record: bool = True,
    check: bool = True,
    retry_blocked: bool = False,
) -> Plan:
    """Compute the plan from the database, refuse it if unsafe, and keep it as a PlanRecord.

    `source`: a SQLAlchemy session, or a Reader of its own connection (models.reader.connect):
    `provision plan` reads and records through the database driver alone.

    `retry_blocked` proposes again what Zoom refused for good lately (provision.core.blocked).

    Seats are always allocated over the whole account; `school` only narrows what is shown and
    applied. The record is keyed by fingerprint: planning the same inputs twice updates it.
    check=False leaves the safety check to the caller (`provision plan` shows an unsafe plan
    before refusing it).
    """
    # The rosters lock (shared) keeps an import from replacing a roster while it is read.
    with gc_paused(), rosters_shared(source):
        desired, observed = load_inputs(source, policy.zoom_one_type)
    if retry_blocked:
        observed.blocked = {}
        observed.invitations = {}  # invitations that expired twice are sent again too
    with gc_paused():
        plan = compute_accounts_plan(desired, observed, policy, now=now or datetime.now(UTC), school=school)
        del desired, observed  # the plan no longer needs them: lower the peak before saving
        plan.summary.policy = policy
        plan.summary.forced = force
        if check:
            check_safety(plan, policy, force=force)
        if record:
            save_plan(source, plan, actor=actor)
    return plan


def encode_plan(data: Mapping[str, Any]) -> bytes:
    """A plan's to_data() as the JSON its PlanRecord holds and plan.json carries (with a newline).

    The same options as the database's JSON columns (models.db): compact UTF-8, int keys allowed.
    """
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def save_plan(
    source: Reader | Session,
    plan: Plan,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    encoded: bytes | None = None,
) -> None:
    """Keep the plan as a PlanRecord (in the caller's transaction: it commits).

    `encoded` (encode_plan) or `data` (its to_data()): what the caller already has. The JSON is
    stored as it is: a whole plan is tens of MB, and the column's own serializer would encode it
    again (and, for a plan planned before, decode the old one first). Plain SQL (models.reader),
    so a plan records without SQLAlchemy; the times go in as the UTCDateTime columns hold them.
    """
    if encoded is None:
        encoded = encode_plan(data if data is not None else plan.to_data())
    db = as_reader(source)
    values: dict[str, Any] = {
        "fingerprint": plan.fingerprint,
        "created_at": db.stamp(plan.created_at),
        "actor": actor,
        "data": encoded.decode(),
    }
    data_sql = db.json_text(":data")
    existing = db.rows("SELECT id FROM plan_record WHERE fingerprint = :fingerprint", values)
    if not existing:
        values["snapshot_at"] = db.stamp(plan.snapshot_at) if plan.snapshot_at is not None else None
        db.execute(
            "INSERT INTO plan_record (fingerprint, created_at, snapshot_at, actor, data) "
            f"VALUES (:fingerprint, :created_at, :snapshot_at, :actor, {data_sql})",
            values,
        )
    else:
        # Same inputs, same actions: the journal of a half-done apply stays valid.
        values["id"] = existing[0][0]
        db.execute(
            f"UPDATE plan_record SET data = {data_sql}, actor = :actor, created_at = :created_at "
            "WHERE id = :id",
            values,
        )


def replan(
    source: Reader | Session, plan: Plan, policy: Policy | None = None, *, now: datetime | None = None
) -> Plan:
    """The plan the current rosters, snapshot and `policy` give, for the scope `plan` was made for.

    Not recorded: it is what `check_fresh` compares with, and what a resumed plan's unfinished
    actions are checked against (an action it no longer has has lost its reason).
    """
    if policy is None:
        policy = plan.summary.policy or Policy()
    with gc_paused(), rosters_shared(source):
        desired, observed = load_inputs(source, policy.zoom_one_type)
    with gc_paused():
        return compute_accounts_plan(
            desired, observed, policy, now=now or datetime.now(UTC), school=plan.summary.scope
        )


def check_fresh(
    source: Reader | Session, plan: Plan, policy: Policy | None = None, *, now: datetime | None = None
) -> None:
    """Refuse a plan whose inputs changed since it was made (rosters, snapshot, policy, or time).

    `policy` should be the policy in force now; without it the plan's own policy is used, which
    still catches roster and snapshot changes but not an edited policy file.
    """
    current = replan(source, plan, policy, now=now)
    if current.fingerprint != plan.fingerprint:
        made = plan.created_at.isoformat(timespec="seconds")
        snap = current.snapshot_at.isoformat(timespec="seconds") if current.snapshot_at else "none"
        raise InputError(
            f"plan is stale: the rosters, the Zoom snapshot (now {snap}) or the policy changed since it "
            f"was made at {made}; run provision plan again"
        )
