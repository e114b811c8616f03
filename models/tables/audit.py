"""The audit log: insert-only, enforced by the database and by the ORM."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, Index, event
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to whom, with what result. Never updated, never deleted."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_person_email_at", "person_email", "at"),
        Index("ix_audit_event_institution_code_at", "institution_code", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    action: str
    institution_code: str | None = None
    person_email: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    result: str | None = None
    zoom_code: int | None = None
    tracking_id: str | None = None
    operation_id: int | None = Field(default=None, foreign_key="operation.id", index=True)
    detail: str | None = None


# The database half of "insert-only" (models.guards is the ORM half). Migration 0001 creates the
# same triggers; these hooks give them to a schema made by metadata.create_all too (test setups).
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {verb} refused'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP "
    "USING ERRCODE = 'integrity_constraint_violation'; END $$",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]
_table = AuditEvent.__table__  # type: ignore[attr-defined]
for _dialect, _statements in (("sqlite", SQLITE_TRIGGERS), ("postgresql", POSTGRESQL_TRIGGERS)):
    for _sql in _statements:
        # DDL() %-formats its text: escape the % of RAISE's placeholder.
        event.listen(_table, "after_create", DDL(_sql.replace("%", "%%")).execute_if(dialect=_dialect))
event.listen(
    _table,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS audit_event_append_only()").execute_if(dialect="postgresql"),
)

# The ORM half of "insert-only", registered with the table itself: whoever can write an
# AuditEvent has loaded this module (imported last: models.guards reads AuditEvent from here).
from models import guards  # noqa: E402, F401
