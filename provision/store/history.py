"""Our own license history, read from the audit log: who we last left Licensed, and who is contested.

One pass over the succeeded type-setting audit events serves both readers of the loaders: the
plan's `licensed_by_us` (our last change left them Licensed) and `contested` (provision.core.
contested: another writer set our last changes back). Only each user's trailing run of changes
to one value is kept, and its `before` JSON is decoded only where Zoom now shows another value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import AuditEvent, Operation, PlanRecord
from provision.core.actions import TYPE_SETTING
from provision.core.contested import Contest, LicenseChange, find_contest
from provision.core.state import LICENSED_TYPE, ZoomUser

SUCCEEDED = "succeeded"
FIELD = "type"  # the license field our kinds set


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def license_runs(session: Session) -> dict[str, list[LicenseChange]]:
    """Per email, our last succeeded changes of the type that all set the same value, oldest first.

    `seen` holds the raw `before` JSON text here (decoded by `load_contests` where it matters).
    """
    stmt = (
        select(
            col(AuditEvent.person_email),
            col(AuditEvent.at),
            col(AuditEvent.actor),
            col(AuditEvent.action),
            col(AuditEvent.institution_code),
            cast(col(AuditEvent.before), String),
            col(AuditEvent.after),
            col(AuditEvent.operation_id),
        )
        .where(col(AuditEvent.result) == SUCCEEDED, col(AuditEvent.action).in_(TYPE_SETTING))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    runs: dict[str, list[LicenseChange]] = {}
    for email, at, actor, action, code, before, after, ref in session.connection().execute(stmt):
        if not email or not isinstance(after, Mapping) or after.get(FIELD) is None:
            continue
        value = int(after[FIELD])
        change = LicenseChange(_aware(at) or at, value, before, action, actor or "?", code, ref)
        run = runs.get(email)
        if run is None or run[-1].value != value:
            runs[email] = [change]  # our own change to another value ends any earlier chain
        else:
            run.append(change)
    return runs


def licensed_by_us(runs: Mapping[str, list[LicenseChange]]) -> frozenset[str]:
    """Who our last succeeded license-changing action left Licensed."""
    return frozenset(email for email, run in runs.items() if run[-1].value == LICENSED_TYPE)


def _seen(raw: Any) -> Any:
    if raw is None:
        return None
    data = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return data.get(FIELD) if isinstance(data, Mapping) else None


def load_contests(
    session: Session,
    runs: Mapping[str, list[LicenseChange]],
    users: Mapping[str, ZoomUser],
    seen_at: datetime | None,
) -> dict[str, Contest]:
    """The users another writer set back after our last changes (provision.core.contested).

    `users` and `seen_at` are the snapshot and when it was taken. When each earlier set-back was
    seen is the snapshot time of the plan that made our next change (its PlanRecord).
    """
    chains: dict[str, list[LicenseChange]] = {}
    for email, run in runs.items():
        user = users.get(email)
        # A deactivated user's type means nothing; an invitation's is Zoom's, not another writer's.
        if len(run) < 2 or user is None or user.status != "active" or user.type == run[-1].value:
            continue
        chains[email] = [c._replace(seen=_seen(c.seen)) for c in run]
    if not chains:
        return {}
    refs = {c.ref for chain in chains.values() for c in chain if c.ref is not None}
    seen_times: dict[int | None, datetime | None] = {
        ref: at
        for ref, at in session.connection().execute(
            select(col(Operation.id), col(PlanRecord.snapshot_at))
            .join(PlanRecord, col(PlanRecord.fingerprint) == col(Operation.plan_fingerprint))
            .where(col(Operation.id).in_(refs))
        )
    }
    found: dict[str, Contest] = {}
    for email, chain in chains.items():
        timed = [c._replace(seen_at=_aware(seen_times.get(c.ref))) for c in chain]
        contest = find_contest(email, FIELD, timed, users[email].type, seen_at)
        if contest is not None:
            found[email] = contest
    return found
