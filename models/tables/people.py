"""People and their memberships of institutions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """One human, one Zoom user: the email is normalized (trimmed, NFC, lower-cased) by the importer."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str
    given_name: str = ""
    family_name: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A person listed by an institution's roster.

    A person who left the roster keeps the row with active=False and left_at set: the plan
    unlicenses them after the grace period, and the history stays.
    """

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("person_id", "institution_id"),
        # The unique key serves lookups by person; this one serves "everyone at school X".
        Index("ix_membership_institution_id_active", "institution_id", "active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    institution_id: int = Field(foreign_key="institution.id")
    role: str  # admin | teacher | staff | student
    is_primary: bool = False
    active: bool = True
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    # The roster's own order inside the school, which decides who gets a seat first when the
    # quota or the account runs short: the priority column when the file has one (lower first),
    # then the row's place in the school's file (0-based, across sheets in file order).
    priority: int | None = None
    position: int | None = None
