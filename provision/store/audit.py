"""The audit log: one AuditEvent per completed action, only ever inserted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

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
