"""A plan's figures as types: per school and for the account (JSON only at the edge).

`diff.compute_plan` fills them, the safety checks, `check_fresh` and `render` read them. Their
JSON (`to_data`) is the "summary" of plan files and of `provision plan --json`: every action
kind's count is a key of its own, and a file missing a field (an older one) reads with that
field's default. The account's seats are written as every command's JSON names them,
`seats: {purchased, used, pending, free}`; the flat names older plan files hold still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from provision.core.kinds import ActionKind
from provision.core.policy import Policy

_KINDS = tuple(ActionKind)


def _counts(data: Mapping[str, Any]) -> dict[ActionKind, int]:
    """The kinds counted in a JSON row (held without the zeros, which to_data writes back)."""
    return {kind: int(data[kind.value]) for kind in _KINDS if data.get(kind.value)}


def _int(data: Mapping[str, Any], name: str) -> int:
    return int(data.get(name, 0) or 0)


@dataclass
class SchoolFigures:
    """One school in a plan: its quota, licenses before and after, and its changes by kind."""

    name: str = ""
    region: str = ""
    quota: int = 0
    licensed_before: int = 0
    licensed_after: int = 0
    waiting: int = 0
    grace: int = 0
    actions: dict[ActionKind, int] = field(default_factory=dict)
    account: str = ""  # the Zoom account of the school ("" main)

    def count(self, *kinds: ActionKind) -> int:
        return sum(self.actions.get(kind, 0) for kind in kinds)

    def to_data(self) -> dict[str, Any]:
        # The region only when known: a plan file written before regions reads and writes the same.
        region = {"region": self.region} if self.region else {}
        account = {"account": self.account} if self.account else {}
        return {
            "name": self.name,
            **region,
            **account,
            "quota": self.quota,
            "licensed_before": self.licensed_before,
            "licensed_after": self.licensed_after,
            "waiting": self.waiting,
            "grace": self.grace,
            **{kind.value: self.actions.get(kind, 0) for kind in _KINDS},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SchoolFigures:
        return cls(
            name=str(data.get("name") or ""),
            region=str(data.get("region") or ""),
            quota=_int(data, "quota"),
            licensed_before=_int(data, "licensed_before"),
            licensed_after=_int(data, "licensed_after"),
            waiting=_int(data, "waiting"),
            grace=_int(data, "grace"),
            actions=_counts(data),
            account=str(data.get("account") or ""),
        )


@dataclass
class RegionFigures(SchoolFigures):
    """A region in a plan: its schools' figures added up (the first screen at ministry scale)."""

    schools: int = 0

    def add(self, school: SchoolFigures) -> None:
        self.schools += 1
        self.quota += school.quota
        self.licensed_before += school.licensed_before
        self.licensed_after += school.licensed_after
        self.waiting += school.waiting
        self.grace += school.grace
        for kind, n in school.actions.items():
            self.actions[kind] = self.actions.get(kind, 0) + n

    def to_data(self) -> dict[str, Any]:
        return {"schools": self.schools, **super().to_data()}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RegionFigures:
        figures = SchoolFigures.from_data(data)
        return cls(**{**figures.__dict__, "schools": _int(data, "schools"), "account": ""})


def by_region(schools: Mapping[str, SchoolFigures]) -> dict[str, RegionFigures]:
    """The per-school figures added up per region (the plan's first screen at ministry scale)."""
    regions: dict[str, RegionFigures] = {}
    for figures in schools.values():
        name = figures.region or "(no region)"
        regions.setdefault(name, RegionFigures(name=name, region=name)).add(figures)
    return dict(sorted(regions.items()))


@dataclass(frozen=True)
class ShortageFigures:
    """The quotas of the schools with demand exceed the seats the account can give them."""

    schools: int  # schools with someone entitled to a seat
    demand: int  # people entitled to a seat there
    quotas: int  # seats their quotas allow (each capped by its school's demand)
    seats: int  # seats that can go to them (held by them now plus the free ones)
    allocation: str  # the policy's rule: "proportional" or "priority"
    schools_served: int  # schools holding at least one seat after the plan

    @property
    def shortfall(self) -> int:
        return self.quotas - self.seats

    def to_data(self) -> dict[str, Any]:
        return {
            "schools": self.schools,
            "demand": self.demand,
            "quotas": self.quotas,
            "seats_available": self.seats,
            "shortfall": self.shortfall,
            "allocation": self.allocation,
            "schools_served": self.schools_served,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> ShortageFigures | None:
        if not data:
            return None
        return cls(
            schools=_int(data, "schools"),
            demand=_int(data, "demand"),
            quotas=_int(data, "quotas"),
            seats=_int(data, "seats_available") or _int(data, "seats"),  # "seats": older plan files
            allocation=str(data.get("allocation") or "proportional"),
            schools_served=_int(data, "schools_served"),
        )


@dataclass
class Totals:
    """The account in a plan: seats now and after, and the changes by kind."""

    seats_purchased: int = 0
    seats_used: int = 0  # licensed active users listed
    seats_pending: int = 0  # licensed pending invitations listed
    seats_free_before: int = 0
    seats_free_after: int = 0
    licensed_before: int = 0
    managed_licensed_before: int = 0
    people_active: int = 0
    in_grace: int = 0
    addons_short: dict[int, int] = field(default_factory=dict)  # capacity -> add-ons missing
    # The cross-check: Zoom's own `usage` and which reading of it the users fit (core.readings).
    seats_usage_reported: int = 0
    pending_reading: str = ""
    # Basic users now and after the plan, against the policy's basic_cap (core.basic_cap)
    basic_before: int = 0
    basic_after: int = 0
    basic_cap: int = 0
    actions: dict[ActionKind, int] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        """Add another account's figures (a plan over several accounts: the whole ministry)."""
        for name in _TOTALS_SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for cap, n in other.addons_short.items():
            self.addons_short[cap] = self.addons_short.get(cap, 0) + n
        for kind, n in other.actions.items():
            self.actions[kind] = self.actions.get(kind, 0) + n
        if other.pending_reading and self.pending_reading not in ("", other.pending_reading):
            self.pending_reading = "mixed"
        else:
            self.pending_reading = self.pending_reading or other.pending_reading

    def to_data(self) -> dict[str, Any]:
        return {
            "seats": {
                "purchased": self.seats_purchased,
                "used": self.seats_used,
                "pending": self.seats_pending,
                "free": self.seats_free_before,
            },
            "licensed_before": self.licensed_before,
            "managed_licensed_before": self.managed_licensed_before,
            **{kind.value: self.actions.get(kind, 0) for kind in _KINDS},
            "people_active": self.people_active,
            "seats_free_after": self.seats_free_after,
            "addons_short": {str(cap): n for cap, n in sorted(self.addons_short.items())},
            "in_grace": self.in_grace,
            "seats_usage_reported": self.seats_usage_reported,
            "pending_reading": self.pending_reading,
            "basic_before": self.basic_before,
            "basic_after": self.basic_after,
            "basic_cap": self.basic_cap,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Totals:
        # Plan files written before the common vocabulary hold seats_purchased, seats_used,
        # seats_pending and seats_free_before at this level: both spellings read the same.
        given = data.get("seats")
        seats: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        return cls(
            seats_purchased=_int(seats, "purchased") or _int(data, "seats_purchased"),
            seats_used=_int(seats, "used") or _int(data, "seats_used"),
            seats_pending=_int(seats, "pending") or _int(data, "seats_pending"),
            seats_free_before=_int(seats, "free") or _int(data, "seats_free_before"),
            seats_free_after=_int(data, "seats_free_after"),
            licensed_before=_int(data, "licensed_before"),
            managed_licensed_before=_int(data, "managed_licensed_before"),
            people_active=_int(data, "people_active"),
            in_grace=_int(data, "in_grace"),
            seats_usage_reported=_int(data, "seats_usage_reported"),
            pending_reading=str(data.get("pending_reading") or ""),
            basic_before=_int(data, "basic_before"),
            basic_after=_int(data, "basic_after"),
            basic_cap=_int(data, "basic_cap"),
            addons_short={int(cap): int(n) for cap, n in (data.get("addons_short") or {}).items()},
            actions=_counts(data),
        )


_TOTALS_SUMMED = (
    "seats_purchased",
    "seats_used",
    "seats_pending",
    "seats_free_before",
    "seats_free_after",
    "licensed_before",
    "managed_licensed_before",
    "people_active",
    "in_grace",
    "seats_usage_reported",
    "basic_before",
    "basic_after",
    "basic_cap",
)


@dataclass
class AccountFigures:
    """One Zoom account in a plan over several: its own figures, shortage and daily create cap."""

    totals: Totals = field(default_factory=Totals)
    shortage: ShortageFigures | None = None
    create_cap: int | None = None  # POST /users create calls a day (None: no cap applies)
    created_today: int = 0
    creates_held: int = 0  # creates past the cap: waiting for a later plan

    def to_data(self) -> dict[str, Any]:
        data = {
            "totals": self.totals.to_data(),
            "create_cap": self.create_cap,
            "created_today": self.created_today,
            "creates_held": self.creates_held,
        }
        if self.shortage is not None:
            data["shortage"] = self.shortage.to_data()
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> AccountFigures:
        cap = data.get("create_cap")
        return cls(
            totals=Totals.from_data(data.get("totals") or {}),
            shortage=ShortageFigures.from_data(data.get("shortage")),
            create_cap=int(cap) if cap is not None else None,
            created_today=_int(data, "created_today"),
            creates_held=_int(data, "creates_held"),
        )


@dataclass
class PlanSummary:
    """Everything a plan says besides its actions: figures, scope, and the policy it was made under."""

    schools: dict[str, SchoolFigures] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    managed_without_roster: list[str] = field(default_factory=list)
    scope: str | None = None  # the school the plan was narrowed to, if any
    policy: Policy | None = None  # the policy it was made under (set by make_plan)
    forced: bool = False  # made with --force (above the safety thresholds)
    shortage: ShortageFigures | None = None  # None: every school with demand gets its quota
    regions: dict[str, RegionFigures] = field(default_factory=dict)
    # A plan over several Zoom accounts: each one's figures by account key (empty: one account,
    # the main one, whose figures are `totals`).
    accounts: dict[str, AccountFigures] = field(default_factory=dict)

    def for_school(self, code: str) -> PlanSummary:
        figures = self.schools.get(code, SchoolFigures())
        own = self.accounts.get(figures.account)
        return PlanSummary(
            schools={code: figures},
            totals=own.totals if own is not None else self.totals,
            accounts={figures.account: own} if own is not None else {},
            scope=self.scope,
            policy=self.policy,
            forced=self.forced,
            shortage=self.shortage,
            regions=self.regions,
        )

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schools": {code: figures.to_data() for code, figures in self.schools.items()},
            "totals": self.totals.to_data(),
            "managed_without_roster": list(self.managed_without_roster),
            "scope": self.scope,
        }
        # Written when there is something to say, so older plan files round-trip unchanged.
        if self.shortage is not None:
            data["shortage"] = self.shortage.to_data()
        if self.regions:
            data["regions"] = {name: figures.to_data() for name, figures in self.regions.items()}
        if self.accounts:
            data["accounts"] = {key: figures.to_data() for key, figures in self.accounts.items()}
        if self.policy is not None:
            data["policy"] = self.policy.to_data()
            data["forced"] = self.forced
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> PlanSummary:
        data = data or {}
        policy = None
        if data.get("policy"):
            try:
                policy = Policy.model_validate(data["policy"])
            except ValidationError:
                # A policy key of another version: without it, check_fresh judges the plan by the
                # policy in force (or the defaults), which makes such a plan stale, never wrong.
                policy = None
        return cls(
            schools={code: SchoolFigures.from_data(row) for code, row in (data.get("schools") or {}).items()},
            totals=Totals.from_data(data.get("totals") or {}),
            managed_without_roster=list(data.get("managed_without_roster") or []),
            scope=data.get("scope"),
            policy=policy,
            forced=bool(data.get("forced", False)),
            shortage=ShortageFigures.from_data(data.get("shortage")),
            regions={name: RegionFigures.from_data(row) for name, row in (data.get("regions") or {}).items()},
            accounts={
                key: AccountFigures.from_data(row) for key, row in (data.get("accounts") or {}).items()
            },
        )
