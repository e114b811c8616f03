"""Institutions (schools, universities) and their license quota."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401  (naming convention before any table)
from models.types import UTCDateTime, utcnow


class Institution(SQLModel, table=True):
    """One school or university, known by the ministry's code."""

    __tablename__ = "institution"
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str
    name: str
    region: str | None = None
    kind: str | None = None
    # The school's license quota: it never holds more Licensed users than this.
    seats: int = 0
    zoom_group_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
