"""Read the plan's two inputs from the database: the rosters (desired) and the last snapshot (observed).

A few set-based queries, no query per row: 100,000 people must load in well under a second or two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from models.reader import Reader, as_reader, in_list
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
from provision.store.blocks import load_blocked
from provision.store.history import license_runs, licensed_by_us, load_contests

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# tuple.__new__(NamedTupleClass, values) builds the NamedTuple in C, skipping its Python-level
# __new__: with 100,000 rows per table that is most of the loading time. Values go in field order.
new = tuple.__new__


def load_desired(source: Reader | Session, *, school: str | None = None) -> Desired:
    """Every institution, and every person with a membership (of `school` only, if given).

    A person's memberships at other schools are loaded too: a person counts once, at their
    primary institution, so a school's view needs them.
    """
    # Plain SQL through the database driver (models.reader): this is the hot path of a
    # 100,000-person plan, and SQLAlchemy's result rows and type processing cost more than the read.
    db = as_reader(source)
    schools: dict[str, School] = {}
    for code, name, seats, group_id, region, account in db.rows(
        "SELECT code, name, seats, zoom_group_id, region, account FROM institution"
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
    for email, given, family, code, role, is_primary, active, left_at, priority, position in db.stream(
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


def load_observed(
    source: Reader | Session, *, logins: bool = True, product: int | None = None
) -> Observed:
    """The last Zoom snapshot: users, the latest plan usage, and who the tool manages.

    `product`: the policy's Zoom One product (Policy.zoom_one_type). A user's `type` is then read
    as the plan sees it (core.product.license_type): Licensed when they hold that product.

    logins=False leaves last_login_time out (the plan does not need it; reconcile does), which
    saves 100,000 timestamp conversions.
    """
    # group_ids is read as text and decoded only when not empty. Per-user observed_at is left
    # out: the account snapshot's time stands for the sync. Plain SQL, as in load_desired.
    db = as_reader(source)
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
    for row in db.stream(sql):
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

    accounts = load_account_seats(db)
    account = accounts.get(MAIN)
    managed = frozenset(email for (email,) in db.stream("SELECT email FROM managed_user"))
    runs = license_runs(db)
    return Observed(
        users=users,
        account=account,
        managed=managed,
        licensed_by_us=licensed_by_us(runs),
        blocked=load_blocked(db),
        invitations=load_invitations(db),
        contested=load_contests(db, runs, users, account.observed_at if account is not None else None),
        accounts=accounts,
        created_today=load_created_today(db),
    )


def load_account_seats(source: Reader | Session) -> dict[str, AccountSeats]:
    """Each account's latest plan usage (its newest AccountSnapshot row), by account key."""
    db = as_reader(source)
    rows = db.rows(
        "SELECT a.account, a.seats_purchased, a.seats_used, a.seats_pending, a.observed_at, a.addons, "
        "a.pools, a.seat_pool, a.pending_reading FROM account_snapshot a JOIN "
        "(SELECT account, MAX(id) AS id FROM account_snapshot GROUP BY account) newest ON newest.id = a.id"
    )
    return {
        row[0] or MAIN: AccountSeats(
            purchased=row[1] or 0,
            used=row[2] or 0,
            pending=row[3] or 0,
            observed_at=db.when(row[4]),
            addons=dict(db.json(row[5]) or {}),
            pools=dict(db.json(row[6]) or {}),
            seat_pool=row[7] or "plan_base",
            reading=row[8],
        )
        for row in rows
    }


def load_created_today(source: Reader | Session, *, now: datetime | None = None) -> dict[str, int]:
    """Users each account was asked to create since 00:00 UTC (Zoom's daily create cap resets
    then, ZOOM_API.md §4): creates succeeded or sent (a sent one may have reached Zoom)."""
    db = as_reader(source)
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.rows(
        "SELECT account, COUNT(*) FROM operation WHERE kind = 'create' "
        "AND state IN ('succeeded', 'sent') AND updated_at >= :midnight GROUP BY account",
        {"midnight": db.stamp(midnight)},
    )
    return {account or MAIN: int(n) for account, n in rows}


def load_invitations(source: Reader | Session) -> dict[str, Invitations]:
    """Each person's expired invitations (the audit events sync recorded) and the invitations we
    sent them after the first expiry (succeeded creates): provision.core.invitations."""
    db = as_reader(source)
    expired: dict[str, list[datetime]] = {}
    for email, at in db.rows(
        "SELECT person_email, at FROM audit_event WHERE action = :expired ORDER BY at, id",
        {"expired": EXPIRED_EVENT},
    ):
        if email:
            expired.setdefault(email, []).append(_when(db, at))
    if not expired:
        return {}
    resent: dict[str, list[datetime]] = {}
    emails = list(expired)
    for start in range(0, len(emails), 500):
        wanted, chosen = in_list("e", emails[start : start + 500])
        for email, at in db.rows(
            "SELECT person_email, at FROM audit_event WHERE action = :create AND result = 'succeeded' "
            f"AND person_email IN {wanted} ORDER BY at",
            {"create": ActionKind.CREATE.value, **chosen},
        ):
            when = _when(db, at)
            if email and when > expired[email][0]:
                resent.setdefault(email, []).append(when)
    return {
        email: Invitations(expired=tuple(times), resent=tuple(resent.get(email, ())))
        for email, times in expired.items()
    }


def _when(db: Reader, at: Any) -> datetime:
    when = db.when(at)
    assert when is not None  # an event's time is never empty
    return when
