"""Read the plan's two inputs from the database: the rosters (desired) and the last snapshot (observed).

A few set-based queries, no query per row: 100,000 people must load in well under a second or two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import (
    AccountSnapshot,
    AuditEvent,
    Institution,
    Operation,
)
from models.reader import as_reader
from provision.core.accounts import MAIN, account_key
from provision.core.invitations import EXPIRED_EVENT, Invitations
from provision.core.kinds import ActionKind
from provision.core.product import license_type
from provision.core.state import (
    BASIC_TYPE,
    AccountSeats,
    Desired,
    DesiredPerson,
    Member,
    Observed,
    School,
    ZoomUser,
    unknown_school,
)
from provision.store.blocks import aware as _aware
from provision.store.blocks import load_blocked
from provision.store.history import license_runs, licensed_by_us, load_contests

# tuple.__new__(NamedTupleClass, values) builds the NamedTuple in C, skipping its Python-level
# __new__: with 100,000 rows per table that is most of the loading time. Values go in field order.
new = tuple.__new__


def load_desired(session: Session, *, school: str | None = None) -> Desired:
    """Every institution, and every person with a membership (of `school` only, if given).

    A person's memberships at other schools are loaded too: a person counts once, at their
    primary institution, so a school's view needs them.
    """
    schools: dict[str, School] = {}
    for code, name, seats, group_id, region, account in session.execute(
        select(
            col(Institution.code),
            col(Institution.name),
            col(Institution.seats),
            col(Institution.zoom_group_id),
            col(Institution.region),
            col(Institution.account),
        )
    ):
        schools[code] = School(
            code=code,
            name=name or "",
            seats=seats or 0,
            zoom_group_id=group_id or None,
            region=region or "",
            account=account_key(account),
        )
    if school is not None and school not in schools:
        raise unknown_school(school, sorted(schools))

    # Plain SQL through the session's own connection (models.reader): this is the hot path of a
    # 100,000-person plan, and SQLAlchemy's result rows and type processing cost more than the read.
    db = as_reader(session)
    sql = (
        "SELECT person.email, person.given_name, person.family_name, institution.code, "
        "membership.role, membership.is_primary, membership.active, membership.left_at, "
        "membership.priority, membership.position "
        "FROM person JOIN membership ON membership.person_id = person.id "
        "JOIN institution ON institution.id = membership.institution_id"
    )
    params: dict[str, Any] = {}
    if school is not None:
        sql += (
            " WHERE person.id IN (SELECT membership.person_id FROM membership JOIN institution "
            "ON institution.id = membership.institution_id WHERE institution.code = :school)"
        )
        params["school"] = school
    when = db.when
    people: dict[str, DesiredPerson] = {}
    several: set[str] = set()  # listed by more than one school (2%): sorted below
    for email, given, family, code, role, is_primary, active, left_at, priority, position in db.rows(
        sql, params
    ):
        member = new(
            Member,
            (
                code,
                role,
                bool(is_primary),
                bool(active),
                when(left_at) if left_at else None,
                priority,
                position,
            ),
        )
        found = people.get(email)
        if found is None:
            people[email] = new(DesiredPerson, (email, given or "", family or "", (member,)))
        else:
            people[email] = found._replace(memberships=(*found.memberships, member))
            several.add(email)
    for email in several:
        found = people[email]
        ordered = tuple(sorted(found.memberships, key=lambda m: m.institution_code))
        people[email] = found._replace(memberships=ordered)
    return Desired(schools=schools, people=people, scope=school)


def load_observed(session: Session, *, logins: bool = True, product: int | None = None) -> Observed:
    """The last Zoom snapshot: users, the latest plan usage, and who the tool manages.

    `product`: the policy's Zoom One product (Policy.zoom_one_type). A user's `type` is then read
    as the plan sees it (core.product.license_type): Licensed when they hold that product.

    logins=False leaves last_login_time out (the plan does not need it; reconcile does), which
    saves 100,000 timestamp conversions.
    """
    # group_ids is read as text and decoded only when not empty. Per-user observed_at is left
    # out: the account snapshot's time stands for the sync. Plain SQL, as in load_desired.
    db = as_reader(session)
    when = db.when
    sql = (
        "SELECT email, zoom_id, type, status, CAST(group_ids AS TEXT), large_meeting, "
        "large_meeting_capacity, first_name, last_name, "
        f"{'last_login_time' if logins else 'NULL'}, account, "
        f"{'zoom_one_type' if product is not None else 'NULL'}, role_id FROM zoom_user_snapshot"
    )
    users: dict[str, ZoomUser] = {}
    # A few hundred distinct group lists over 100,000 users: decode each spelling once.
    group_lists: dict[str, tuple[str, ...]] = {"[]": ()}
    for row in db.rows(sql):
        groups = row[4]
        decoded = group_lists.get(groups) if groups else ()
        if decoded is None:
            decoded = group_lists[groups] = tuple(orjson.loads(groups))
        role_id = row[12]
        raw_type = row[2] if row[2] is not None else BASIC_TYPE
        users[row[0]] = new(
            ZoomUser,
            (
                row[0],
                row[1] or None,
                raw_type if product is None else license_type(raw_type, row[11], product),
                row[3] or "active",
                decoded,
                bool(row[5]),
                row[6],
                str(role_id) if role_id is not None else None,
                row[7] or "",
                row[8] or "",
                when(row[9]) if row[9] is not None else None,
                None,
                row[10] or MAIN,
            ),
        )

    accounts = load_account_seats(session)
    account = accounts.get(MAIN)
    managed = frozenset(email for (email,) in db.rows("SELECT email FROM managed_user"))
    runs = license_runs(session)
    return Observed(
        users=users,
        account=account,
        managed=managed,
        licensed_by_us=licensed_by_us(runs),
        blocked=load_blocked(session),
        invitations=load_invitations(session),
        contested=load_contests(session, runs, users, account.observed_at if account is not None else None),
        accounts=accounts,
        created_today=load_created_today(session),
    )


def load_account_seats(session: Session) -> dict[str, AccountSeats]:
    """Each account's latest plan usage (its newest AccountSnapshot row), by account key."""
    newest = (
        select(col(AccountSnapshot.account), func.max(col(AccountSnapshot.id)).label("id"))
        .group_by(col(AccountSnapshot.account))
        .subquery()
    )
    rows = session.execute(
        select(
            col(AccountSnapshot.account),
            col(AccountSnapshot.seats_purchased),
            col(AccountSnapshot.seats_used),
            col(AccountSnapshot.seats_pending),
            col(AccountSnapshot.observed_at),
            col(AccountSnapshot.addons),
            col(AccountSnapshot.pools),
            col(AccountSnapshot.seat_pool),
            col(AccountSnapshot.pending_reading),
        ).join(newest, newest.c.id == col(AccountSnapshot.id))
    ).all()
    return {
        row[0] or MAIN: AccountSeats(
            purchased=row[1] or 0,
            used=row[2] or 0,
            pending=row[3] or 0,
            observed_at=_aware(row[4]),
            addons=dict(row[5] or {}),
            pools=dict(row[6] or {}),
            seat_pool=row[7] or "plan_base",
            reading=row[8],
        )
        for row in rows
    }


def load_created_today(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Users each account was asked to create since 00:00 UTC (Zoom's daily create cap resets
    then, ZOOM_API.md §4): creates succeeded or sent (a sent one may have reached Zoom)."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    op = Operation
    rows = session.connection().execute(
        select(col(op.account), func.count())
        .where(
            col(op.kind) == "create",
            col(op.state).in_(("succeeded", "sent")),
            col(op.updated_at) >= midnight,
        )
        .group_by(col(op.account))
    )
    return {account or MAIN: int(n) for account, n in rows}


def load_invitations(session: Session) -> dict[str, Invitations]:
    """Each person's expired invitations (the audit events sync recorded) and the invitations we
    sent them after the first expiry (succeeded creates): provision.core.invitations."""
    conn = session.connection()
    expired: dict[str, list[datetime]] = {}
    for email, at in conn.execute(
        select(col(AuditEvent.person_email), col(AuditEvent.at))
        .where(col(AuditEvent.action) == EXPIRED_EVENT)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ):
        if email:
            expired.setdefault(email, []).append(_aware(at) or at)
    if not expired:
        return {}
    resent: dict[str, list[datetime]] = {}
    emails = list(expired)
    for start in range(0, len(emails), 500):
        for email, at in conn.execute(
            select(col(AuditEvent.person_email), col(AuditEvent.at))
            .where(
                col(AuditEvent.action) == ActionKind.CREATE.value,
                col(AuditEvent.result) == "succeeded",
                col(AuditEvent.person_email).in_(emails[start : start + 500]),
            )
            .order_by(col(AuditEvent.at))
        ):
            when = _aware(at) or at
            if email and when > expired[email][0]:
                resent.setdefault(email, []).append(when)
    return {
        email: Invitations(expired=tuple(times), resent=tuple(resent.get(email, ())))
        for email, times in expired.items()
    }
