"""Writing a validated roster: people and memberships, set-based.

Plain SQL through the driver (models.writer): executemany in chunks, COPY on PostgreSQL; never
an ORM add per row, and no SQLAlchemy to load for a command that imports a roster. What is new is plainly
inserted and only what changed is upserted: an import holds the rosters lock (models.locks), so
no other writer adds people or memberships meanwhile, and the memberships of every school the
file lists were read in this transaction (existing_memberships).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from models.clock import utcnow
from models.gc_pause import keep_for_exit
from models.reader import in_list
from models.writer import Writer

if TYPE_CHECKING:
    from importers.roster import Entry

BULK_CACHE_KIB = 65_536  # SQLite page cache during the writes (freed when they end)
IN_CHUNK = 5_000  # values in one IN (...): far below SQLite's and PostgreSQL's limits

NAME_COLUMNS = ("email", "given_name", "family_name")
PERSON_COLUMNS = (*NAME_COLUMNS, "created_at", "updated_at")
FILE_COLUMNS = ("person_id", "institution_id", "role", "is_primary", "priority", "position")
MEMBERSHIP_COLUMNS = (*FILE_COLUMNS, "active", "joined_at", "left_at", "batch_id")
# What a changed membership takes from the file (joined_at stays: when they first joined).
MEMBERSHIP_UPDATED = ("role", "is_primary", "active", "left_at", "batch_id", "priority", "position")


@dataclass(slots=True)
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


def existing_memberships(w: Writer, institution_ids: list[int]) -> dict[int, dict[str, Existing]]:
    """institution id -> email -> its stored membership (active or not)."""
    out: dict[int, dict[str, Existing]] = defaultdict(dict)
    for start in range(0, len(institution_ids), 500):
        marks, params = in_list("i", institution_ids[start : start + 500])
        found = w.rows(
            "SELECT membership.id, membership.person_id, membership.institution_id, person.email, "
            "membership.role, membership.is_primary, membership.active, membership.priority, "
            "membership.position FROM membership JOIN person ON person.id = membership.person_id "
            f"WHERE membership.institution_id IN {marks}",
            params,
        )
        for mid, pid, iid, email, role, primary, active, prio, place in found:
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
def big_cache(w: Writer) -> Iterator[None]:
    """A larger SQLite page cache for this connection while the bulk writes run: the unique
    indexes of 100,000 rows outgrow the default 2 MB and every insert then rereads pages."""
    if w.dialect != "sqlite":
        yield
        return
    before = w.rows("PRAGMA cache_size")[0][0]
    w.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        w.execute(f"PRAGMA cache_size={int(before)}")


def _whole_table(w: Writer, emails: list[str]) -> bool:
    # One scan of the table beats 20 chunked IN (...) lookups when the file lists most of it
    # (a ministry-wide roster); a school's roster against a big table uses the index.
    total: int = w.rows("SELECT count(*) FROM person")[0][0]
    return len(emails) * 4 >= total


def _stored_people(w: Writer, emails: list[str]) -> dict[str, tuple[int, str, str]]:
    """email -> (id, given name, family name) of those of `emails` already stored."""
    columns = "SELECT email, id, given_name, family_name FROM person"
    if _whole_table(w, emails):
        return {email: (pid, given, family) for email, pid, given, family in w.rows(columns)}
    out: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(emails), IN_CHUNK):
        marks, params = in_list("e", emails[start : start + IN_CHUNK])
        found = w.rows(f"{columns} WHERE email IN {marks}", params)
        out.update({email: (pid, given, family) for email, pid, given, family in found})
    return out


def _person_ids(w: Writer, emails: list[str]) -> dict[str, int]:
    if _whole_table(w, emails):
        return dict(w.rows("SELECT email, id FROM person"))
    out: dict[str, int] = {}
    for start in range(0, len(emails), IN_CHUNK):
        marks, params = in_list("e", emails[start : start + IN_CHUNK])
        out.update(w.rows(f"SELECT email, id FROM person WHERE email IN {marks}", params))
    return out


def write_roster(
    w: Writer,
    entries: list[Entry],
    changes: list[tuple[Entry, Existing | None]],
    inst_ids: dict[str, int],
    batch_id: int,
) -> None:
    """The people, then the memberships of a validated roster.

    On SQLite the new people's ids are told before they are inserted (one after another above
    the largest: the import is the only writer), so the membership rows are built in a thread
    while SQLite inserts the people in one call without the GIL (models.writer): ~0.1 s of a
    100,000-row import. The ids given are checked after, and the rows built again with them in
    the case they differ."""
    people = _People(w, entries)
    primary_school = primaries(entries)
    primary_elsewhere = _primary_elsewhere(w, entries, inst_ids)
    joined = w.timestamp(utcnow())  # the model's default, one per batch

    def rows() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        ids = people.ids
        return _membership_rows(changes, inst_ids, ids, primary_school, primary_elsewhere, joined, batch_id)

    if people.tell_ids():
        built: list[tuple[list[tuple[object, ...]], list[tuple[object, ...]]] | BaseException] = []

        def build() -> None:
            try:
                built.append(rows())
            except BaseException as exc:  # raised again in this thread below
                built.append(exc)

        builder = threading.Thread(target=build, name="membership-rows")
        builder.start()
        try:
            people.insert()
        finally:
            builder.join()
        result = built[0]
        if isinstance(result, BaseException):
            raise result
        new, changed = result if people.as_told() else rows()
    else:
        people.insert()
        people.as_told()
        new, changed = rows()
    if changed:
        w.upsert_many(
            "membership",
            MEMBERSHIP_COLUMNS,
            changed,
            ["person_id", "institution_id"],
            update=list(MEMBERSHIP_UPDATED),
        )
    # active, joined_at, left_at: the model's defaults
    defaults = {"active": True, "joined_at": joined, "left_at": None, "batch_id": batch_id}
    with w.indexes_deferred("membership", len(new)):
        w.insert_many("membership", FILE_COLUMNS, new, defaults)
    keep_for_exit(new, people)


class _People:
    """The people of a roster: those new to the database are inserted, those whose names changed
    updated (updated_at with them; an unchanged person is not written). `ids`: email -> person
    id for everyone listed (the new people's once told or inserted)."""

    def __init__(self, w: Writer, entries: list[Entry]) -> None:
        self.w = w
        listed: dict[str, Entry] = {}
        for e in entries:
            listed.setdefault(e.email, e)
        stored = _stored_people(w, list(listed))
        # one timestamp per batch, as the model's defaults fill them (created, then updated)
        self.created, self.updated = w.timestamp(utcnow()), w.timestamp(utcnow())
        self.new: list[tuple[str, str, str]] = []
        changed: list[tuple[str, str, str, object, object]] = []
        for email, e in listed.items():
            old = stored.get(email)
            if old is None:
                self.new.append((email, e.given_name, e.family_name))
            elif old[1] != e.given_name or old[2] != e.family_name:
                changed.append((email, e.given_name, e.family_name, self.created, self.updated))
        if changed:
            names = ["given_name", "family_name", "updated_at"]
            w.upsert_many("person", PERSON_COLUMNS, changed, ["email"], update=names)
        self.ids = {email: old[0] for email, old in stored.items()}
        self.told: range | None = None

    def tell_ids(self) -> bool:
        """Put the ids SQLite will give the new people in `ids` (False: PostgreSQL's sequences,
        or nobody new)."""
        if not self.new or self.w.dialect != "sqlite":
            return False
        largest = int(self.w.rows("SELECT coalesce(max(id), 0) FROM person")[0][0])
        self.told = range(largest + 1, largest + 1 + len(self.new))
        self.ids.update(zip([row[0] for row in self.new], self.told, strict=True))
        return True

    def insert(self) -> None:
        stamps = {"created_at": self.created, "updated_at": self.updated}
        self.w.insert_many("person", NAME_COLUMNS, self.new, stamps)

    def as_told(self) -> bool:
        """After insert(): True when the new people got the ids told (or none were new), else
        `ids` now holds the ones they got."""
        if not self.new:
            return True
        given = self.w.last_ids("person", len(self.new))
        if given is not None and given == self.told:
            return True
        emails = [row[0] for row in self.new]
        if given is not None:
            self.ids.update(zip(emails, given, strict=True))
        else:
            self.ids.update(_person_ids(self.w, emails))
        return False


def _primary_elsewhere(w: Writer, entries: list[Entry], inst_ids: dict[str, int]) -> set[int]:
    """People already primary at a school this file does not list: they keep that primary."""
    touched = {inst_ids[code] for code in {e.school for e in entries}}  # each primary school among them
    return {
        pid
        for pid, iid in w.rows("SELECT person_id, institution_id FROM membership WHERE is_primary AND active")
        if iid not in touched
    }


def _membership_rows(
    changes: list[tuple[Entry, Existing | None]],
    inst_ids: dict[str, int],
    person_ids: dict[str, int],
    primary_school: dict[str, str],
    primary_elsewhere: set[int],
    joined: object,
    batch_id: int,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(new, changed): the memberships to insert, and to upsert (role, primary, place, or back
    after leaving); an unchanged membership is in neither."""
    new: list[tuple[object, ...]] = []
    changed: list[tuple[object, ...]] = []
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
        row = (pid, inst_ids[e.school], e.role, is_primary, e.priority, e.position)
        if old is None:
            new.append(row)
        else:
            changed.append((*row, True, joined, None, batch_id))
    return new, changed


def leave(w: Writer, membership_ids: list[int], batch_id: int, when: datetime) -> None:
    """Mark memberships as left at `when` (this batch's doing)."""
    now = w.timestamp(when)
    for start in range(0, len(membership_ids), IN_CHUNK):
        marks, params = in_list("m", membership_ids[start : start + IN_CHUNK])
        w.execute(
            f"UPDATE membership SET active = :off, left_at = :now, batch_id = :batch WHERE id IN {marks}",
            {**params, "off": False, "now": now, "batch": batch_id},
        )
