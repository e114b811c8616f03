"""Writing a validated roster: people and memberships, set-based.

One statement per chunk (COPY on PostgreSQL), never an ORM add per row. What is new is plainly
inserted and only what changed is upserted: an import holds the rosters lock (models.locks), so
no other writer adds people or memberships meanwhile, and the memberships of every school the
file lists were read in this transaction (existing_memberships).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from models import Membership, Person
from models.bulk import bulk_insert, bulk_upsert, id_map

if TYPE_CHECKING:
    from importers.roster import Entry

BULK_CACHE_KIB = 65_536  # SQLite page cache during the writes (freed when they end)


@dataclass
class Existing:
    """A membership stored before this import, with its person's email."""

    id: int
    person_id: int
    email: str
    role: str
    is_primary: bool
    active: bool
    priority: int | None
    position: int | None


def existing_memberships(session: Session, institution_ids: list[int]) -> dict[int, dict[str, Existing]]:
    """institution id -> email -> its stored membership (active or not)."""
    out: dict[int, dict[str, Existing]] = defaultdict(dict)
    m, p = Membership.__table__, Person.__table__  # type: ignore[attr-defined]
    for start in range(0, len(institution_ids), 500):
        part = institution_ids[start : start + 500]
        stmt = (
            select(
                m.c.id,
                m.c.person_id,
                m.c.institution_id,
                p.c.email,
                m.c.role,
                m.c.is_primary,
                m.c.active,
                m.c.priority,
                m.c.position,
            )
            .join(p, p.c.id == m.c.person_id)
            .where(m.c.institution_id.in_(part))
        )
        for mid, pid, iid, email, role, primary, active, prio, place in session.connection().execute(stmt):
            out[iid][email] = Existing(mid, pid, email, role, bool(primary), bool(active), prio, place)
    return out


def primaries(entries: list[Entry]) -> dict[str, str]:
    """email -> primary school inside this file: an explicit primary column, else the first listed."""
    explicit: dict[str, str] = {}
    first: dict[str, str] = {}
    for e in entries:
        first.setdefault(e.email, e.school)
        if e.primary:
            explicit.setdefault(e.email, e.school)
    return {**first, **explicit}


@contextmanager
def big_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache for this connection while the bulk writes run: the unique
    indexes of 100,000 rows outgrow the default 2 MB and every insert then rereads pages."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _whole_table(session: Session, emails: list[str]) -> bool:
    # One scan of the table beats 20 chunked IN (...) lookups when the file lists most of it
    # (a ministry-wide roster); a school's roster against a big table uses the index.
    p = Person.__table__  # type: ignore[attr-defined]
    total = session.connection().execute(select(func.count()).select_from(p)).scalar_one()
    return len(emails) * 4 >= total


def _rows(conn: Connection, stmt: Any) -> list[tuple[Any, ...]]:
    """Every row of a statement without parameters, through the driver's own cursor in this
    transaction: SQLAlchemy's Row per row of a whole table costs more than the query itself
    (no value here needs converting: text and integers)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(stmt.compile(dialect=conn.dialect)))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _stored_people(session: Session, emails: list[str]) -> dict[str, tuple[int, str, str]]:
    """email -> (id, given name, family name) of those of `emails` already stored."""
    p = Person.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    columns = (p.c.email, p.c.id, p.c.given_name, p.c.family_name)
    if _whole_table(session, emails):
        return {email: (pid, given, family) for email, pid, given, family in _rows(conn, select(*columns))}
    out: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(emails), 5_000):
        stmt = select(*columns).where(p.c.email.in_(emails[start : start + 5_000]))
        out.update({email: (pid, given, family) for email, pid, given, family in conn.execute(stmt)})
    return out


def write_people(session: Session, entries: list[Entry]) -> dict[str, int]:
    """Insert the people new to the database, update the names that changed (updated_at with
    them; an unchanged person is not written); email -> person id for everyone listed."""
    listed: dict[str, Entry] = {}
    for e in entries:
        listed.setdefault(e.email, e)
    stored = _stored_people(session, list(listed))
    new: list[dict[str, str]] = []
    changed: list[dict[str, str]] = []
    for email, e in listed.items():
        old = stored.get(email)
        if old is None or old[1] != e.given_name or old[2] != e.family_name:
            # no per-row timestamps: bulk_* bind the model's defaults once per batch
            row = {"email": email, "given_name": e.given_name, "family_name": e.family_name}
            (new if old is None else changed).append(row)
    if changed:
        bulk_upsert(session, Person, changed, ["email"], update=["given_name", "family_name", "updated_at"])
    ids = {email: old[0] for email, old in stored.items()}
    if new:
        bulk_insert(session, Person, new)
        fresh = [row["email"] for row in new]
        if _whole_table(session, fresh):
            ids.update(id_map(session, Person, "email"))
        else:
            ids.update(id_map(session, Person, "email", fresh))
    return ids


def write_memberships(
    session: Session,
    entries: list[Entry],
    changes: list[tuple[Entry, Existing | None]],
    inst_ids: dict[str, int],
    person_ids: dict[str, int],
    batch_id: int,
) -> None:
    """Insert the new memberships, upsert the changed ones (role, primary, place, or back after
    leaving); an unchanged membership is not written at all."""
    primary_school = primaries(entries)
    touched = {inst_ids[c] for c in primary_school.values()} | {inst_ids[e.school] for e in entries}
    # Someone already primary at a school this file does not list keeps that primary.
    m = Membership.__table__  # type: ignore[attr-defined]
    primary_elsewhere = set()
    stmt = select(m.c.person_id, m.c.institution_id).where(m.c.is_primary == True, m.c.active == True)  # noqa: E712
    for pid, iid in session.connection().execute(stmt):
        if iid not in touched:
            primary_elsewhere.add(pid)
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for e, old in changes:
        pid = person_ids[e.email]
        is_primary = primary_school[e.email] == e.school and pid not in primary_elsewhere
        if (
            old is not None
            and old.active
            and old.role == e.role
            and old.is_primary == is_primary
            and old.priority == e.priority
            and old.position == e.position
        ):
            continue  # unchanged: not written at all
        row = {
            "person_id": pid,
            "institution_id": inst_ids[e.school],
            "role": e.role,
            "is_primary": is_primary,
            "priority": e.priority,
            "position": e.position,
        }  # active=True, left_at=None, joined_at: the model's defaults, bound once per batch
        (new if old is None else changed).append(row)
    if changed:
        for row in changed:
            row["batch_id"] = batch_id
        bulk_upsert(
            session,
            Membership,
            changed,
            ["person_id", "institution_id"],
            update=["role", "is_primary", "active", "left_at", "batch_id", "priority", "position"],
        )
    if new:
        bulk_insert(session, Membership, new, values={"batch_id": batch_id})
