"""Read-only answers for the phone call: "who in school 0421 has a license, who waits, and why?"

Everything here is SQL aggregates and indexed look-ups (no Python loop over every person), so each
query answers in well under a second on 100,000 people. Where the facts come from:

- license state: the last Zoom snapshot (ZoomUserSnapshot, one row per email): inactive,
  pending (an invitation not yet accepted, pending since `user_created_at`), licensed (type 2;
  under a Zoom One policy `license`, holding that product by the snapshot's zoom_one_type, as
  core.product.license_type reads it for the plan), basic (anything else), or "not on Zoom";
- who counts against a school: the person's primary membership (a person listed by two schools
  is one Zoom user and holds one seat, at their primary institution);
- who waits and why: the waiting list of the latest plan (col(PlanRecord.data)["waiting"]); waiting is
  the plan's decision (quota order, priorities), never recomputed here. Without a plan there is
  no waiting list, and the answers say "no plan yet". People Zoom refused for good since that
  plan (an apply's blocked operations: a refused domain, no SSO for ssoCreate) wait too, with the
  refusal and its fix as their reason, as the next plan will show them.

The SQL is plain text read through models.reader: the same on SQLite and PostgreSQL, run on a
connection of its own by the CLI (which then loads no SQLAlchemy) or on a session's connection
by the exports. Every function takes either.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from importers import normalize_email  # the importers' rule: a query finds exactly what was stored
from models.reader import Reader, as_reader, in_list
from provision.core.product import license_type
from provision.core.state import LICENSED_TYPE
from provision.core.waiting import Waiting
from provision.errors import InputError
from provision.reports.lookup import Match, people_named, rejected_rows
from provision.store.blocks import load_blocked

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


def latest_waiting(
    source: Reader | Session, *, school: str | None = None, email: str | None = None
) -> WaitingList:
    """The waiting entries of the most recent plan, optionally for one school or one person.

    Only the "waiting" member of the plan's JSON is fetched (the actions can be megabytes).
    """
    db = as_reader(source)
    found = db.rows(
        "SELECT id, fingerprint, created_at, snapshot_at FROM plan_record "
        "ORDER BY created_at DESC, id DESC LIMIT 1"
    )
    if not found:
        return WaitingList(plan=None)
    plan_id, fingerprint, created_at, snapshot_at = found[0]
    member = db.json_member("data", "waiting")
    raw = db.json(db.rows(f"SELECT {member} FROM plan_record WHERE id = :id", {"id": plan_id})[0][0])
    info = PlanInfo(fingerprint=fingerprint, created_at=db.when(created_at), snapshot_at=db.when(snapshot_at))
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
    entries.extend(e for e in blocked_since(db, info.created_at, email=email) if e.email not in listed)
    if school is not None:
        entries = [e for e in entries if e.institution_code == school]
    return WaitingList(plan=info, entries=tuple(entries))


def blocked_since(
    source: Reader | Session, since: datetime | None, *, email: str | None = None
) -> list[Waiting]:
    """People whose change Zoom refused for good after `since` (the latest plan), waiting with
    the refusal and its fix as their reason, at the school where they count."""
    db = as_reader(source)
    blocks = load_blocked(db, since=since)
    if email is not None:
        blocks = {email: blocks[email]} if email in blocks else {}
    if not blocks:
        return []
    where: dict[str, tuple[str, str]] = {}
    emails = list(blocks)
    for start in range(0, len(emails), 500):
        wanted, params = in_list("e", emails[start : start + 500])
        for found, code, role in db.rows(
            "SELECT p.email, i.code, m.role FROM person p JOIN membership m ON m.person_id = p.id "
            f"JOIN institution i ON i.id = m.institution_id WHERE p.email IN {wanted} AND m.active "
            "ORDER BY m.is_primary",  # the primary membership last: it wins
            params,
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


# Per institution, type and zoom_one_type: active members, and the primary members' active and
# pending counts. Whether a group holds the license is core.product.license_type's to say
# (_school_counts), the rule the plan counts seats by: a handful of groups a school.
# "+ 0" stops SQLite from walking the memberships through the institution index to save the
# GROUP BY sort: that walk reads the table in random order and takes 5x longer than a scan.
_SCHOOL_COUNTS = """
    SELECT m.institution_id + 0 AS institution_id, z.type, z.zoom_one_type,
           SUM(CASE WHEN m.active THEN 1 ELSE 0 END) AS members,
           SUM(CASE WHEN m.is_primary AND z.status = 'active' THEN 1 ELSE 0 END) AS active,
           SUM(CASE WHEN m.is_primary AND z.status = 'pending' THEN 1 ELSE 0 END) AS pending
    FROM membership m
    JOIN person p ON p.id = m.person_id
    LEFT JOIN zoom_user_snapshot z ON z.email = p.email
    {where}
    GROUP BY m.institution_id + 0, z.type, z.zoom_one_type
"""
# only the region's memberships are aggregated, not the whole country's
_IN_REGION = "WHERE m.institution_id IN (SELECT id FROM institution WHERE region = :region)"


def account_seats(source: Reader | Session, account: str = "") -> dict[str, Any] | None:
    """The latest seats of one Zoom account (the main one by default; None before a sync)."""
    db = as_reader(source)
    found = db.rows(
        "SELECT observed_at, seats_purchased, seats_used, seats_pending, addons FROM account_snapshot "
        "WHERE account = :account ORDER BY observed_at DESC, id DESC LIMIT 1",
        {"account": account},
    )
    if not found:
        return None
    observed_at, purchased, used, pending = found[0][:4]
    observed, pending = db.when(observed_at), pending or 0
    return {
        "observed_at": observed,
        "seats": {
            "purchased": purchased,
            "used": used,
            "pending": pending,
            "free": max(0, purchased - used - pending),
            "observed_at": observed,
        },
        "addons": db.json(found[0][4]),
    }


def _school_counts(
    db: Reader, params: dict[str, Any], region: bool, product: int | None
) -> dict[int, tuple[int, int, int]]:
    """Per institution id: active members, and the primary members' Licensed and pending counts."""
    counts: dict[int, tuple[int, int, int]] = {}
    sql = _SCHOOL_COUNTS.format(where=_IN_REGION if region else "")
    for school, type_, zoom_one, members, active, pending in db.rows(sql, params):
        before = counts.get(school, (0, 0, 0))
        holds = type_ is not None and license_type(type_, zoom_one, product) == LICENSED_TYPE
        counts[school] = (
            before[0] + int(members or 0),
            before[1] + (int(active or 0) if holds else 0),
            before[2] + int(pending or 0),
        )
    return counts


def schools(
    source: Reader | Session, *, region: str | None = None, product: int | None = None
) -> SchoolsReport:
    """Every school (or those of one region) with quota, licensed, pending, waiting, utilization.

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders count as licensed."""
    db = as_reader(source)
    wanted = region_name(db, region) if region is not None else None
    sql = (
        "SELECT i.id, i.code, i.name, i.region, i.kind, i.seats, i.account FROM institution i "
        + ("WHERE i.region = :region " if wanted is not None else "")
        + "ORDER BY i.code"
    )
    waiting = latest_waiting(db)
    waiting_counts = waiting.count_by_school() if waiting.known else {}
    rows: list[SchoolRow] = []
    params = {"region": wanted} if wanted is not None else {}
    counts = _school_counts(db, params, wanted is not None, product)
    for id_, code, name, region_, kind, seats, account in db.rows(sql, params):
        members, licensed, pending = counts.get(id_, (0, 0, 0))
        quota = int(seats or 0)
        rows.append(
            SchoolRow(
                code=code,
                name=name,
                region=region_,
                kind=kind,
                quota=quota,
                members=members,
                licensed=licensed,
                pending=pending,
                waiting=waiting_counts.get(code, 0) if waiting.known else None,
                utilization=_utilization(licensed, quota),
                account=(account or "").strip(),
            )
        )
    return SchoolsReport(
        schools=rows,
        totals=totals_of(rows, waiting_known=waiting.known),
        plan=waiting.plan,
        account=account_seats(db),
        note=None if waiting.known else f"waiting: {NO_PLAN} (run `provision plan`)",
    )


def region_name(source: Reader | Session, region: str) -> str:
    """The stored spelling of a region, matched without case; InputError with the closest ones."""
    # SQLite's lower() knows only ASCII ("Київ"): match the few distinct regions in Python.
    names = [r[0] for r in as_reader(source).rows("SELECT DISTINCT region FROM institution")]
    known = {k.casefold(): k for k in names if k}
    asked = region.strip().casefold()
    if asked in known:
        return str(known[asked])
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


@dataclass(frozen=True)
class InstitutionRow:
    """A school as the tables hold it."""

    id: int
    code: str
    name: str
    region: str | None
    kind: str | None
    seats: int
    account: str | None


_INSTITUTION = "SELECT id, code, name, region, kind, seats, account FROM institution"


def find_institution(source: Reader | Session, code: str) -> InstitutionRow:
    """The school with this code (case forgiven), or InputError with the closest codes and names."""
    db = as_reader(source)
    wanted = code.strip()
    found = db.rows(f"{_INSTITUTION} WHERE code = :code", {"code": wanted})
    if not found:  # codes are short identifiers: "a0421" for "A0421" is not a typo worth an error
        found = db.rows(f"{_INSTITUTION} WHERE lower(code) = :code", {"code": wanted.lower()})
    if len(found) == 1:
        return InstitutionRow(*found[0])
    choices = db.rows("SELECT code, name FROM institution")
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


def school(source: Reader | Session, code: str, *, product: int | None = None) -> SchoolReport:
    """Every member of one school with role, license state, add-ons, why waiting, last login.

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders read licensed."""
    db = as_reader(source)
    inst = find_institution(db, code)
    waiting = latest_waiting(db, school=inst.code)
    reasons = waiting.by_email()
    found = db.rows(
        "SELECT p.email, p.given_name, p.family_name, m.role, m.is_primary, m.active, m.left_at, "
        "z.id, z.zoom_id, z.type, z.status, z.large_meeting, z.large_meeting_capacity, "
        "z.last_login_time, z.user_created_at, z.zoom_one_type "
        "FROM membership m JOIN person p ON p.id = m.person_id "
        "LEFT JOIN zoom_user_snapshot z ON z.email = p.email "
        "WHERE m.institution_id = :school ORDER BY m.active DESC, m.role, p.email",
        {"school": inst.id},
    )
    members: list[MemberRow] = []
    for (
        email,
        given,
        family,
        role,
        primary,
        active,
        left_at,
        snapshot_id,
        zoom_id,
        type_,
        status,
        large,
        capacity,
        last_login,
        created,
        zoom_one,
    ) in found:
        state = license_state(
            type_, status, on_zoom=snapshot_id is not None, zoom_one=zoom_one, product=product
        )
        wait = reasons.get(email)
        members.append(
            MemberRow(
                email=email,
                given_name=given,
                family_name=family,
                role=role,
                primary=db.flag(primary),
                active=db.flag(active),
                left_at=db.when(left_at),
                license=state,
                addons=addons_label(db.flag(large) if large is not None else None, capacity),
                waiting=wait.reason if wait else None,
                last_login=db.when(last_login),
                pending_since=db.when(created) if state == PENDING else None,
                zoom_id=zoom_id,
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


def find_person(
    source: Reader | Session, query: str, *, product: int | None = None
) -> PersonReport | MatchesReport:
    """By email (anything with an @), else by name in any script; one match is the full report."""
    db = as_reader(source)
    if "@" in query:
        return person(db, query, product=product)
    found = people_named(db, query)
    if len(found) == 1:
        return person(db, found[0].email, product=product)
    rejected = [asdict(r) for r in rejected_rows(db, name=query)]
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


def _email_candidates(db: Reader, email: str, *, limit: int = 2000) -> list[str]:
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
        for table in ("person", "zoom_user_snapshot"):
            found.update(
                r[0]
                for r in db.rows(
                    f"SELECT email FROM {table} WHERE email >= :low AND email < :high "
                    "ORDER BY email LIMIT :n",
                    {"low": prefix, "high": upper, "n": limit},
                )
            )
        if len(found) >= 50:
            break
    return sorted(found)


_SNAPSHOT_COLUMNS = (
    "zoom_id",
    "type",
    "status",
    "first_name",
    "last_name",
    "dept",
    "group_ids",
    "large_meeting",
    "large_meeting_capacity",
    "last_login_time",
    "user_created_at",
    "observed_at",
    "account",
    "zoom_one_type",
)


def person(source: Reader | Session, email: str, *, product: int | None = None) -> PersonReport:
    """Our records, the last snapshot and the full audit history of one person (by email).

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders read licensed."""
    db = as_reader(source)
    wanted = normalize_email(email)
    people = db.rows(
        "SELECT id, email, given_name, family_name, created_at, updated_at FROM person WHERE email = :email",
        {"email": wanted},
    )
    snaps = db.rows(
        f"SELECT {', '.join(_SNAPSHOT_COLUMNS)} FROM zoom_user_snapshot WHERE email = :email",
        {"email": wanted},
    )
    snap = dict(zip(_SNAPSHOT_COLUMNS, snaps[0], strict=True)) if snaps else None
    events = [
        {
            name: db.json(value) if name in ("before", "after") else value
            for name, value in zip(_EVENT_FIELDS, row, strict=True)
        }
        for row in db.rows(
            f"SELECT {', '.join(_EVENT_FIELDS)} FROM audit_event WHERE person_email = :email ORDER BY at, id",
            {"email": wanted},
        )
    ]
    for event in events:
        event["at"] = db.when(event["at"])
    rejected = [asdict(r) for r in rejected_rows(db, email=wanted)]
    if not people and snap is None and not events and not rejected:
        close = difflib.get_close_matches(wanted, _email_candidates(db, wanted), n=SUGGESTIONS, cutoff=0.6)
        raise InputError(_unknown("person", wanted, close))
    memberships: list[dict[str, Any]] = []
    if people:
        rows = db.rows(
            "SELECT i.code, i.name, i.account, m.role, m.is_primary, m.active, m.joined_at, m.left_at "
            "FROM membership m JOIN institution i ON i.id = m.institution_id "
            "WHERE m.person_id = :person ORDER BY m.is_primary DESC, i.code",
            {"person": people[0][0]},
        )
        memberships = [
            {
                "institution_code": code,
                "institution_name": name,
                "role": role,
                "primary": db.flag(primary),
                "active": db.flag(active),
                "joined_at": db.when(joined_at),
                "left_at": db.when(left_at),
                "account": (account or "").strip(),
            }
            for code, name, account, role, primary, active, joined_at, left_at in rows
        ]
    waiting = latest_waiting(db, email=wanted)
    entry = next((w for w in waiting.entries if w.counted_at is None), None)
    state = license_state(
        snap["type"] if snap else None,
        snap["status"] if snap else None,
        on_zoom=snap is not None,
        zoom_one=snap["zoom_one_type"] if snap else None,
        product=product,
    )
    invited = [e["at"] for e in events if e["action"] == "create" and e["result"] == "succeeded"]
    invited_on = invited[-1] if invited else (db.when(snap["user_created_at"]) if snap else None)
    return PersonReport(
        email=wanted,
        person=_person_data(db, people[0]) if people else None,
        memberships=memberships,
        snapshot=_snapshot_data(db, snap),
        license=state,
        waiting=entry.to_data() if entry else None,
        plan=waiting.plan,
        history=events,
        note=None if waiting.known else f"waiting: {NO_PLAN} (run `provision plan`)",
        answer=answer_in_words(state, invited_on, entry, on_roster=bool(memberships)),
        waiting_at=[w.to_data() for w in waiting.entries],
        rejected=rejected,
    )


def _person_data(db: Reader, row: tuple[Any, ...]) -> dict[str, Any]:
    _, email, given, family, created_at, updated_at = row
    return {
        "email": email,
        "given_name": given,
        "family_name": family,
        "created_at": db.when(created_at),
        "updated_at": db.when(updated_at),
    }


def _snapshot_data(db: Reader, snap: dict[str, Any] | None) -> dict[str, Any] | None:
    if snap is None:
        return None
    created = db.when(snap["user_created_at"])
    return {
        "zoom_id": snap["zoom_id"],
        "type": snap["type"],
        "status": snap["status"],
        "first_name": snap["first_name"],
        "last_name": snap["last_name"],
        "dept": snap["dept"],
        "group_ids": list(db.json(snap["group_ids"]) or []),
        "addons": addons_label(snap["large_meeting"], snap["large_meeting_capacity"]),
        "last_login_time": db.when(snap["last_login_time"]),
        "user_created_at": created,
        "pending_since": created if snap["status"] == "pending" else None,
        "observed_at": db.when(snap["observed_at"]),
        "account": snap["account"],  # the Zoom account the user is in ("" the main one)
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


def school_code(source: Reader | Session, code: str) -> str:
    """The stored code of a school (case forgiven), or InputError with the closest matches."""
    return find_institution(source, code).code
