"""The audit log: one AuditEvent per completed action, only ever inserted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import AuditEvent


def event_row(
    *,
    actor: str,
    action: str,
    result: str,
    institution_code: str | None = None,
    person_email: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    zoom_code: int | None = None,
    tracking_id: str | None = None,
    operation_id: int | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one event (for bulk inserts in the journal's transaction)."""
    return {
        "at": at or datetime.now(UTC),
        "actor": actor,
        "action": action,
        "institution_code": institution_code,
        "person_email": person_email,
        "before": dict(before) if before is not None else None,
        "after": dict(after) if after is not None else None,
        "result": result,
        "zoom_code": zoom_code,
        "tracking_id": tracking_id,
        "operation_id": operation_id,
        "detail": detail,
    }


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    result: str,
    institution_code: str | None = None,
    person_email: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    zoom_code: int | None = None,
    tracking_id: str | None = None,
    operation_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add one event to the session; it is committed with the caller's transaction."""
    event = AuditEvent(
        **event_row(
            actor=actor,
            action=action,
            result=result,
            institution_code=institution_code,
            person_email=person_email,
            before=before,
            after=after,
            zoom_code=zoom_code,
            tracking_id=tracking_id,
            operation_id=operation_id,
            detail=detail,
        )
    )
    session.add(event)
    session.flush()
    return event


EXPORT = "export"


def record_export(
    session: Session,
    *,
    actor: str,
    files: list[str],
    filters: Mapping[str, Any],
    school: str | None = None,
) -> AuditEvent:
    """Who exported what, with which filters: an export hands records out, so it is audited too.

    The event names no person, so reconcile's reading of what we last set skips it.
    """
    return record_event(
        session,
        actor=actor,
        action=EXPORT,
        result="succeeded",
        institution_code=school,
        after={"files": files, "filters": {k: v for k, v in filters.items() if v is not None}},
    )


CONTESTED = "contested"
LEFT_ALONE = "left_alone"
ENFORCED = "enforced"


def record_contests(session: Session, items: Iterable[Mapping[str, Any]], *, actor: str) -> int:
    """One event per contest (provision.core.contested), written once: by the first plan or
    reconcile that finds it; a new change of ours that is set back again is a new contest.

    `items` are the plan's or the drift's contested items. `before` is theirs, `after` ours; the
    result says whether the plan left the user alone or set our value again. How many were written.
    """
    items = [item for item in items if item.get("email")]
    if not items:
        return 0
    emails = sorted({str(item["email"]) for item in items})
    seen = {
        (email, result, (after or {}).get("set_at"))
        for email, result, after in session.execute(
            select(col(AuditEvent.person_email), col(AuditEvent.result), col(AuditEvent.after)).where(
                col(AuditEvent.action) == CONTESTED, col(AuditEvent.person_email).in_(emails)
            )
        )
    }
    written = 0
    for item in items:
        result = LEFT_ALONE if item.get("left_alone") else ENFORCED
        if (item["email"], result, item.get("ours_at")) in seen:
            continue
        field = str(item.get("field") or "type")
        record_event(
            session,
            actor=actor,
            action=CONTESTED,
            result=result,
            institution_code=item.get("institution_code"),
            person_email=item["email"],
            before={field: item.get("theirs"), "seen_at": item.get("seen_at")},
            after={field: item.get("ours"), "set_at": item.get("ours_at"), "setbacks": item.get("setbacks")},
            detail=item.get("detail"),
        )
        written += 1
    return written
