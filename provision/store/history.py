"""Our own license history, read from the audit log: who we last left Licensed, and who is contested.

One pass over the succeeded type-setting audit events (email and `after` only, as cheap as the
plan's load of `licensed_by_us` always was) gives each user's last value and how many changes in
a row set it. Only users whose run is long enough and whom Zoom now shows with another value are
read again in full (times, `before`, the plan's snapshot) for provision.core.contested.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import AuditEvent, Operation, PlanRecord
from provision.core.actions import TYPE_SETTING
from provision.core.contested import CONTESTED_AFTER, Contest, LicenseChange, find_contest
from provision.core.state import LICENSED_TYPE, ZoomUser

SUCCEEDED = "succeeded"
FIELD = "type"  # the license field our kinds set


# A user's last value set by us, and how many of our changes in a row set it.
Run = tuple[int, int]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _events(emails: list[str] | None) -> Any:
    columns: list[Any] = [col(AuditEvent.person_email), col(AuditEvent.after)]
    if emails is not None:
        columns += (
            col(AuditEvent.at),
            col(AuditEvent.actor),
            col(AuditEvent.action),
            col(AuditEvent.institution_code),
            col(AuditEvent.before),
            col(AuditEvent.operation_id),
        )
    stmt = select(*columns).where(
        col(AuditEvent.result) == SUCCEEDED, col(AuditEvent.action).in_(TYPE_SETTING)
    )
    if emails is not None:
        stmt = stmt.where(col(AuditEvent.person_email).in_(emails))
    return stmt.order_by(col(AuditEvent.at), col(AuditEvent.id))


def _value(after: Any) -> int | None:
    if not isinstance(after, Mapping) or after.get(FIELD) is None:
        return None
    return int(after[FIELD])


def license_runs(session: Session) -> dict[str, Run]:
    """Per email, the value our last succeeded type change set and how many in a row set it."""
    runs: dict[str, Run] = {}
    # Plain tuples and no call per row: this loop sees a row per license change of every year.
    for email, after in session.connection().execute(_events(None)):
        if not email or not isinstance(after, Mapping):
            continue
        raw = after.get(FIELD)
        if raw is None:
            continue
        value = int(raw)
        run = runs.get(email)
        # Our own change to another value ends any earlier chain.
        runs[email] = (value, run[1] + 1) if run is not None and run[0] == value else (value, 1)
    return runs


def licensed_by_us(runs: Mapping[str, Run]) -> frozenset[str]:
    """Who our last succeeded license-changing action left Licensed."""
    return frozenset(email for email, run in runs.items() if run[0] == LICENSED_TYPE)


def load_contests(
    session: Session, runs: Mapping[str, Run], users: Mapping[str, ZoomUser], seen_at: datetime | None
) -> dict[str, Contest]:
    """The users another writer set back after our last changes (provision.core.contested).

    `users` and `seen_at` are the snapshot and when it was taken. When each earlier set-back was
    seen is the snapshot time of the plan that made our next change (its PlanRecord).
    """
    emails = sorted(
        email
        for email, run in runs.items()
        if run[1] >= CONTESTED_AFTER
        and (user := users.get(email)) is not None
        # A deactivated user's type means nothing; an invitation's is Zoom's, not another writer's.
        and user.status == "active"
        and user.type != run[0]
    )
    if not emails:
        return {}
    chains: dict[str, list[LicenseChange]] = {}
    for email, after, at, actor, action, code, before, ref in session.connection().execute(_events(emails)):
        value = _value(after)
        if value is None:
            continue
        seen = before.get(FIELD) if isinstance(before, Mapping) else None
        change = LicenseChange(_aware(at) or at, value, seen, action, actor or "?", code, ref)
        chain = chains.setdefault(email, [])
        if chain and chain[-1].value != value:
            chain.clear()
        chain.append(change)
    refs = [c.ref for chain in chains.values() for c in chain if c.ref is not None]
    seen_times: dict[int | None, datetime | None] = {
        ref: _aware(at)
        for ref, at in session.connection().execute(
            select(col(Operation.id), col(PlanRecord.snapshot_at))
            .join(PlanRecord, col(PlanRecord.fingerprint) == col(Operation.plan_fingerprint))
            .where(col(Operation.id).in_(refs))
        )
    }
    found: dict[str, Contest] = {}
    for email, chain in chains.items():
        timed = [c._replace(seen_at=seen_times.get(c.ref)) for c in chain]
        contest = find_contest(email, FIELD, timed, users[email].type, seen_at)
        if contest is not None:
            found[email] = contest
    return found
