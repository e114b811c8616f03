"""The ORM half of the audit log's immutability (the database's triggers are the other half)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from models.errors import AuditImmutableError
from models.tables.audit import AuditEvent


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditImmutableError(f"audit event {obj.id} cannot be deleted: the audit log is append-only")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditImmutableError(f"audit event {obj.id} cannot be changed: the audit log is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_changes(state: ORMExecuteState) -> None:
    # session.execute(update(AuditEvent)...) bypasses flush; catch it before it reaches the database.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEvent:
        raise AuditImmutableError("the audit log is append-only: bulk UPDATE/DELETE of audit events refused")
