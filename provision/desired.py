"""The two inputs of a plan, as plain values: the desired state (rosters) and the observed one (Zoom).

These values are what the pure core (`seats`, `diff`) works on, and what tests build by hand.
The per-person ones are NamedTuples: immutable like frozen dataclasses, and built four times
faster, which matters at 100,000 people.
`load_desired` and `load_observed` read them from the database in a few set-based queries (no query
per row: 100,000 people must load in well under a second or two).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from provision.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LICENSED_TYPE = 2
BASIC_TYPE = 1


@dataclass(frozen=True, slots=True)
class School:
    code: str
    name: str = ""
    seats: int = 0  # the school's quota of licenses
    zoom_group_id: str | None = None


class Member(NamedTuple):
    """One roster line of a person: their role at one institution."""

    institution_code: str
    role: str
    is_primary: bool = True
    active: bool = True
    left_at: datetime | None = None


class DesiredPerson(NamedTuple):
    email: str  # normalized
    given_name: str = ""
    family_name: str = ""
    memberships: tuple[Member, ...] = ()


@dataclass
class Desired:
    """The rosters: every institution and every person any roster lists (or listed)."""

    schools: dict[str, School] = field(default_factory=dict)
    people: dict[str, DesiredPerson] = field(default_factory=dict)
    scope: str | None = None  # the school asked for, if any

    def has_active(self) -> bool:
        return any(m.active for p in self.people.values() for m in p.memberships)


class ZoomUser(NamedTuple):
    """One user of the Zoom account as last observed."""

    email: str
    zoom_id: str | None  # None for pending invitations
    type: int = BASIC_TYPE
    status: str = "active"  # active | inactive | pending
    group_ids: tuple[str, ...] = ()
    large_meeting: bool = False
    large_meeting_capacity: int | None = None
    role_id: str | None = None  # "0" owner, "1" admin, when the snapshot knows it
    first_name: str = ""
    last_name: str = ""
    last_login_time: datetime | None = None
    observed_at: datetime | None = None

    @property
    def holds_seat(self) -> bool:
        # Deactivation removes every license, whatever type the listing still shows.
        return self.type == LICENSED_TYPE and self.status == "active"

    def state(self) -> dict[str, Any]:
        """The observed state as an audit "before" (JSON-safe)."""
        data: dict[str, Any] = {"type": self.type, "status": self.status}
        if self.large_meeting:
            data["large_meeting_capacity"] = self.large_meeting_capacity
        if self.group_ids:
            data["group_ids"] = list(self.group_ids)
        return data


@dataclass(frozen=True, slots=True)
class AccountSeats:
    """Zoom's plan usage: the account-wide seat count."""

    purchased: int
    used: int
    pending: int = 0
    observed_at: datetime | None = None
    # {"large_meeting_500": {"hosts": n, "usage": n}, ...}; missing means not known
    addons: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Observed:
    users: dict[str, ZoomUser] = field(default_factory=dict)
    account: AccountSeats | None = None
    managed: frozenset[str] = frozenset()  # emails the tool created or adopted
    # Emails whose license our own last succeeded action set to Licensed: if Zoom now shows them
    # Basic, someone took it by hand, and they keep their place ahead of people still waiting.
    licensed_by_us: frozenset[str] = frozenset()

    @property
    def snapshot_at(self) -> datetime | None:
        if self.account is not None and self.account.observed_at is not None:
            return self.account.observed_at
        times = [u.observed_at for u in self.users.values() if u.observed_at is not None]
        return max(times) if times else None


# tuple.__new__(NamedTupleClass, values) builds the NamedTuple in C, skipping its Python-level
# __new__: with 100,000 rows per table that is most of the loading time. Values go in field order.
new = tuple.__new__


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def unknown_school(code: str, known: list[str]) -> InputError:
    close = difflib.get_close_matches(code, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return InputError(f"unknown school {code!r}{hint}")


def load_desired(session: Session, *, school: str | None = None) -> Desired:
    """Every institution, and every person with a membership (of `school` only, if given).

    A person's memberships at other schools are loaded too: a person counts once, at their
    primary institution, so a school's view needs them.
    """
    from sqlalchemy import select

    # Imported here so the pure core can use these types without the database layer.
    from models import Institution, Membership, Person

    schools: dict[str, School] = {}
    for code, name, seats, group_id in session.execute(
        select(Institution.code, Institution.name, Institution.seats, Institution.zoom_group_id)
    ):
        schools[code] = School(code=code, name=name or "", seats=seats or 0, zoom_group_id=group_id or None)
    if school is not None and school not in schools:
        raise unknown_school(school, sorted(schools))

    stmt = (
        select(
            Person.email,
            Person.given_name,
            Person.family_name,
            Institution.code,
            Membership.role,
            Membership.is_primary,
            Membership.active,
            Membership.left_at,
        )
        .join(Membership, Membership.person_id == Person.id)
        .join(Institution, Institution.id == Membership.institution_id)
    )
    if school is not None:
        in_school = (
            select(Membership.person_id)
            .join(Institution, Institution.id == Membership.institution_id)
            .where(Institution.code == school)
        )
        stmt = stmt.where(Person.id.in_(in_school))  # type: ignore[union-attr]

    # Core rows (not ORM entities): this is the hot path of a 100,000-person plan.
    members: dict[str, list[Member]] = {}
    names: dict[str, tuple[str, str]] = {}
    for email, given, family, code, role, is_primary, active, left_at in (
        session.connection().execute(stmt).all()
    ):
        member = new(
            Member, (code, role, bool(is_primary), bool(active), _aware(left_at) if left_at else None)
        )
        found = members.get(email)
        if found is None:
            members[email] = [member]
            names[email] = (given or "", family or "")
        else:
            found.append(member)
    people: dict[str, DesiredPerson] = {}
    for email, ms in members.items():
        if len(ms) > 1:
            ms.sort(key=lambda m: m.institution_code)
        given, family = names[email]
        people[email] = new(DesiredPerson, (email, given, family, tuple(ms)))
    return Desired(schools=schools, people=people, scope=school)


def load_observed(session: Session, *, logins: bool = True) -> Observed:
    """The last Zoom snapshot: users, the latest plan usage, and who the tool manages.

    logins=False leaves last_login_time out (the plan does not need it; reconcile does), which
    saves 100,000 timestamp conversions.
    """
    from sqlalchemy import String, cast, null, select

    from models import AccountSnapshot, ManagedUser, ZoomUserSnapshot

    # role_id is only read when the snapshot table has it (owner/admin protection). group_ids
    # is read as text and decoded only when not empty. Per-user observed_at is left out: the
    # account snapshot's time stands for the sync.
    role_col = getattr(ZoomUserSnapshot, "role_id", None)
    columns: list[Any] = [
        ZoomUserSnapshot.email,
        ZoomUserSnapshot.zoom_id,
        ZoomUserSnapshot.type,
        ZoomUserSnapshot.status,
        cast(ZoomUserSnapshot.group_ids, String),
        ZoomUserSnapshot.large_meeting,
        ZoomUserSnapshot.large_meeting_capacity,
        ZoomUserSnapshot.first_name,
        ZoomUserSnapshot.last_name,
        ZoomUserSnapshot.last_login_time if logins else null(),
    ]
    if role_col is not None:
        columns.append(role_col)
    users: dict[str, ZoomUser] = {}
    # A few hundred distinct group lists over 100,000 users: decode each spelling once.
    group_lists: dict[str, tuple[str, ...]] = {"[]": ()}
    for row in session.connection().execute(select(*columns)).all():
        groups = row[4]
        decoded = group_lists.get(groups) if groups else ()
        if decoded is None:
            decoded = group_lists[groups] = tuple(orjson.loads(groups))
        role_id = row[10] if role_col is not None else None
        users[row[0]] = new(
            ZoomUser,
            (
                row[0],
                row[1] or None,
                row[2] if row[2] is not None else BASIC_TYPE,
                row[3] or "active",
                decoded,
                bool(row[5]),
                row[6],
                str(role_id) if role_id is not None else None,
                row[7] or "",
                row[8] or "",
                _aware(row[9]) if row[9] is not None else None,
                None,
            ),
        )

    account = None
    latest = session.execute(
        select(
            AccountSnapshot.seats_purchased,
            AccountSnapshot.seats_used,
            AccountSnapshot.seats_pending,
            AccountSnapshot.observed_at,
            AccountSnapshot.addons,
        )
        .order_by(AccountSnapshot.observed_at.desc(), AccountSnapshot.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    if latest is not None:
        account = AccountSeats(
            purchased=latest[0] or 0,
            used=latest[1] or 0,
            pending=latest[2] or 0,
            observed_at=_aware(latest[3]),
            addons=dict(latest[4] or {}),
        )
    managed = frozenset(email for (email,) in session.connection().execute(select(ManagedUser.email)))
    return Observed(
        users=users, account=account, managed=managed, licensed_by_us=load_licensed_by_us(session)
    )


# The audit actions that set a user's license type (ActionKind values written by apply).
_TYPE_ACTIONS = ("create", "license", "unlicense", "deactivate", "reactivate")


def load_licensed_by_us(session: Session) -> frozenset[str]:
    """Who our last succeeded license-changing action left Licensed (the audit log, oldest first)."""
    from sqlalchemy import select

    from models import AuditEvent

    stmt = (
        select(AuditEvent.person_email, AuditEvent.after)
        .where(AuditEvent.result == "succeeded", AuditEvent.action.in_(_TYPE_ACTIONS))  # type: ignore[attr-defined]
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )
    last_type: dict[str, int] = {}
    for email, after in session.connection().execute(stmt):
        if email and isinstance(after, Mapping) and after.get("type") is not None:
            last_type[email] = int(after["type"])
    return frozenset(email for email, kind in last_type.items() if kind == LICENSED_TYPE)
