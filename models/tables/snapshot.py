"""What Zoom looked like when last observed: its users and the account's seats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class ZoomUserSnapshot(SQLModel, table=True):
    """One Zoom user as last observed (the email is the join key with Person)."""

    __tablename__ = "zoom_user_snapshot"
    __table_args__ = (UniqueConstraint("email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str
    # The Zoom account the user was listed in ("" = the main account). An email is one Zoom user
    # in one account, so the email stays the key across accounts.
    account: str = Field(default="", index=True)
    zoom_id: str | None = Field(default=None, index=True)  # None for pending users
    type: int
    status: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    dept: str | None = None
    group_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    last_login_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    large_meeting: bool = False
    large_meeting_capacity: int | None = None
    # Zoom's role: "0" owner, "1" admin, "2" member, other ids custom roles; None = not yet known
    role_id: str | None = None
    # The Zoom One / Workplace license held (GET /users/{id} only, read for the users it matters
    # for); None = not read, 0 = none. 64-bit: Education values reach 2**59.
    zoom_one_type: int | None = Field(default=None, sa_type=BigInteger)
    observed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccountSnapshot(SQLModel, table=True):
    """The account's seats as last observed (one row per sync; the newest wins)."""

    __tablename__ = "account_snapshot"
    # The newest row of each account.
    __table_args__ = (Index("ix_account_snapshot_account_observed_at", "account", "observed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    observed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    account: str = ""  # "" = the main account, else a sub-account id or an alias
    seats_purchased: int
    seats_used: int
    seats_pending: int = 0
    # {"large_meeting_500": {"hosts": .., "usage": ..}, ...}
    addons: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    users_total: int = 0
    # Every plan-usage pool: {"plan_base": {"hosts": .., "usage": .., "pending": ..}, ...}, unknown
    # keys kept as Zoom named them (migration 0006); None before the first sync that read them.
    pools: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    seat_pool: str | None = None  # the pool whose seats the tool hands out ("plan_base", ...)
    # Which reading of `usage` the numbers fit (provision.core.readings): "pending_in_usage",
    # "pending_apart", "undetermined" or "disagrees"
    pending_reading: str | None = None
