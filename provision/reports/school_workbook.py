"""`provision report schools`: one workbook per school, for the ministry to send to that school.

Each holds only its school's data, in the school's language (provision.reports.school_words):
a Summary (quota, licensed, pending, waiting, utilization, when Zoom was observed, and where the
file came from: version, database, Zoom account, operator, generated at), the people holding a
license or an invitation, the waiting list in the order seats will go (the latest plan's), and
the rows of the school's last roster the import rejected, each with the problem and its fix.
Formatted like the rejects workbooks (bold frozen header, widths, filter, right-to-left for
Arabic); every text cell is safe from formula injection (provision.reports.xlsx). Files are
named `<code>-<YYYY-MM-DD>.xlsx` and never overwritten (a second run the same day: `…-2.xlsx`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from importers.explain import explain, split_reason
from importers.rejects import save_new
from models import ImportBatch, Institution, RejectedRow
from provision.errors import InputError
from provision.reports import queries
from provision.reports.lookup import RejectedEntry
from provision.reports.provenance import Provenance, zone_label
from provision.reports.school_words import Words, latest_rosters, school_languages
from provision.reports.waiting import Line, waiting_lines
from provision.reports.xlsx import PERCENT_FORMAT, Column, Kind, TableWriter


@dataclass(frozen=True)
class SchoolFile:
    """One workbook written: whose, where, in which language, and its rows per sheet."""

    institution_code: str
    path: Path
    language: str
    rows: dict[str, int] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {
            "institution_code": self.institution_code,
            "path": str(self.path),
            "language": self.language,
            "rows": dict(self.rows),
        }


def _scope(session: Session, school: str | None, region: str | None) -> list[str]:
    """The school codes asked for; InputError (exit 2) for an unknown school or region."""
    wanted = queries.region_name(session, region) if region is not None else None
    if school is not None:
        inst = queries.find_institution(session, school)
        if wanted is not None and inst.region != wanted:
            raise InputError(f"school {inst.code} is in region {inst.region!r}, not in {wanted!r}")
        return [inst.code]
    stmt = select(col(Institution.code)).order_by(col(Institution.code))
    if wanted is not None:
        stmt = stmt.where(col(Institution.region) == wanted)
    codes = list(session.execute(stmt).scalars())
    if not codes:
        raise InputError("no schools in the database: import them first (provision import schools FILE)")
    return codes


def _issues(
    session: Session, codes: Sequence[str], last_listed: dict[str, int]
) -> dict[str, list[RejectedEntry]]:
    """Per school, the rejected rows of its newest roster import (the rows still to fix): an
    import that listed the school later and rejected none of its rows leaves it nothing to fix."""
    school = func.coalesce(col(RejectedRow.institution_code), col(ImportBatch.institution_code))
    stmt = (
        select(
            school,
            col(RejectedRow.batch_id),
            col(RejectedRow.file),
            col(RejectedRow.sheet),
            col(RejectedRow.row),
            col(RejectedRow.column),
            col(RejectedRow.reason),
            col(RejectedRow.value),
            col(RejectedRow.email),
            col(RejectedRow.name),
            col(ImportBatch.started_at),
        )
        .join(ImportBatch, col(ImportBatch.id) == col(RejectedRow.batch_id))
        .where(col(ImportBatch.kind) == "roster", school.in_(list(codes)))
        .order_by(col(RejectedRow.batch_id), col(RejectedRow.row), col(RejectedRow.id))
    )
    by_batch: dict[str, dict[int, list[RejectedEntry]]] = defaultdict(lambda: defaultdict(list))
    for r in session.execute(stmt):
        by_batch[r[0]][r[1]].append(RejectedEntry(*r[2:], batch_id=r[1]))
    current: dict[str, list[RejectedEntry]] = {}
    for code, batches in by_batch.items():
        newest = max(batches)
        if newest >= last_listed.get(code, 0):
            current[code] = batches[newest]
    return current


def _observed_at(session: Session, account: str) -> datetime | None:
    """When the school's own Zoom account was last read (each account is synced on its own)."""
    seats = queries.account_seats(session, account)
    return seats["observed_at"] if seats else None


def _file_name(code: str, day: date) -> str:
    safe = re.sub(r"[^\w.-]+", "-", code).strip("-.") or "school"
    return f"{safe}-{day.isoformat()}.xlsx"


class _Book:
    """One school's workbook, its sheets written in `words`' language."""

    def __init__(self, words: Words) -> None:
        self.words = words
        self.wb = Workbook(write_only=True)
        self.rows: dict[str, int] = {}

    def table(self, sheet: str, columns: Sequence[Column]) -> TableWriter:
        table = TableWriter(self.wb, self.words.sheet(sheet), columns)
        table.ws.sheet_view.rightToLeft = self.words.right_to_left
        return table

    def write(self, sheet: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
        self.rows[sheet] = self.table(sheet, columns).write(rows)


def _summary(
    book: _Book,
    report: queries.SchoolReport,
    observed_at: datetime | None,
    issues: list[RejectedEntry],
    provenance: Provenance,
) -> None:
    w, s = book.words, report.school
    table = book.table("summary", [Column(w.header("field"), width=36), Column(w.header("value"), "auto")])
    utilization = table.cells.styled(s.utilization, PERCENT_FORMAT) if s.utilization is not None else None
    plan_at = report.plan.created_at if report.plan else None
    first = issues[0] if issues else None
    issues_from = (
        w.phrase("issues_from", file=first.file, when=f"{first.imported_at:%Y-%m-%d %H:%M} UTC")
        if first and first.imported_at
        else w.phrase("no_issues")
    )
    lines: list[tuple[str, Any]] = [
        (w.summary("code"), s.code),
        (w.summary("school_name"), s.name),
        (w.summary("region"), s.region),
        (w.summary("quota"), s.quota),
        (w.summary("licensed"), s.licensed),
        (w.summary("pending"), s.pending),
        (w.summary("waiting"), s.waiting if s.waiting is not None else w.phrase("no_plan")),
        (w.summary("utilization"), utilization),
        (w.summary("members"), s.members),
        (w.summary("observed_at"), observed_at or w.phrase("never_observed")),
        (w.summary("plan_at"), plan_at or w.phrase("no_plan")),
        (w.summary("issues_from"), issues_from),
        # The school's own account (a sub-account or an alias) beside the run's account below:
        # the school's seats and figures are that account's.
        (w.summary("school_account"), s.account or provenance.account),
    ]
    zone = {"zone": zone_label(provenance.tz)}
    lines.extend(
        (w.summary(key, **zone) if key == "generated_local" else w.summary(key), value)
        for key, value in provenance.where()
    )
    book.rows["summary"] = table.write(lines)


def _licensed(book: _Book, members: list[queries.MemberRow]) -> None:
    w = book.words
    names = ("email", "given_name", "family_name", "role", "license", "counted_here", "addons")
    times = ("last_login", "invited", "left")
    columns = [*(Column(w.header(n)) for n in names), *(Column(w.header(n), "datetime") for n in times)]
    holding = [m for m in members if m.license in (queries.LICENSED, queries.PENDING)]
    rows = [
        (
            m.email,
            m.given_name,
            m.family_name,
            w.role(m.role),
            w.phrase("licensed" if m.license == queries.LICENSED else "pending"),
            w.phrase("yes" if m.primary else "no"),
            m.addons,
            m.last_login,
            m.pending_since,
            m.left_at,
        )
        for m in holding
    ]
    book.write("licensed", columns, rows)


def _waiting(book: _Book, lines: list[Line]) -> None:
    w = book.words
    columns = [
        Column(w.header("place"), "int"),
        *(Column(w.header(name)) for name in ("email", "given_name", "family_name", "role", "why")),
        Column(w.header("counted_at")),
    ]
    rows = [
        (
            line.place,
            line.email,
            line.given_name,
            line.family_name,
            w.role(line.role),
            w.waiting_reason(line.reason),
            line.counted_at,
        )
        for line in lines
    ]
    book.write("waiting", columns, rows)


def _import_issues(book: _Book, issues: list[RejectedEntry]) -> None:
    w = book.words
    names = ("file", "sheet", "row", "column", "cell", "name", "email", "problem", "fix", "imported_at")
    kinds: dict[str, Kind] = {"row": "int", "imported_at": "datetime"}
    columns = [Column(w.header(name), kinds.get(name, "text")) for name in names]
    rows = []
    for issue in issues:
        reason, detail = split_reason(issue.reason)
        told = explain(reason, issue.value, detail, issue.column, w.language)
        rows.append(
            (
                issue.file,
                issue.sheet,
                issue.row,
                issue.column,
                issue.value,
                issue.name,
                issue.email,
                told.problem,
                told.fix,
                issue.imported_at,
            )
        )
    book.write("issues", columns, rows)


def write_school_workbooks(
    session: Session,
    directory: str | Path,
    *,
    school: str | None = None,
    region: str | None = None,
    provenance: Provenance,
    today: date | None = None,
    product: int | None = None,
) -> list[SchoolFile]:
    """One workbook per school asked for (every school by default) in `directory` (created).
    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders read licensed.

    Unknown school or region: InputError before anything is written.
    """
    codes = _scope(session, school, region)
    rosters = latest_rosters(session, codes)
    languages = school_languages(session, rosters, codes)
    issues = _issues(session, codes, {code: r.batch_id for code, r in rosters.items()})
    line = waiting_lines(session, school=codes[0] if school is not None else None, region=region)
    waiting: dict[str | None, list[Line]] = defaultdict(list)
    for entry in line.lines:
        waiting[entry.institution_code].append(entry)
    observed: dict[str, datetime | None] = {}
    day = today or provenance.generated_at.date()
    written: list[SchoolFile] = []
    for code in codes:
        report = queries.school(session, code, product=product)
        book = _Book(Words(languages.get(code, "en")))
        mine = issues.get(code, [])
        account = report.school.account
        if account not in observed:
            observed[account] = _observed_at(session, account)
        _summary(book, report, observed[account], mine, provenance)
        _licensed(book, report.members)
        _waiting(book, waiting.get(code, []))
        _import_issues(book, mine)
        path = save_new(book.wb, Path(directory) / _file_name(code, day))
        written.append(SchoolFile(code, path, book.words.language, book.rows))
    return written
