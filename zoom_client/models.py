"""Pydantic models of Zoom's payloads: users, pages, plan usage, settings, groups, sub-accounts.

Response models accept unknown fields (``extra="allow"``) so a field Zoom adds tomorrow does not
break tonight's run; unknown user-type integers are kept as plain ints. Request bodies live in
``zoom_client._bodies`` and are strict.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator


class UserType(IntEnum):
    """Zoom's user ``type`` (the license). Unknown integers (3 = On-prem, future ones) stay ints."""

    BASIC = 1
    LICENSED = 2
    UNASSIGNED = 4  # "Unassigned without Meetings Basic": no meeting hosting at all
    NONE = 99  # only for users created with ssoCreate


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


class CreateAction(StrEnum):
    """POST /users ``action``: ``create`` invites by email (user stays pending until accepted)."""

    CREATE = "create"
    AUTO_CREATE = "autoCreate"
    CUST_CREATE = "custCreate"
    SSO_CREATE = "ssoCreate"


def user_type(value: int) -> int:
    """``value`` as a UserType when Zoom documents it, else the plain int (kept, never rejected)."""
    try:
        return UserType(value)
    except ValueError:
        return int(value)


class ZoomModel(BaseModel):
    """Base of response models: tolerant of new fields, empty-string dates read as None."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _empty_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


class User(ZoomModel):
    id: str | None = None  # absent on pending users in list results: key them by email
    email: str
    type: UserType | int = UserType.BASIC
    status: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    dept: str | None = None
    group_ids: list[str] = Field(default_factory=list)
    role_id: str | None = None
    timezone: str | None = None
    verified: int | None = None
    user_created_at: datetime | None = None
    created_at: datetime | None = None
    last_login_time: datetime | None = None
    language: str | None = None
    account_id: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if isinstance(value, int | str) and str(value).lstrip("-").isdigit():
            return user_type(int(value))
        return value

    @field_validator("user_created_at", "created_at", "last_login_time", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        return _empty_to_none(value)

    @field_validator("group_ids", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        return [] if value is None else value


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list call. ``next_page_token`` is None on the last page."""

    items: list[T]
    next_page_token: str | None = None
    total_records: int | None = None
    page_size: int | None = None


class UsersSummary(ZoomModel):
    licensed_users_count: int = 0
    basic_users_count: int = 0
    on_prem_users_count: int = 0
    room_users_count: int = 0
    pending_users_count: int = 0
    join_only_users_count: int = 0
    total_users_count: int = 0


class PlanSeats(ZoomModel):
    """One plan's seats: ``hosts`` purchased, ``usage`` assigned, ``pending`` held by invitations."""

    type: str | None = None
    hosts: int = 0
    usage: int = 0
    pending: int = 0

    @property
    def free(self) -> int:
        return max(0, self.hosts - self.usage - self.pending)


def _one(value: Any) -> Any:
    # The 2021 spec types plan_base as an array; real answers (and the spec's own example) use an
    # object. Take either.
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _many(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value


class PlanUsage(ZoomModel):
    plan_base: PlanSeats | None = None
    plan_large_meeting: list[PlanSeats] = Field(default_factory=list)
    plan_webinar: list[PlanSeats] = Field(default_factory=list)

    @field_validator("plan_base", mode="before")
    @classmethod
    def _base(cls, value: Any) -> Any:
        return _one(value)

    @field_validator("plan_large_meeting", "plan_webinar", mode="before")
    @classmethod
    def _pools(cls, value: Any) -> Any:
        return _many(value)

    @property
    def free_seats(self) -> int:
        """Licensed seats neither assigned nor held by a pending invitation (never below 0)."""
        return self.plan_base.free if self.plan_base else 0

    def large_meeting_pool(self, capacity: int) -> PlanSeats | None:
        """The large-meeting add-on pool for ``capacity`` (500 or 1000), matched on its type."""
        for pool in self.plan_large_meeting:
            if str(capacity) in (pool.type or ""):
                return pool
        return None


class UserFeatures(ZoomModel):
    large_meeting: bool | None = None
    large_meeting_capacity: int | None = None
    meeting_capacity: int | None = None
    webinar: bool | None = None
    webinar_capacity: int | None = None


class UserSettings(ZoomModel):
    """GET /users/{id}/settings. ``feature`` is typed; the other sections are kept as extras."""

    feature: UserFeatures = Field(default_factory=UserFeatures)


class BulkFailure(ZoomModel):
    user_ids: list[str] = Field(default_factory=list)
    reason: str | None = None


class BulkFeatureResult(ZoomModel):
    success_user_ids: list[str] = Field(default_factory=list)
    fail_details: list[BulkFailure] = Field(default_factory=list)

    @field_validator("success_user_ids", "fail_details", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return [] if value is None else value


class Group(ZoomModel):
    id: str
    name: str | None = None
    total_members: int | None = None


class GroupMember(ZoomModel):
    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    type: UserType | int | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return user_type(value) if isinstance(value, int) else value


class SubAccount(ZoomModel):
    id: str
    account_name: str | None = None
    owner_email: str | None = None
    account_type: str | None = None
    account_number: int | str | None = None
    created_at: datetime | None = None

    @field_validator("created_at", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        return _empty_to_none(value)
