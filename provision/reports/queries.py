"""Read-only answers for the phone call: "who in school 0421 has a license, who waits, and why?"

Everything here is SQL aggregates and indexed look-ups (no Python loop over every person), so each
query answers in well under a second on 100,000 people. Where the facts come from:

- license state: the last Zoom snapshot (ZoomUserSnapshot, one row per email): inactive,
  pending (an invitation not yet accepted, pending since `user_created_at`), licensed (type 2),
  basic (any other type), or "not on Zoom" (no snapshot row);
- who counts against a school: the person's primary membership (a person listed by two schools
  is one Zoom user and holds one seat, at their primary institution);
- who waits and why: the waiting list of the latest plan (col(PlanRecord.data)["waiting"]); waiting is
  the plan's decision (quota order, priorities), never recomputed here. Without a plan there is
  no waiting list, and the answers say "no plan yet". People Zoom refused for good since that
  plan (an apply's blocked operations: a refused domain, no SSO for ssoCreate) wait too, with the
  refusal and its fix as their reason, as the next plan will show them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, null, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from importers import normalize_email  # the importers' rule: a query finds exactly what was stored
from models import (
    AccountSnapshot,
    AuditEvent,
    Institution,
    Membership,
    Person,
    PlanRecord,
    ZoomUserSnapshot,
)
from provision.core.plan import Waiting
from provision.core.product import license_type
from provision.core.state import LICENSED_TYPE
from provision.errors import InputError
from provision.reports.lookup import Match, people_named, rejected_rows
from provision.store.blocks import load_blocked

NO_PLAN = "no plan yet"
SUGGESTIONS = 5

# License states, as an operator reads them.
LICENSED, BASIC, PENDING, INACTIVE, NOT_ON_ZOOM = "licensed", "basic", "pending", "inactive", "not on Zoom"


def license_state(
    snapshot_type: int | None,
    status: str | None,
    *,
    on_zoom: bool,
    zoom_one: int | None = None,
    product: int | None = None,
) -> str:
    """What a person holds in Zoom, from their last snapshot row (deactivation removes licenses).

    `product`: the policy's Zoom One product (Policy.zoom_one_type; None: Zoom Meetings). The
    license is then the one the plan counts (core.product.license_type on the row's zoom_one_type),
    not Zoom's raw `type`: an account may list its holders as Basic (ZOOM_API.md §11)."""
    if not on_zoom:
        return NOT_ON_ZOOM
    if status == "inactive":
        return INACTIVE
    if status == "pending":
        return PENDING
    if snapshot_type is None:
        return BASIC
    return LICENSED if license_type(snapshot_type, zoom_one, product) == LICENSED_TYPE else BASIC


def addons_label(large_meeting: bool | None, capacity: int | None) -> str | None:
    """The add-ons a user holds, e.g. "large meeting 500"."""
    if not large_meeting:
        return None
    return f"large meeting {capacity}" if capacity else "large meeting"


# -- the latest plan's waiting list -----------------------------------------------------------


@dataclass(frozen=True)
class PlanInfo:
    """Which plan the waiting list comes from."""

    fingerprint: str
    created_at: datetime | None
    snapshot_at: datetime | None


@dataclass(frozen=True)
class WaitingList:
    """The latest plan's waiting people (None plan: no plan was ever made)."""

    plan: PlanInfo | None
    entries: tuple[Waiting, ...] = ()

    @property
    def known(self) -> bool:
        return self.plan is not None

    def by_email(self) -> dict[str, Waiting]:
        return {entry.email: entry for entry in self.entries}

    def count_by_school(self) -> dict[str | None, int]:
        """Waiting people per school where they count (not where they are only also listed)."""
        counts: dict[str | None, int] = {}
        for entry in self.entries:
            if entry.counted_at is not None:
                continue
            counts[entry.institution_code] = counts.get(entry.institution_code, 0) + 1
        return counts


def latest_waiting(session: Session, *, school: str | None = None, email: str | None = None) -> WaitingList:
    """The waiting entries of the most recent plan, optionally for one school or one person.

    Only the "waiting" member of the plan's JSON is fetched (the actions can be megabytes).
    """
    row = session.execute(
        select(
            col(PlanRecord.id),
            col(PlanRecord.fingerprint),
            col(PlanRecord.created_at),
            col(PlanRecord.snapshot_at),
        )
        .order_by(col(PlanRecord.created_at).desc(), col(PlanRecord.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return WaitingList(plan=None)
    raw = session.execute(
        select(col(PlanRecord.data)["waiting"]).where(col(PlanRecord.id) == row.id)
    ).scalar()
    info = PlanInfo(fingerprint=row.fingerprint, created_at=row.created_at, snapshot_at=row.snapshot_at)
    entries = []
    for item in raw or ():
        if not isinstance(item, Mapping) or "email" not in item:
            continue
        entry = Waiting.from_data(item)
        if school is not None and entry.institution_code != school:
            continue
        if email is not None and entry.email != email:
            continue
        entries.append(entry)
    listed = {e.email for e in entries if e.counted_at is None}
    entries.extend(e for e in blocked_since(session, row.created_at, email=email) if e.email not in listed)
    if school is not None:
        entries = [e for e in entries if e.institution_code == school]
    return WaitingList(plan=info, entries=tuple(entries))


def blocked_since(session: Session, since: datetime | None, *, email: str | None = None) -> list[Waiting]:
    """People whose change Zoom refused for good after `since` (the latest plan), waiting with
    the refusal and its fix as their reason, at the school where they count."""
    blocks = load_blocked(session, since=since)
    if email is not None:
        blocks = {email: blocks[email]} if email in blocks else {}
    if not blocks:
        return []
    where: dict[str, tuple[str, str]] = {}
    for found, code, role in session.execute(
        select(col(Person.email), col(Institution.code), col(Membership.role))
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .join(Institution, col(Institution.id) == col(Membership.institution_id))
        .where(col(Person.email).in_(list(blocks)), col(Membership.active).is_(True))
        .order_by(col(Membership.is_primary))  # the primary membership last: it wins
    ):
        where[found] = (code, role)
    return [
        Waiting(found, where[found][0], where[found][1], block.reason())
        for found, block in sorted(blocks.items())
        if found in where
    ]


# -- schools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolRow:
    code: str
    name: str
    region: str | None
    kind: str | None
    quota: int
    members: int  # active roster memberships (primary or not)
    licensed: int  # primary members holding a Licensed seat now
    pending: int  # primary members with an invitation not yet accepted
    waiting: int | None  # from the latest plan; None without a plan
    utilization: float | None  # licensed / quota; None for a zero quota
    account: str = ""  # the school's Zoom account ("" the main one; provision.core.accounts)

    def to_data(self) -> dict[str, Any]:
        """The school in every command's JSON vocabulary: institution_code, institution_name."""
        data = asdict(self)
        code, name = data.pop("code"), data.pop("name")
        return {"institution_code": code, "institution_name": name, **data}


@dataclass(frozen=True)
class SchoolsReport:
    schools: list[SchoolRow]
    totals: dict[str, Any]
    plan: PlanInfo | None
    account: dict[str, Any] | None  # the last AccountSnapshot: account_seats()
    note: str | None = None

    def to_data(self) -> dict[str, Any]:
        account = self.account or {}
        return {
            "schools": [row.to_data() for row in self.schools],
            "totals": self.totals,
            "plan": asdict(self.plan) if self.plan else None,
            "seats": account.get("seats"),
            "addons": account.get("addons"),
            "note": self.note,
        }


def _utilization(licensed: int, quota: int) -> float | None:
    return round(licensed / quota, 4) if quota > 0 else None


def _school_counts(
    session: Session, region: str | None, product: int | None
) -> dict[int, tuple[int, int, int]]:
    """Per institution id: active members, and the primary members' Licensed and pending counts.

    Counted per (school, type, zoom_one_type) in SQL, then each group is read Licensed or not by
    core.product.license_type, the rule the plan counts seats by (a handful of groups a school)."""
    active = case((col(ZoomUserSnapshot.status) == "active", 1), else_=0)
    pending = case((col(ZoomUserSnapshot.status) == "pending", 1), else_=0)
    counted = col(Membership.is_primary) == true()
    # "+ 0" stops SQLite from walking the memberships through the institution index to save the
    # GROUP BY sort: that walk reads the table in random order and takes 5x longer than a scan.
    school = (col(Membership.institution_id) + 0).label("institution_id")
    # zoom_one_type is only read under a Zoom One product: under "meetings" the groups stay per type.
    zoom_one = col(ZoomUserSnapshot.zoom_one_type) if product is not None else null()
    groups = [school, col(ZoomUserSnapshot.type)] + ([zoom_one] if product is not None else [])
    stmt = (
        select(
            school,
            col(ZoomUserSnapshot.type),
            zoom_one.label("zoom_one"),
            func.sum(case((col(Membership.active) == true(), 1), else_=0)).label("members"),
            func.sum(case((counted, active), else_=0)).label("active"),
            func.sum(case((counted, pending), else_=0)).label("pending"),
        )
        .join(Person, col(Person.id) == col(Membership.person_id))
        .outerjoin(ZoomUserSnapshot, col(ZoomUserSnapshot.email) == col(Person.email))
        .group_by(*groups)
    )
    if region is not None:  # aggregate only the region's memberships, not the whole country's
        stmt = stmt.where(
            col(Membership.institution_id).in_(
                select(col(Institution.id)).where(col(Institution.region) == region)
            )
        )
    counts: dict[int, tuple[int, int, int]] = {}
    for r in session.execute(stmt):
        members, licensed, invited = counts.get(r.institution_id, (0, 0, 0))
        holds = r.type is not None and license_type(r.type, r.zoom_one, product) == LICENSED_TYPE
        counts[r.institution_id] = (
            members + int(r.members or 0),
            licensed + (int(r.active or 0) if holds else 0),
            invited + int(r.pending or 0),
        )
    return counts


def account_seats(session: Session, account: str = "") -> dict[str, Any] | None:
    """The latest seats of one Zoom account (the main one by default)."""
    snap = session.execute(
        select(AccountSnapshot)
        .where(col(AccountSnapshot.account) == account)
        .order_by(col(AccountSnapshot.observed_at).desc(), col(AccountSnapshot.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    if snap is None:
        return None
    purchased, used, pending = snap.seats_purchased, snap.seats_used, snap.seats_pending or 0
    return {
        "observed_at": snap.observed_at,
        "seats": {
            "purchased": purchased,
            "used": used,
            "pending": pending,
            "free": max(0, purchased - used - pending),
            "observed_at": snap.observed_at,
        },
        "addons": snap.addons,
    }


def schools(session: Session, *, region: str | None = None, product: int | None = None) -> SchoolsReport:
    """Every school (or those of one region) with quota, licensed, pending, waiting, utilization.

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders count as licensed."""
    wanted = region_name(session, region) if region is not None else None
    counts = _school_counts(session, wanted, product)
    stmt = (
        select(
            col(Institution.id),
            col(Institution.code),
            col(Institution.name),
            col(Institution.region),
            col(Institution.kind),
            col(Institution.seats),
            col(Institution.account),
        )
        .order_by(col(Institution.code))
    )
    if wanted is not None:
        stmt = stmt.where(col(Institution.region) == wanted)
    waiting = latest_waiting(session)
    waiting_counts = waiting.count_by_school() if waiting.known else {}
    rows: list[SchoolRow] = []
    for r in session.execute(stmt):
        members, licensed, pending = counts.get(r.id, (0, 0, 0))
        quota = int(r.seats or 0)
        rows.append(
            SchoolRow(
                code=r.code,
                name=r.name,
                region=r.region,
                kind=r.kind,
                quota=quota,
                members=members,
                licensed=licensed,
                pending=pending,
                waiting=waiting_counts.get(r.code, 0) if waiting.known else None,
                utilization=_utilization(licensed, quota),
                account=(r.account or "").strip(),
            )
        )
    return SchoolsReport(
        schools=rows,
        totals=totals_of(rows, waiting_known=waiting.known),
        plan=waiting.plan,
        account=account_seats(session),
        note=None if waiting.known else f"waiting: {NO_PLAN} (run `provision plan`)",
    )


def region_name(session: Session, region: str) -> str:
    """The stored spelling of a region, matched without case; InputError with the closest ones."""
    # SQLite's lower() knows only ASCII ("Київ"): match the few distinct regions in Python.
    names = session.execute(select(col(Institution.region)).distinct()).scalars()
    known = {k.casefold(): k for k in names if k}
    asked = region.strip().casefold()
    if asked in known:
        return known[asked]
    close = difflib.get_close_matches(asked, list(known), n=SUGGESTIONS, cutoff=0.5)
    if not close:  # a few dozen regions at most: list them all
        every = ", ".join(sorted(known.values()))
        raise InputError(f"unknown region {region!r}; known regions: {every}")
    raise InputError(_unknown("region", region, [known[c] for c in close]))


def totals_of(rows: Sequence[SchoolRow], *, waiting_known: bool) -> dict[str, Any]:
    quota = sum(r.quota for r in rows)
    licensed = sum(r.licensed for r in rows)
    return {
        "schools": len(rows),
        "quota": quota,
        "members": sum(r.members for r in rows),
        "licensed": licensed,
        "pending": sum(r.pending for r in rows),
        "waiting": sum(r.waiting or 0 for r in rows) if waiting_known else None,
        "utilization": _utilization(licensed, quota),
    }


# -- one school -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    email: str
    given_name: str | None
    family_name: str | None
    role: str
    primary: bool
    active: bool
    left_at: datetime | None
    license: str
    addons: str | None
    waiting: str | None  # the plan's reason, when this person waits
    last_login: datetime | None
    pending_since: datetime | None
    zoom_id: str | None


@dataclass(frozen=True)
class SchoolReport:
    school: SchoolRow
    members: list[MemberRow]
    plan: PlanInfo | None
    note: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "school": self.school.to_data(),
            "members": [asdict(m) for m in self.members],
            "plan": asdict(self.plan) if self.plan else None,
            "note": self.note,
        }


def find_institution(session: Session, code: str) -> Institution:
    wanted = code.strip()
    found = session.execute(select(Institution).where(col(Institution.code) == wanted)).scalar_one_or_none()
    if found is None:  # codes are short identifiers: "a0421" for "A0421" is not a typo worth an error
        found = session.execute(
            select(Institution).where(func.lower(col(Institution.code)) == wanted.lower())
        ).scalar_one_or_none()
    if found is not None:
        return found
    choices = session.execute(select(col(Institution.code), col(Institution.name))).all()
    by_code = {c: n for c, n in choices}
    by_name = {n.lower(): c for c, n in choices if n}
    matches = difflib.get_close_matches(wanted, list(by_code), n=SUGGESTIONS, cutoff=0.5)
    for name in difflib.get_close_matches(wanted.lower(), list(by_name), n=SUGGESTIONS, cutoff=0.5):
        if by_name[name] not in matches:
            matches.append(by_name[name])
    labels = [f"{c} ({by_code[c]})" for c in matches[:SUGGESTIONS]]
    raise InputError(_unknown("school", wanted, labels))


def _unknown(what: str, value: str, matches: Sequence[str]) -> str:
    if matches:
        return f"unknown {what} {value!r}; closest: {', '.join(matches)}"
    return f"unknown {what} {value!r} (no close match)"


def school(session: Session, code: str, *, product: int | None = None) -> SchoolReport:
    """Every member of one school with role, license state, add-ons, why waiting, last login.

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders read licensed."""
    inst = find_institution(session, code)
    waiting = latest_waiting(session, school=inst.code)
    reasons = waiting.by_email()
    stmt: Select[*tuple[Any, ...]] = (
        select(
            col(Person.email),
            col(Person.given_name),
            col(Person.family_name),
            col(Membership.role),
            col(Membership.is_primary),
            col(Membership.active),
            col(Membership.left_at),
            col(ZoomUserSnapshot.id).label("snapshot_id"),
            col(ZoomUserSnapshot.zoom_id),
            col(ZoomUserSnapshot.type),
            col(ZoomUserSnapshot.zoom_one_type),
            col(ZoomUserSnapshot.status),
            col(ZoomUserSnapshot.large_meeting),
            col(ZoomUserSnapshot.large_meeting_capacity),
            col(ZoomUserSnapshot.last_login_time),
            col(ZoomUserSnapshot.user_created_at),
        )
        .join(Person, col(Person.id) == col(Membership.person_id))
        .outerjoin(ZoomUserSnapshot, col(ZoomUserSnapshot.email) == col(Person.email))
        .where(col(Membership.institution_id) == inst.id)
        .order_by(col(Membership.active).desc(), col(Membership.role), col(Person.email))
    )
    members: list[MemberRow] = []
    for r in session.execute(stmt):
        state = license_state(
            r.type, r.status, on_zoom=r.snapshot_id is not None, zoom_one=r.zoom_one_type, product=product
        )
        wait = reasons.get(r.email)
        members.append(
            MemberRow(
                email=r.email,
                given_name=r.given_name,
                family_name=r.family_name,
                role=r.role,
                primary=bool(r.is_primary),
                active=bool(r.active),
                left_at=r.left_at,
                license=state,
                addons=addons_label(r.large_meeting, r.large_meeting_capacity),
                waiting=wait.reason if wait else None,
                last_login=r.last_login_time,
                pending_since=r.user_created_at if state == PENDING else None,
                zoom_id=r.zoom_id,
            )
        )
    licensed = sum(1 for m in members if m.primary and m.license == LICENSED)
    row = SchoolRow(
        code=inst.code,
        name=inst.name,
        region=inst.region,
        kind=inst.kind,
        quota=int(inst.seats or 0),
        members=sum(1 for m in members if m.active),
        licensed=licensed,
        pending=sum(1 for m in members if m.primary and m.license == PENDING),
        waiting=len(waiting.entries) if waiting.known else None,
        utilization=_utilization(licensed, int(inst.seats or 0)),
        account=(inst.account or "").strip(),
    )
    return SchoolReport(
        school=row,
        members=members,
        plan=waiting.plan,
        note=None if waiting.known else f"waiting: {NO_PLAN} (run `provision plan`)",
    )


# -- one person -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonReport:
    email: str
    person: dict[str, Any] | None  # our records (None: on Zoom or in the audit log only)
    memberships: list[dict[str, Any]]
    snapshot: dict[str, Any] | None  # the last Zoom snapshot row
    license: str
    waiting: dict[str, Any] | None  # where they count
    plan: PlanInfo | None
    history: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    answer: str = ""  # in words: "Licensed", "invitation sent on 2026-11-30, not accepted yet", …
    waiting_at: list[dict[str, Any]] = field(default_factory=list)  # every school's entry
    rejected: list[dict[str, Any]] = field(default_factory=list)  # roster rows rejected at import

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["plan"] = asdict(self.plan) if self.plan else None
        return data


@dataclass(frozen=True)
class MatchesReport:
    """Several people (or none but rejected rows) answer to the name asked for."""

    query: str
    matches: list[Match]
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matches": [asdict(m) for m in self.matches],
            "rejected": self.rejected,
        }


def find_person(session: Session, query: str, *, product: int | None = None) -> PersonReport | MatchesReport:
    """By email (anything with an @), else by name in any script; one match is the full report."""
    if "@" in query:
        return person(session, query, product=product)
    found = people_named(session, query)
    if len(found) == 1:
        return person(session, found[0].email, product=product)
    rejected = [asdict(r) for r in rejected_rows(session, name=query)]
    if found or rejected:
        return MatchesReport(query=query.strip(), matches=found, rejected=rejected)
    raise InputError(
        f"nobody named {query.strip()!r} on any roster or in the rows an import rejected "
        "(names are matched word by word, in any order; an email finds anyone on Zoom too)"
    )


def answer_in_words(
    state: str, invited_on: datetime | None, waiting: Waiting | None, *, on_roster: bool
) -> str:
    """What the person holds, as said on the phone, and why they wait when they do."""
    words = {
        LICENSED: "Licensed",
        BASIC: "Basic (no license)",
        INACTIVE: "Deactivated in Zoom (no license)",
        NOT_ON_ZOOM: "not on Zoom yet" if on_roster else "not on Zoom",
    }
    if state == PENDING:
        when = f" on {invited_on:%Y-%m-%d}" if invited_on else ""
        said = f"invitation sent{when}, not accepted yet"
    else:
        said = words.get(state, state)
    if waiting is not None:
        return f"{said}; {waiting.reason}"
    return said


_EVENT_FIELDS = (
    "at",
    "actor",
    "action",
    "institution_code",
    "person_email",
    "before",
    "after",
    "result",
    "zoom_code",
    "tracking_id",
    "operation_id",
    "detail",
)


def _email_candidates(session: Session, email: str, *, limit: int = 2000) -> list[str]:
    """Known emails sharing a prefix with `email`: an index range scan, never the whole table.

    Progressively shorter prefixes of the local part, so a typo late in the address finds many
    neighbours and one early in it still finds some.
    """
    local = email.split("@", 1)[0]
    found: set[str] = set()
    for length in (len(email), max(len(local) - 1, 1), 4, 2, 1):
        prefix = email[:length]
        if not prefix:
            continue
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        for column in (col(Person.email), col(ZoomUserSnapshot.email)):
            found.update(
                session.execute(
                    select(column).where(column >= prefix, column < upper).order_by(column).limit(limit)
                ).scalars()
            )
        if len(found) >= 50:
            break
    return sorted(found)


def person(session: Session, email: str, *, product: int | None = None) -> PersonReport:
    """Our records, the last snapshot and the full audit history of one person (by email).

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders read licensed."""
    wanted = normalize_email(email)
    found = session.execute(select(Person).where(col(Person.email) == wanted)).scalar_one_or_none()
    snap = session.execute(
        select(ZoomUserSnapshot).where(col(ZoomUserSnapshot.email) == wanted)
    ).scalar_one_or_none()
    events = (
        session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.person_email) == wanted)
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
        .scalars()
        .all()
    )
    rejected = [asdict(r) for r in rejected_rows(session, email=wanted)]
    if found is None and snap is None and not events and not rejected:
        close = difflib.get_close_matches(
            wanted, _email_candidates(session, wanted), n=SUGGESTIONS, cutoff=0.6
        )
        raise InputError(_unknown("person", wanted, close))
    memberships: list[dict[str, Any]] = []
    if found is not None:
        rows = session.execute(
            select(Membership, col(Institution.code), col(Institution.name), col(Institution.account))
            .join(Institution, col(Institution.id) == col(Membership.institution_id))
            .where(col(Membership.person_id) == found.id)
            .order_by(col(Membership.is_primary).desc(), col(Institution.code))
        ).all()
        memberships = [
            {
                "institution_code": code,
                "institution_name": name,
                "role": m.role,
                "primary": bool(m.is_primary),
                "active": bool(m.active),
                "joined_at": m.joined_at,
                "left_at": m.left_at,
                "account": (account or "").strip(),
            }
            for m, code, name, account in rows
        ]
    waiting = latest_waiting(session, email=wanted)
    entry = next((w for w in waiting.entries if w.counted_at is None), None)
    state = license_state(
        snap.type if snap else None,
        snap.status if snap else None,
        on_zoom=snap is not None,
        zoom_one=snap.zoom_one_type if snap else None,
        product=product,
    )
    invited = [e.at for e in events if e.action == "create" and e.result == "succeeded"]
    invited_on = invited[-1] if invited else (snap.user_created_at if snap else None)
    return PersonReport(
        email=wanted,
        person=_person_data(found),
        memberships=memberships,
        snapshot=_snapshot_data(snap),
        license=state,
        waiting=entry.to_data() if entry else None,
        plan=waiting.plan,
        history=[{name: getattr(event, name) for name in _EVENT_FIELDS} for event in events],
        note=None if waiting.known else f"waiting: {NO_PLAN} (run `provision plan`)",
        answer=answer_in_words(state, invited_on, entry, on_roster=bool(memberships)),
        waiting_at=[w.to_data() for w in waiting.entries],
        rejected=rejected,
    )


def _person_data(found: Person | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "email": found.email,
        "given_name": found.given_name,
        "family_name": found.family_name,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }


def _snapshot_data(snap: ZoomUserSnapshot | None) -> dict[str, Any] | None:
    if snap is None:
        return None
    return {
        "zoom_id": snap.zoom_id,
        "type": snap.type,
        "status": snap.status,
        "first_name": snap.first_name,
        "last_name": snap.last_name,
        "dept": snap.dept,
        "group_ids": list(snap.group_ids or []),
        "addons": addons_label(snap.large_meeting, snap.large_meeting_capacity),
        "last_login_time": snap.last_login_time,
        "user_created_at": snap.user_created_at,
        "pending_since": snap.user_created_at if snap.status == "pending" else None,
        "observed_at": snap.observed_at,
        "account": snap.account,  # the Zoom account the user is in ("" the main one)
    }


def regions(rows: Iterable[SchoolRow]) -> list[dict[str, Any]]:
    """Quota, licensed and utilization per region (the Summary chart's data)."""
    by_region: dict[str, list[int]] = {}
    for row in rows:
        key = row.region or "(none)"
        acc = by_region.setdefault(key, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += row.quota
        acc[2] += row.licensed
        acc[3] += row.waiting or 0
    return [
        {
            "region": key,
            "schools": n,
            "quota": quota,
            "licensed": licensed,
            "waiting": waiting,
            "utilization": _utilization(licensed, quota),
        }
        for key, (n, quota, licensed, waiting) in sorted(by_region.items())
    ]


def school_code(session: Session, code: str) -> str:
    """The stored code of a school (case forgiven), or InputError with the closest matches."""
    return find_institution(session, code).code
