"""Writing a validated roster: people and memberships, set-based.

Plain SQL through the driver (models.writer): executemany in chunks, COPY on PostgreSQL; never
an ORM add per row, and no SQLAlchemy to load for a command that imports a roster. What is new is plainly
inserted and only what changed is upserted: an import holds the rosters lock (models.locks), so
no other writer adds people or memberships meanwhile, and the memberships of every school the
file lists were read in this transaction (existing_memberships).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from models.clock import utcnow
from models.gc_pause import keep_for_exit
from models.reader import in_list
from models.writer import Run, Writer

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
    """institution id -> email -> its stored membership (active or not); read before this
    import writes any (importers.roster)."""
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


def _whole_table(w: Writer, listed: int) -> bool:
    # One scan of the table beats 20 chunked IN (...) lookups when the file lists most of it
    # (a ministry-wide roster); a school's roster against a big table uses the index.
    total: int = w.rows("SELECT count(*) FROM person")[0][0]
    return listed * 4 >= total


def _stored_people(w: Writer, emails: list[str] | None) -> dict[str, tuple[int, str, str]]:
    """email -> (id, given name, family name) of those of `emails` already stored (None: of
    everyone stored)."""
    columns = "SELECT email, id, given_name, family_name FROM person"
    if emails is None or _whole_table(w, len(emails)):
        return {email: (pid, given, family) for email, pid, given, family in w.rows(columns)}
    out: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(emails), IN_CHUNK):
        marks, params = in_list("e", emails[start : start + IN_CHUNK])
        found = w.rows(f"{columns} WHERE email IN {marks}", params)
        out.update({email: (pid, given, family) for email, pid, given, family in found})
    return out


def _person_ids(w: Writer, emails: list[str]) -> dict[str, int]:
    if _whole_table(w, len(emails)):
        return dict(w.rows("SELECT email, id FROM person"))
    out: dict[str, int] = {}
    for start in range(0, len(emails), IN_CHUNK):
        marks, params = in_list("e", emails[start : start + IN_CHUNK])
        out.update(w.rows(f"SELECT email, id FROM person WHERE email IN {marks}", params))
    return out


def write_roster(
    w: Writer,
    people: People,
    entries: list[Entry],
    changes: list[tuple[Entry, Existing | None]],
    inst_ids: dict[str, int],
    batch_id: int,
) -> None:
    """The people (what People has not written yet), then the memberships of a validated roster
    (but those People wrote with their new people).

    The memberships are made STREAM_CHUNK at a time, each chunk inserted behind (Writer.behind:
    SQLite inserts in a thread of its own, without the GIL) while the next one is made."""
    person_ids = people.finish(entries)
    written = people.memberships_written
    primary_school = primaries(entries)
    primary_elsewhere = _primary_elsewhere(w, entries, inst_ids)
    joined = people.joined
    defaults = _membership_defaults(joined, batch_id)
    inserted = sum(1 for e, old in changes if old is None and e.email not in written)
    changed: list[tuple[object, ...]] = []
    with w.indexes_deferred("membership", inserted), w.behind() as run:
        for start in range(0, len(changes), STREAM_CHUNK):
            new, chunk_changed = _membership_rows(
                changes[start : start + STREAM_CHUNK],
                inst_ids,
                person_ids,
                primary_school,
                primary_elsewhere,
                joined,
                batch_id,
                written,
            )
            w.insert_many("membership", FILE_COLUMNS, new, defaults, run=run)
            changed.extend(chunk_changed)
            keep_for_exit(new)
    if changed:
        w.upsert_many(
            "membership",
            MEMBERSHIP_COLUMNS,
            changed,
            ["person_id", "institution_id"],
            update=list(MEMBERSHIP_UPDATED),
        )
    keep_for_exit(people)


def _membership_defaults(joined: object, batch_id: int) -> dict[str, object]:
    # active, joined_at, left_at: the model's defaults
    return {"active": True, "joined_at": joined, "left_at": None, "batch_id": batch_id}


STREAM_CHUNK = 10_000  # rows made at a time while the previous ones are inserted behind


class IdsNotAsTold(Exception):
    """SQLite gave the new people other ids than the largest plus one, one after another (it
    does so only past 2**63 - 1): the memberships written with them must be written again."""


class People:
    """The people of a roster: those new to the database are inserted, those whose names changed
    updated (updated_at with them; an unchanged person is not written).

    On SQLite, when the file lists most of the table (a first or ministry-wide roster, read
    against the whole table at once), they are written while the rows are still validated
    (`written_meanwhile`): each chunk of valid rows gives its new people to Writer.behind, whose
    thread inserts them without the GIL beside the validation of the next rows. With
    `batch_id` (a file without a primary column: a person's first school is their primary), the
    memberships of those new people go with them: ids SQLite will give them are told ahead (the
    largest plus one, one after another; checked in finish). The caller holds a savepoint
    around all of it, taken back if the import does not commit."""

    def __init__(self, w: Writer, expected: int, *, inst_ids: dict[str, int], batch_id: int | None) -> None:
        self.w = w
        self.expected = expected  # rows in the file: one read of the table, or lookups by email
        self.inst_ids = inst_ids
        self.batch_id = batch_id  # memberships of new people written with them (None: not)
        self.listed: set[str] = set()
        # one timestamp per batch, as the model's defaults fill them (created, then updated)
        self.created, self.updated = w.timestamp(utcnow()), w.timestamp(utcnow())
        self.joined = w.timestamp(utcnow())
        self.new: list[str] = []
        self.changed: list[tuple[str, str, str, object, object]] = []
        self.ids: dict[str, int] = {}
        self.memberships_written: set[str] = set()  # new people whose memberships were written
        self._told: dict[str, int] = {}  # new people's ids told ahead
        self._table: dict[str, tuple[int, str, str]] | None = None
        self._largest: int | None = None  # the largest person id before the first insert
        self._run: Run | None = None

    def add(self, entries: Sequence[Entry]) -> None:
        """Write the people of `entries` not seen in an earlier call (a person's first row gives
        the names), and while written meanwhile with a batch, the memberships of new people."""
        fresh: list[Entry] = []
        listed = self.listed
        for e in entries:
            if e.email not in listed:
                listed.add(e.email)
                fresh.append(e)
        stored = self._table if self._table is not None else _stored_people(self.w, [e.email for e in fresh])
        new: list[tuple[str, str, str]] = []
        for e in fresh:
            old = stored.get(e.email)
            if old is None:
                new.append((e.email, e.given_name, e.family_name))
                continue
            self.ids[e.email] = old[0]
            if old[1] != e.given_name or old[2] != e.family_name:
                self.changed.append((e.email, e.given_name, e.family_name, self.created, self.updated))
        if new:
            if self._largest is None:  # (read before writing meanwhile, when that is the way)
                self._largest = self.w.largest_id("person")
            stamps = {"created_at": self.created, "updated_at": self.updated}
            self.w.insert_many("person", NAME_COLUMNS, new, stamps, run=self._run)
            first = self._largest + 1 + len(self.new)
            self.new.extend(row[0] for row in new)
            if self._run is not None and self.batch_id is not None:
                self._told.update(zip([row[0] for row in new], range(first, first + len(new)), strict=True))
        if self._told and self._run is not None and self.batch_id is not None:
            self._memberships(entries)

    def _memberships(self, entries: Sequence[Entry]) -> None:
        """The memberships of the new people among `entries` (a person's first row: primary)."""
        told, written, inst_ids = self._told, self.memberships_written, self.inst_ids
        rows: list[tuple[object, ...]] = []
        for e in entries:
            pid = told.get(e.email)
            if pid is not None:
                rows.append((pid, inst_ids[e.school], e.role, e.email not in written, e.priority, e.position))
                written.add(e.email)
        assert self.batch_id is not None
        defaults = _membership_defaults(self.joined, self.batch_id)
        self.w.insert_many("membership", FILE_COLUMNS, rows, defaults, run=self._run)
        keep_for_exit(rows)

    def can_write_meanwhile(self) -> bool:
        """Whether the people are better written while the rows are validated: on SQLite, for a
        file listing most of the table (not a small part of a big one, looked up by email)."""
        return self.w.dialect == "sqlite" and _whole_table(self.w, self.expected)

    @contextmanager
    def written_meanwhile(self, enabled: bool) -> Iterator[Callable[[list[Entry]], None] | None]:
        """Within the block, a callable to hand chunks of valid rows to (None when not
        `enabled`: finish() then writes them all at the end)."""
        w = self.w
        if not enabled:
            self.batch_id = None
            yield None
            return
        self._table = _stored_people(w, None)
        self._largest = w.largest_id("person")  # the connection is the writes' thread's from here
        with w.behind() as run:
            self._run = run
            try:
                yield self.add
            finally:
                self._run = None

    def finish(self, entries: list[Entry]) -> dict[str, int]:
        """Write what `entries` holds that was not added yet, and the names that changed;
        email -> person id of everyone listed. IdsNotAsTold when memberships were written with
        ids SQLite did not give."""
        self.add(entries)
        if self.new:
            assert self._largest is not None
            given = self.w.new_ids("person", self._largest, len(self.new))
            if given is None and self.memberships_written:
                raise IdsNotAsTold
            if given is not None:
                self.ids.update(zip(self.new, given, strict=True))
            else:
                self.ids.update(_person_ids(self.w, self.new))
        if self.changed:
            names = ["given_name", "family_name", "updated_at"]
            self.w.upsert_many("person", PERSON_COLUMNS, self.changed, ["email"], update=names)
        return self.ids


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
    written: set[str],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(new, changed): the memberships to insert, and to upsert (role, primary, place, or back
    after leaving); an unchanged membership is in neither, nor one `written` with its person."""
    new: list[tuple[object, ...]] = []
    changed: list[tuple[object, ...]] = []
    for e, old in changes:
        if e.email in written:
            continue
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
