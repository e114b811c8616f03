"""Roster import: people and their memberships, replacing each listed school's roster.

The whole file is validated before anything is committed: by default one rejected row means
nothing is committed (the school fixes the file); --skip-invalid commits the valid rows. On
SQLite the people (and the memberships of people new to the database) are written while the
rows are still validated, inside a savepoint that is taken back when the import does not commit.
Writes are set-based (INSERT ... ON CONFLICT in chunks), never an ORM add per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, NamedTuple, ParamSpec, TypeVar

from importers import report as R
from importers.batch import StoredBatch, already_current, close_batch, file_sha256, open_batch
from importers.codes import load_codes, load_links
from importers.errors import DataError
from importers.explain import headers_language
from importers.normalize import (
    NOT_AN_EMAIL,
    email_problem,
    normalize_email,
    normalize_name,
    parse_flag,
    plain_email,
)
from importers.oneroster_roles import RoleTable
from importers.report import ImportReport, Rejected, SchoolChange
from importers.roles import DEFAULT_ROLE_WORDS, RoleWords
from importers.roster_write import (
    STREAM_CHUNK,
    Existing,
    IdsNotAsTold,
    People,
    big_cache,
    existing_memberships,
    leave,
    write_roster,
)
from importers.rows import RawRoster, RawRow, roster_rows
from importers.sniff import detect
from importers.source import display_name, open_sheets
from models.clock import utcnow
from models.gc_pause import gc_paused, keep_for_exit
from models.plain_locks import rosters_locked
from models.writer import Writer, as_writer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Params = ParamSpec("Params")
Result = TypeVar("Result")

ROLE_WHEN_NO_COLUMN = "teacher"
# Zoom's limits for what we send when creating a user (POST /users user_info, ZOOM_API.md §1.4);
# a longer value would be refused at apply by every rerun, so it is refused here, where the
# school can fix it. Counted in characters, as Zoom and the client's request models count.
ZOOM_LIMITS = {"email": 128, "given_name": 64, "family_name": 64}
_EMAIL_LIMIT, _NAME_LIMIT = ZOOM_LIMITS["email"], min(ZOOM_LIMITS["given_name"], ZOOM_LIMITS["family_name"])
_LIMIT_WORDS = {"email": "an email", "given_name": "a first name", "family_name": "a last name"}


@dataclass(slots=True)
class Entry:
    """A valid roster row."""

    email: str
    given_name: str
    family_name: str
    role: str
    school: str
    primary: bool | None  # None: not said (the first school listed becomes primary)
    priority: int | None = None  # the file's priority column, when it has one (lower first)
    position: int = 0  # the row's place among the school's rows of this file (0 first)


def _split_full_name(full: str) -> tuple[str, str]:
    # "Прізвище Ім'я По батькові" / "Family Given": the first word is the family name, as
    # Ukrainian and Russian rosters write it; given names keep the rest as written.
    parts = full.split(" ", 1)
    return (parts[1] if len(parts) > 1 else "", parts[0])


def row_cells(row: RawRow) -> tuple[tuple[str, str], ...]:
    """The row's cells under their headers as written (the columns we read, names included)."""
    return tuple(
        (written, row.values.get(field, ""))
        for field, written in row.columns.items()
        if not written.startswith("(")  # "(sheet name)", "(--school)": not cells of the row
    )


def _reject(row: RawRow, field: str, reason: str, value: str, detail: str = "") -> Rejected:
    file, number = row.origin.get(field, (row.file, row.row))
    sheet = row.sheet if file == row.file else None
    v = row.values
    name = " ".join(
        normalize_name(v[f]) for f in ("given_name", "family_name", "full_name") if v.get(f, "").strip()
    )
    email = normalize_email(v.get("email", ""))
    return Rejected(
        file,
        sheet,
        number,
        row.columns.get(field, field),
        reason,
        value,
        detail,
        cells=row_cells(row),
        email=email or None,
        name=name or None,
    )


def _priority(text: str) -> int | None:
    """A priority cell: a whole number (1 is served first), or None when empty; ValueError else."""
    if not text:
        return None
    number = float(text.replace(",", "."))
    if not number.is_integer():
        raise ValueError(text)
    return int(number)


def validate(
    raw: RawRoster,
    codes: dict[str, str],
    school_option: str | None,
    roles: RoleTable | None = None,
    words: RoleWords | None = None,
    on_valid: Callable[[list[Entry]], None] | None = None,
) -> tuple[list[Entry], list[Rejected], dict[str, set[str]]]:
    """Valid entries, rejected cells, and per school the emails of its rejected rows (a row
    rejected at a school must not make its person "left" there under --skip-invalid).

    `roles` reads the role cells (the policy's words, OneRoster's table, then `words`: the
    vocabulary of every language, whose list an unknown role's reject shows). Each entry keeps
    its place among its school's rows (rejected rows included, so fixing one row later does not
    move everyone after it).

    on_valid: given the valid entries as they come, STREAM_CHUNK at a time and the rest at the
    end (roster_write.People writes their people meanwhile)."""
    words = words or DEFAULT_ROLE_WORDS
    roles = roles or RoleTable(base=words.role)
    places: dict[str | None, int] = defaultdict(int)
    entries: list[Entry] = []
    rejected: list[Rejected] = []
    protected: dict[str, set[str]] = defaultdict(set)
    seen: dict[tuple[str, str], RawRow] = {}
    # The same few thousand names recur over 100,000 rows: normalize each spelling once.
    names: dict[str, str] = {}
    wanted_school = codes.get(school_option) if school_option is not None else None
    school_of: dict[str, str | None] = {}  # as typed -> code (CodeLookup.get is Python, per row)
    role_of: dict[str, str | None] = {}  # as typed -> role (a few dozen words over 100,000 rows)
    handed = 0  # entries given to on_valid so far
    for row in raw.rows:
        v = row.values
        problems: list[Rejected] = []
        if row.formulas:
            # Read as empty, but not empty: say what the cell holds, not "missing email".
            for field, formula in row.formulas.items():
                problems.append(_reject(row, field, R.FORMULA_WITHOUT_VALUE, f"={formula}", R.FORMULA_HINT))
            school = codes.get(v.get("school", ""))
            rejected.extend(replace(p, school=school) for p in problems)
            if school is not None and v.get("email"):
                protected[school].add(normalize_email(v["email"]))
            continue
        if "unknown_user" in v:
            problems.append(
                _reject(row, "unknown_user", R.BAD_EMAIL, v["unknown_user"], "no such user in users.csv")
            )
            rejected.extend(problems)
            continue
        typed = v.get("email", "")
        email = plain_email(typed)
        if email is None:
            email = normalize_email(typed)
            if not email:
                problems.append(_reject(row, "email", R.MISSING_EMAIL, "", v.get("email_hint", "")))
            elif why := email_problem(typed):
                detail = "" if why == NOT_AN_EMAIL else why  # "bad email" alone says that much
                problems.append(_reject(row, "email", R.BAD_EMAIL, typed, detail))
        written = v.get("given_name", "")
        given = names.get(written)
        if given is None:
            given = names[written] = normalize_name(written)
        written = v.get("family_name", "")
        family = names.get(written)
        if family is None:
            family = names[written] = normalize_name(written)
        if not given and not family and v.get("full_name"):
            given, family = _split_full_name(normalize_name(v["full_name"]))
        if not given and not family:
            name_field = next(
                (f for f in ("family_name", "given_name", "full_name") if f in row.columns), "family_name"
            )
            problems.append(_reject(row, name_field, R.MISSING_NAME, ""))
        if len(email) > _EMAIL_LIMIT or len(given) > _NAME_LIMIT or len(family) > _NAME_LIMIT:
            for field, value in (("email", email), ("given_name", given), ("family_name", family)):
                if len(value) > ZOOM_LIMITS[field]:
                    problems.append(_too_long(row, field, value))
        if "role" in row.columns:
            cell = v.get("role", "")
            role = role_of.get(cell, "")  # "": not looked up yet (no role is empty)
            if role == "":
                role = role_of[cell] = roles.role(cell)
            if role is None:
                problems.append(_reject(row, "role", R.UNKNOWN_ROLE, cell, words.unknown_detail(cell)))
        else:
            role = ROLE_WHEN_NO_COLUMN
        priority = None
        if v.get("priority"):
            try:
                priority = _priority(v["priority"])
            except ValueError:
                hint = "a whole number, 1 is served first"
                problems.append(_reject(row, "priority", R.BAD_PRIORITY, v["priority"], hint))
        raw_school = v.get("school", "")
        school = school_of.get(raw_school, "")  # "" : not looked up yet (no code is empty)
        if school == "":
            school = school_of[raw_school] = codes.get(raw_school) if raw_school else None
        place = places[school]
        places[school] += 1
        if school is None:
            problems.append(_reject(row, "school", R.UNKNOWN_SCHOOL, raw_school, v.get("school_hint", "")))
        elif school_option is not None and school != wanted_school:
            problems.append(
                _reject(
                    row, "school", R.UNKNOWN_SCHOOL, raw_school, f"the file is for school {school_option}"
                )
            )
        if problems:
            rejected.extend(replace(p, school=school) for p in problems)
            if school is not None and email:
                protected[school].add(email)
            continue
        assert role is not None
        assert school is not None
        first = seen.get((email, school))
        if first is not None:
            where = f"first at row {first.row}" + (
                f" of sheet {first.sheet}" if first.sheet != row.sheet else ""
            )
            rejected.append(
                replace(_reject(row, "email", R.DUPLICATE, v.get("email", ""), where), school=school)
            )
            protected[school].add(email)
            continue
        seen[(email, school)] = row
        primary = parse_flag(v["primary"]) if v.get("primary") else None
        entries.append(Entry(email, given, family, role, school, primary, priority, place))
        if on_valid is not None and len(entries) >= handed + STREAM_CHUNK:
            on_valid(entries[handed:])
            handed = len(entries)
    if on_valid is not None and len(entries) > handed:
        on_valid(entries[handed:])
    return entries, rejected, protected


def _too_long(row: RawRow, field: str, value: str) -> Rejected:
    # A name split from a full-name column is reported in that column, saying which part.
    column = field if field in row.columns or field == "email" else "full_name"
    part = f" (the {field.replace('_', ' ')} part)" if column != field else ""
    written = row.values.get(column, value)
    if field == "email" and value != written.strip().lower():
        part = " as sent to Zoom (the domain in its ASCII form)"
    detail = (
        f"{len(value)} characters{part}; Zoom takes at most {ZOOM_LIMITS[field]} for {_LIMIT_WORDS[field]}"
    )
    return _reject(row, column, R.TOO_LONG, written, detail)


def _on_writer(
    func: Callable[Concatenate[Writer, Params], Result],
) -> Callable[Concatenate[Writer | Session, Params], Result]:
    """Run the import on a Writer (the session's connection, or one of its own) with one larger
    page cache from the people written while the rows are validated to the last membership:
    shrinking it between them would spill the dirty pages to the WAL mid-import."""

    @wraps(func)
    def run(db: Writer | Session, /, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        w = as_writer(db)
        with big_cache(w):
            return func(w, *args, **kwargs)

    return run


@rosters_locked
@gc_paused()
@_on_writer
def import_roster(
    w: Writer,
    path: str | Path,
    *,
    actor: str,
    school: str | None = None,
    merge: bool = False,
    allow_shrink: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    shrink_threshold: float = 0.5,
    email_from_username: bool = False,
    role_words: Mapping[str, str | None] | None = None,
) -> ImportReport:
    """Import a roster file (see docs/interfaces.md §4) into a Writer or a SQLAlchemy session.
    Raises ImporterError for a file refused as a whole; returns the report otherwise
    (committed=False when rows were rejected and skip_invalid is off, or on dry_run).

    email_from_username: a package user with no email but a username that is an address gets
    that address (the policy key of the same name). role_words: word -> role (None: not staff,
    left out), read before the built-in words (the policy's role table)."""
    path = Path(path)
    display = display_name(path)
    kind = detect(path, display)  # a file we cannot read is refused before anything else
    report = ImportReport(kind="roster", file=display, sha256=file_sha256(path), dry_run=dry_run)
    if already_current(w, report, school):
        return report

    _, sheets = open_sheets(path, kind)
    codes, inst_ids = load_codes(w)
    if school is not None and codes.get(school) is None:
        raise DataError(f"--school {school}: no such school code (import the schools first)")
    package = kind in ("oneroster-zip", "oneroster-dir")
    # The policy's words first (over OneRoster's table too), then OneRoster's for a package,
    # then the vocabulary of every language, matched on the whole cell and on its main word.
    words = RoleWords({word: role for word, role in (role_words or {}).items() if role is not None})
    roles = RoleTable(role_words, oneroster=package, base=words.role)
    if package:
        from importers.oneroster import package_rows  # a sheet's import need not load it

        raw = package_rows(
            path,
            display,
            codes=codes,
            links=load_links(w),
            roles=roles,
            email_from_username=email_from_username,
        )
        report.counts = dict(raw.counts)
    else:
        raw = roster_rows(sheets, school=school, is_code=codes)
    del sheets  # the cells now live in the raw rows: free the sheet lists (peak memory)
    report.notes.extend(raw.notes)
    if raw.rows and "role" not in raw.rows[0].columns:
        report.notes.append(f"no role column: everyone listed is taken as {ROLE_WHEN_NO_COLUMN}")
    if not raw.rows and not raw.empty_schools:
        raise DataError(f"{display}: no roster rows found (an empty file is never taken as 'everyone left')")
    # One columns dict per sheet, shared by its rows: each sheet's headers are read once.
    sheet_columns = {id(r.columns): r.columns for r in raw.rows}.values()
    report.language = headers_language(sheet_columns)
    batch: StoredBatch | None = None
    single_sheet = _single_sheet(raw)
    people = People(w, len(raw.rows), inst_ids=inst_ids, batch_id=None)
    meanwhile = not dry_run and people.can_write_meanwhile()
    # The memberships stored before, of every school (a file listing most people): read now,
    # while the connection is free, so that the changes are reckoned while the writes run behind.
    stored = existing_memberships(w, list(inst_ids.values())) if meanwhile else None
    recreate: list[str] = []
    options = _Shrink(replace=not (merge or raw.delta), allow=allow_shrink, threshold=shrink_threshold)
    if not dry_run:
        # Written from here on: the batch, and on SQLite the people (and the memberships of new
        # people) while the rows are validated. All taken back if the import does not commit.
        w.savepoint(_SAVEPOINT)
        batch = open_batch(w, report, actor=actor, sheet=single_sheet, school=school)
        if meanwhile:
            recreate = w.indexes_dropped("membership", len(raw.rows))
        # Without a primary column a person's first school is their primary: known row by row.
        if not any("primary" in columns for columns in sheet_columns):
            people.batch_id = batch.id
    with people.written_meanwhile(enabled=meanwhile) as on_valid:
        entries, rejected, protected = validate(raw, codes, school, roles, words, on_valid)
        raw.rows = []  # validated: the entries are all the write needs
        report.rejected = rejected
        report.rows_accepted = len(entries)
        if stored is not None:  # (the connection is the writes' thread's until the block ends)
            reckoned = _changes(report, entries, raw, codes, inst_ids, protected, lambda ids: stored, options)
    if stored is None:
        read = partial(existing_memberships, w)
        reckoned = _changes(report, entries, raw, codes, inst_ids, protected, read, options)
    by_school, changes, to_leave, problems = reckoned
    if problems:
        _take_back(w, report, batch)
        raise DataError(
            f"{display}: refused, the roster shrinks too much: "
            + "; ".join(problems)
            + ". Check the file; if this is intended, run again with --allow-shrink"
        )
    if batch is None or (rejected and not skip_invalid):
        _take_back(w, report, batch)
        return report

    now = utcnow()
    assert batch.id is not None
    try:
        write_roster(w, people, entries, changes, inst_ids, batch.id)
    except IdsNotAsTold:
        # Memberships went with ids SQLite did not give: all again, the plain way (the rollback
        # brings the dropped indexes back too).
        _take_back(w, report, batch)
        recreate = []
        w.savepoint(_SAVEPOINT)
        batch = open_batch(w, report, actor=actor, sheet=single_sheet, school=school)
        assert batch.id is not None
        people = People(w, len(entries), inst_ids=inst_ids, batch_id=None)
        write_roster(w, people, entries, changes, inst_ids, batch.id)
    for sql in recreate:
        w.execute(sql)
    if to_leave:
        leave(w, to_leave, batch.id, now)
    close_batch(w, batch, report, actor=actor, action="import.roster")
    w.release(_SAVEPOINT)
    keep_for_exit(entries, changes, by_school)
    return report


_SAVEPOINT = "roster_import"


class _Shrink(NamedTuple):
    replace: bool  # the roster replaces each listed school's (not --merge, not a delta package)
    allow: bool  # --allow-shrink
    threshold: float  # more than this share of a school's active people leaving: refused


def _changes(
    report: ImportReport,
    entries: list[Entry],
    raw: RawRoster,
    codes: dict[str, str],
    inst_ids: dict[str, int],
    protected: dict[str, set[str]],
    read: Callable[[list[int]], dict[int, dict[str, Existing]]],
    shrink: _Shrink,
) -> tuple[dict[str, list[Entry]], list[tuple[Entry, Existing | None]], list[int], list[str]]:
    """Each listed school's changes against its stored roster (`read`: institution ids ->
    their memberships): the entries by school, (entry, its stored membership or None) for
    each, the memberships that leave, and why the roster shrinks too much (the report's
    figures filled in)."""
    by_school: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_school[e.school].append(e)
    # An empty sheet for a school is a roster of nobody: it replaces (empties) the roster.
    for code in raw.empty_schools:
        if codes.get(code) is not None:
            by_school.setdefault(codes[code], [])
    existing = read([inst_ids[c] for c in by_school])
    to_leave: list[int] = []
    changes: list[tuple[Entry, Existing | None]] = []
    problems: list[str] = []
    for code, rows in by_school.items():
        before = existing.get(inst_ids[code], {})
        change = report.schools.setdefault(code, SchoolChange())
        if not before:  # a school's first roster: everyone is new
            changes.extend((e, None) for e in rows)
            change.added += len(rows)
        else:
            added = updated = unchanged = 0
            for e in rows:
                old = before.get(e.email)
                changes.append((e, old))
                if old is None or not old.active:
                    added += 1
                elif old.role != e.role:
                    updated += 1
                else:
                    unchanged += 1
            change.added += added
            change.updated += updated
            change.unchanged += unchanged
        if shrink.replace:
            active_before = [m for m in before.values() if m.active]
            listed = {e.email for e in rows} if active_before else set()
            leaving = [m for m in active_before if m.email not in listed and m.email not in protected[code]]
            change.left = len(leaving)
            to_leave.extend(m.id for m in leaving)
            if not shrink.allow:
                if not rows and code in raw.empty_schools:
                    sheet = raw.empty_schools[code]
                    where = f"sheet {sheet!r}" if sheet else "the file"
                    problems.append(
                        f"school {code}: {where} lists nobody "
                        f"({len(active_before)} active people would leave)"
                    )
                elif active_before and len(leaving) / len(active_before) > shrink.threshold:
                    problems.append(
                        f"school {code}: {len(leaving)} of {len(active_before)} active people would leave "
                        f"(more than {shrink.threshold:.0%})"
                    )
    return by_school, changes, to_leave, problems


def _take_back(w: Writer, report: ImportReport, batch: StoredBatch | None) -> None:
    """Undo what this import wrote (its batch, people written meanwhile): it does not commit."""
    if batch is not None:
        w.rollback_to(_SAVEPOINT)
        report.batch_id = None


def _single_sheet(raw: RawRoster) -> str | None:
    sheets = {r.sheet for r in raw.rows}
    return next(iter(sheets)) if len(sheets) == 1 else None
