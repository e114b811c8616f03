"""Plans and the operation journal of their apply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class PlanRecord(SQLModel, table=True):
    """A computed plan, kept so `apply` runs exactly what was shown (by its fingerprint)."""

    __tablename__ = "plan_record"
    __table_args__ = (UniqueConstraint("fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    snapshot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    actor: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Operation(SQLModel, table=True):
    """One action of an apply, written before it is sent (pending -> sent -> succeeded|failed).

    A resumed apply re-reads the users whose operation is "sent" but unconfirmed, so nothing
    is done twice.
    """

    __tablename__ = "operation"
    __table_args__ = (
        UniqueConstraint("plan_fingerprint", "seq"),
        Index("ix_operation_plan_fingerprint_state", "plan_fingerprint", "state"),
        # One account's work of one plan: what a worker holding that account claims.
        Index("ix_operation_plan_fingerprint_account_state", "plan_fingerprint", "account", "state"),
        # Today's creates of each account (its daily create cap): provision.store.loaders.
        Index("ix_operation_kind_updated_at", "kind", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_fingerprint: str
    seq: int
    kind: str
    email: str = Field(index=True)
    zoom_id: str | None = None
    institution_code: str | None = None
    # The Zoom account the action is sent to ("" = the main account; provision.core.accounts).
    account: str = ""
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = "pending"  # pending | sent | succeeded | failed
    attempts: int = 0
    zoom_code: int | None = None
    tracking_id: str | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
