"""Zoom users the tool manages, and the last reconcile's drift report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class ManagedUser(SQLModel, table=True):
    """A Zoom user under this tool's management (created by it, or adopted)."""

    __tablename__ = "managed_user"
    __table_args__ = (UniqueConstraint("email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str
    zoom_id: str | None = None
    adopted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_us: bool = False


class DriftReport(SQLModel, table=True):
    """What a reconcile found (the newest row is the last reconcile)."""

    __tablename__ = "drift_report"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    clean: bool = True
