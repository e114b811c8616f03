"""Read the plan's two inputs from the database: the rosters (desired) and the last snapshot (observed).

A few set-based queries, no query per row: 100,000 people must load in well under a second or two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import String, cast, null, select
from sqlalchemy.orm import Session

from models import AccountSnapshot, AuditEvent, Institution, ManagedUser, Membership, Person, ZoomUserSnapshot
from provision.core.actions import TYPE_SETTING
from provision.core.state import (
    AccountSeats,
    Desired,
    DesiredPerson,
    Member,
    Observed,
    School,
    ZoomUser,
    unknown_school,
)
from zoom_client import UserType

# tuple.__new__(NamedTupleClass, values) builds the NamedTuple in C, skipping its Python-level
# __new__: with 100,000 rows per table that is most of the loading time. Values go in field order.
new = tuple.__new__


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def load_desired(session: Session, *, school: str | None = None) -> Desired:
    """Every institution, and every person with a membership (of `school` only, if given).

    A person's memberships at other schools are loaded too: a person counts once, at their
    primary institution, so a school's view needs them.
    """
    schools: dict[str, School] = {}
    for code, name, seats, group_id, region in session.execute(
        select(
            Institution.code,
            Institution.name,
            Institution.seats,
            Institution.zoom_group_id,
            Institution.region,
        )
    ):
        schools[code] = School(
            code=code, name=name or "", seats=seats or 0, zoom_group_id=group_id or None, region=region or ""
        )
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
            Membership.priority,
            Membership.position,
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
    for email, given, family, code, role, is_primary, active, left_at, priority, position in (
        session.connection().execute(stmt).all()
    ):
        member = new(
            Member,
            (
                code,
                role,
                bool(is_primary),
                bool(active),
                _aware(left_at) if left_at else None,
                priority,
                position,
            ),
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
                row[2] if row[2] is not None else UserType.BASIC,
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
            AccountSnapshot.pools,
            AccountSnapshot.seat_pool,
            AccountSnapshot.pending_reading,
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
            pools=dict(latest[5] or {}),
            seat_pool=latest[6] or "plan_base",
            reading=latest[7],
        )
    managed = frozenset(email for (email,) in session.connection().execute(select(ManagedUser.email)))
    return Observed(
        users=users, account=account, managed=managed, licensed_by_us=load_licensed_by_us(session)
    )


# The audit actions that set a user's license type (the registry's kinds with sets_type).
_TYPE_ACTIONS = TYPE_SETTING


def load_licensed_by_us(session: Session) -> frozenset[str]:
    """Who our last succeeded license-changing action left Licensed (the audit log, oldest first)."""
    stmt = (
        select(AuditEvent.person_email, AuditEvent.after)
        .where(AuditEvent.result == "succeeded", AuditEvent.action.in_(_TYPE_ACTIONS))  # type: ignore[attr-defined]
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )
    last_type: dict[str, int] = {}
    for email, after in session.connection().execute(stmt):
        if email and isinstance(after, Mapping) and after.get("type") is not None:
            last_type[email] = int(after["type"])
    return frozenset(email for email, kind in last_type.items() if kind == UserType.LICENSED)
