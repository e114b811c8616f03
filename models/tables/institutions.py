"""Institutions (schools, universities) and their license quota."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401  (naming convention before any table)
from models.types import UTCDateTime, utcnow


class Institution(SQLModel, table=True):
    """One school or university, known by the ministry's code."""

    __tablename__ = "institution"
    __table_args__ = (
        UniqueConstraint("code"),
        # Unique where set (NULL for schools imported from a sheet); an index, not a constraint,
        # so the migration adds it without rebuilding the table on SQLite.
        Index("ix_institution_sourced_id", "sourced_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str
    name: str
    region: str | None = None
    kind: str | None = None
    # The school's license quota: it never holds more Licensed users than this.
    seats: int = 0
    zoom_group_id: str | None = None
    # The school information system's id of this school (OneRoster/SDS org sourcedId): rosters
    # exported by that system name the school by it.
    sourced_id: str | None = None
    # The Zoom account the school's people live in: "" or None = the main account, else the id of
    # a sub-account of the master account, or an alias declared in the policy's [accounts] (an
    # account with credentials of its own). A plain string everywhere (provision.core.accounts).
    account: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgUnit(SQLModel, table=True):
    """An org of a OneRoster/SDS package that is not a school itself (a department, a faculty,
    a campus): people listed there count at the school above it."""

    __tablename__ = "org_unit"
    __table_args__ = (UniqueConstraint("sourced_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sourced_id: str
    institution_id: int = Field(foreign_key="institution.id", index=True)
    kind: str | None = None
    name: str = ""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
