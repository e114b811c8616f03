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
    """Zoom's user ``type`` (the license). Unknown integers (3 = On-prem, future ones) stay ints.

    ``UNASSIGNED`` (4) is "Unassigned without Meetings Basic" (2025 spec): no meeting hosting,
    holds no seat and sits outside the account's Basic-user cap. PATCH /users/{id} and POST /users
    take it; POST /users/features ``user_type`` does not (1, 2, 99 only).
    """

    BASIC = 1
    LICENSED = 2
    UNASSIGNED = 4  # "Unassigned without Meetings Basic": no meeting hosting at all
    NONE = 99  # only for users created with ssoCreate

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    UserType.BASIC: "Basic",
    UserType.LICENSED: "Licensed",
    UserType.UNASSIGNED: "Unassigned without Meetings Basic",
    UserType.NONE: "None",
}

#: the user types POST /users/features ``feature_type=user_type`` accepts
BULK_USER_TYPES = frozenset({UserType.BASIC, UserType.LICENSED, UserType.NONE})


class ZoomOneType(IntEnum):
    """Known ``zoom_one_type`` values (Zoom Workplace / Zoom One bundles; 2025 Users spec).

    Bit flags, several above 2**53: Python ints keep them exact; never pass them through a float.
    Unknown values are kept as plain ints (:func:`zoom_one_type`). ``OFF`` (0) takes the license away.
    """

    OFF = 0
    WORKPLACE_ENTERPRISE = 4
    WORKPLACE_ENTERPRISE_PLUS = 8
    BUSINESS_PLUS_US_CA = 16
    BUSINESS_PLUS_UK_IE = 32
    BUSINESS_PLUS_AU_NZ = 64
    BUSINESS_PLUS_JP = 128
    BUSINESS_PLUS_GLOBAL_SELECT = 33554432
    ENTERPRISE_PREMIER_US_CA = 134217728
    ENTERPRISE_PREMIER_JP = 268435456
    ENTERPRISE_PREMIER_UK_IE = 536870912
    ENTERPRISE_PREMIER_AU_NZ = 1073741824
    PRO_PLUS_US_CA = 4398046511104
    EDU_ENTERPRISE_PREMIER_US_CA = 4294967296
    EDU_ENTERPRISE_PREMIER_JP = 8589934592
    EDU_ENTERPRISE_PREMIER_UK_IE = 17179869184
    EDU_ENTERPRISE_PREMIER_AU_NZ = 34359738368
    EDU_ENTERPRISE_PREMIER_GLOBAL_SELECT = 68719476736
    EDU_SCHOOL_CAMPUS_PLUS_US_CA = 137438953472
    EDU_SCHOOL_CAMPUS_PLUS_JP = 274877906944
    EDU_SCHOOL_CAMPUS_PLUS_UK_IE = 549755813888
    EDU_SCHOOL_CAMPUS_PLUS_AU_NZ = 1099511627776
    EDU_SCHOOL_CAMPUS_PLUS_GLOBAL_SELECT = 2199023255552
    EDU_SCHOOL_CAMPUS = 18014398509481984
    EDU_ENTERPRISE_ESSENTIALS = 72057594037927936
    EDU_ENTERPRISE_PLUS = 144115188075855872
    EDU_ENTERPRISE_STUDENT = 576460752303423488


def zoom_one_type(value: Any) -> int | None:
    """A ``zoom_one_type`` as an exact int (a ZoomOneType when known); digit strings accepted.

    None stays None. A float is refused: above 2**53 it has already lost digits."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise ValueError(f"zoom_one_type must be an integer, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise ValueError(f"zoom_one_type must be digits, got {value!r}")
        value = int(text)
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"zoom_one_type must be a non-negative integer, got {value!r}")
    try:
        return ZoomOneType(value)
    except ValueError:
        return int(value)


#: Which plan-usage pool holds the seats of a zoom_one_type, by the pool keys ZoomNet's
#: BillingPlanUsageInfo names. UNVERIFIED against a real account (ZOOM_API.md §11): a policy
#: should be able to name the pool itself; the sandbox uses this same table.
ZOOM_ONE_POOL_KEYS: dict[str, frozenset[int]] = {
    "plan_zoom_one_edu_school_campus_plus": frozenset(
        {
            ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_US_CA,
            ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_JP,
            ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_UK_IE,
            ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_AU_NZ,
            ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_GLOBAL_SELECT,
        }
    ),
    "plan_zoom_one_edu_premier": frozenset(
        {
            ZoomOneType.EDU_ENTERPRISE_PREMIER_US_CA,
            ZoomOneType.EDU_ENTERPRISE_PREMIER_JP,
            ZoomOneType.EDU_ENTERPRISE_PREMIER_UK_IE,
            ZoomOneType.EDU_ENTERPRISE_PREMIER_AU_NZ,
            ZoomOneType.EDU_ENTERPRISE_PREMIER_GLOBAL_SELECT,
        }
    ),
    "plan_zoom_one_edu_student": frozenset({ZoomOneType.EDU_ENTERPRISE_STUDENT}),
    "plan_zoom_one_premier": frozenset(
        {
            ZoomOneType.ENTERPRISE_PREMIER_US_CA,
            ZoomOneType.ENTERPRISE_PREMIER_JP,
            ZoomOneType.ENTERPRISE_PREMIER_UK_IE,
            ZoomOneType.ENTERPRISE_PREMIER_AU_NZ,
        }
    ),
}


def zoom_one_pool_key(value: int) -> str:
    """The plan-usage key whose pool a zoom_one_type's seats are counted in (unverified guess:
    the named Education pools, else ``plan_zoom_one``)."""
    for key, values in ZOOM_ONE_POOL_KEYS.items():
        if value in values:
            return key
    return "plan_zoom_one"


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


#: Zoom's built-in roles (ZOOM_API.md §11); any other role_id is a custom role.
ROLE_OWNER, ROLE_ADMIN, ROLE_MEMBER = "0", "1", "2"


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
    role_name: str | None = None
    #: Zoom Workplace / Zoom One bundle (GET /users/{id} only: the list does not carry it).
    #: Exact int even above 2**53; None when Zoom did not say.
    zoom_one_type: int | None = None
    plan_united_type: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if isinstance(value, int | str) and str(value).lstrip("-").isdigit():
            return user_type(int(value))
        return value

    @field_validator("zoom_one_type", mode="before")
    @classmethod
    def _zoom_one(cls, value: Any) -> Any:
        return zoom_one_type(value)

    @field_validator("role_id", "plan_united_type", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # Zoom documents these as strings; some answers carry numbers. "0" must stay "0".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def is_member(self) -> bool:
        """role_id "2" (member). Owner "0", admin "1" and custom roles are administrators."""
        return self.role_id in (None, ROLE_MEMBER)

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
    """One pool's seats: ``hosts`` purchased, ``usage`` assigned, ``pending`` held by invitations.

    Whether ``usage`` already counts ``pending`` is undocumented (ZOOM_API.md §11): count seats
    from the users you listed and use this as a cross-check (:meth:`free_seats` takes the
    reading). ``free`` is the cautious reading (pending not in usage, so subtracted)."""

    type: str | None = None
    name: str | None = None
    hosts: int = 0
    usage: int = 0
    pending: int = 0
    active_hosts: int | None = None

    @property
    def free(self) -> int:
        return max(0, self.hosts - self.usage - self.pending)

    def free_seats(self, *, pending_in_usage: bool) -> int:
        """Seats neither assigned nor held by an invitation, under one reading of ``usage``."""
        held = self.usage if pending_in_usage else self.usage + self.pending
        return max(0, self.hosts - held)


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


def _is_seat_pool(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(i, dict) and "hosts" in i for i in items)


#: Pools of add-ons, not of the license a person holds (shown, never a managed product)
ADDON_POOL_KEYS = frozenset({"plan_large_meeting", "plan_webinar", "plan_zoom_events", "plan_zoom_rooms"})


class PlanUsage(ZoomModel):
    """GET /accounts/{id}/plans/usage. Every ``plan_*`` pool with seats is readable through
    :meth:`pools`, also those this client does not name (kept as-is, in ``model_extra``).

    ``plan_base`` may be absent: accounts sold as Zoom Workplace / Zoom One (for Education) keep
    their seats in ``plan_zoom_one…`` pools. Single pools given as an object and lists of pools
    are both read as lists (``plan_united``, ``plan_zoom_one_edu_student`` come as objects)."""

    plan_base: PlanSeats | None = None
    plan_large_meeting: list[PlanSeats] = Field(default_factory=list)
    plan_webinar: list[PlanSeats] = Field(default_factory=list)
    plan_zoom_one: list[PlanSeats] = Field(default_factory=list)
    plan_zoom_one_edu_school_campus_plus: list[PlanSeats] = Field(default_factory=list)
    plan_zoom_one_edu_premier: list[PlanSeats] = Field(default_factory=list)
    plan_zoom_one_edu_student: list[PlanSeats] = Field(default_factory=list)
    plan_zoom_one_premier: list[PlanSeats] = Field(default_factory=list)
    plan_united: list[PlanSeats] = Field(default_factory=list)

    @field_validator("plan_base", mode="before")
    @classmethod
    def _base(cls, value: Any) -> Any:
        return _one(value)

    @field_validator(
        "plan_large_meeting",
        "plan_webinar",
        "plan_zoom_one",
        "plan_zoom_one_edu_school_campus_plus",
        "plan_zoom_one_edu_premier",
        "plan_zoom_one_edu_student",
        "plan_zoom_one_premier",
        "plan_united",
        mode="before",
    )
    @classmethod
    def _pools(cls, value: Any) -> Any:
        return _many(value)

    @property
    def free_seats(self) -> int:
        """Free seats of ``plan_base`` under the cautious reading (0 without a plan_base)."""
        return self.plan_base.free if self.plan_base else 0

    def pools(self) -> dict[str, list[PlanSeats]]:
        """Every seat pool by its key (``plan_base`` as a one-item list), unknown keys included;
        ``plan_recording`` and other non-seat sections are left out."""
        found: dict[str, list[PlanSeats]] = {}
        if self.plan_base is not None:
            found["plan_base"] = [self.plan_base]
        for name in type(self).model_fields:
            if name != "plan_base" and (value := getattr(self, name)):
                found[name] = list(value)
        for key, value in (self.model_extra or {}).items():
            if key.startswith("plan_") and _is_seat_pool(value):
                found[key] = [PlanSeats.model_validate(v) for v in _many(value)]
        return found

    def license_pools(self) -> dict[str, list[PlanSeats]]:
        """The pools of a license a person holds (base, Zoom One / Workplace, United, and any
        unknown pool), without add-on pools (large meeting, webinar, events, rooms)."""
        return {k: v for k, v in self.pools().items() if k not in ADDON_POOL_KEYS}

    def zoom_one_pools(self) -> dict[str, list[PlanSeats]]:
        """The ``plan_zoom_one…`` pools (Zoom Workplace / Zoom One, Education variants included)."""
        return {k: v for k, v in self.pools().items() if k.startswith("plan_zoom_one")}

    def pool(self, key: str) -> PlanSeats | None:
        """One pool's seats summed over its entries (a key may list monthly and yearly parts)."""
        entries = self.pools().get(key)
        if not entries:
            return None
        if len(entries) == 1:
            return entries[0]
        return PlanSeats(
            type=",".join(e.type or "" for e in entries),
            hosts=sum(e.hosts for e in entries),
            usage=sum(e.usage for e in entries),
            pending=sum(e.pending for e in entries),
        )

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
    """POST /users/features: HTTP 201 even when some users failed; each failure has a reason
    (e.g. "Not enough seats") and the ids (or emails) it concerns."""

    success_user_ids: list[str] = Field(default_factory=list)
    fail_details: list[BulkFailure] = Field(default_factory=list)

    @field_validator("success_user_ids", "fail_details", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return [] if value is None else value

    def failures(self) -> dict[str, str]:
        """{user id or email: reason} for every user that failed."""
        return {uid: f.reason or "unknown reason" for f in self.fail_details for uid in f.user_ids}

    def merge(self, other: BulkFeatureResult) -> BulkFeatureResult:
        """This result and ``other`` as one (the batches of a call split by 30)."""
        return BulkFeatureResult(
            success_user_ids=[*self.success_user_ids, *other.success_user_ids],
            fail_details=[*self.fail_details, *other.fail_details],
        )


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


class ManagedDomain(ZoomModel):
    """One associated (managed) domain of the account: where autoCreate works."""

    domain: str
    status: str | None = None


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
