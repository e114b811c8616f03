"""What an import tells its caller: rows accepted, rows rejected (where and why), per school."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The reasons a row is rejected (exact strings: the rejects spreadsheet and tests use them).
BAD_EMAIL = "bad email"
MISSING_EMAIL = "missing email"
MISSING_NAME = "missing name"
UNKNOWN_SCHOOL = "unknown school code"
UNKNOWN_ROLE = "unknown role"
BAD_PRIORITY = "bad priority"
DUPLICATE = "duplicate inside the file"
MISSING_CODE = "missing code"
BAD_SEATS = "bad seats"
UNKNOWN_ACCOUNT = "unknown account"
TOO_LONG = "too long for Zoom"
FORMULA_WITHOUT_VALUE = "formula without a saved value"
FORMULA_HINT = "open the file in Excel or LibreOffice and save it, or paste the values over the formulas"


def count(n: int, one: str, many: str) -> str:
    """ "1 school", "2 schools": the summaries' figures read as sentences."""
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Rejected:
    """One rejected cell of one row: row is the number the spreadsheet shows (1-based, title
    rows counted); column is the header as written in the file."""

    file: str
    sheet: str | None
    row: int
    column: str | None
    reason: str
    value: str | None
    detail: str = ""
    # Two rejections are the same when where and why are (file, sheet, row, column, reason,
    # value, detail); what follows describes the row and does not take part in equality.
    # The school the row belongs to (its code as the ministry issued it), when it names one we
    # know: the rejects are written one workbook per school, so no school sees another's rows.
    school: str | None = field(default=None, compare=False)
    # The row as the school wrote it: (header as written, cell text) for each column we read,
    # names included, so the school can find the person without looking row 6 up.
    cells: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # Whom the row was about, normalized (found by `provision person`; the email may be the
    # invalid cell itself).
    email: str | None = field(default=None, compare=False)
    name: str | None = field(default=None, compare=False)


RejectedRow = Rejected  # the name docs/interfaces.md §4 exports


def _rejected_data(r: Rejected) -> dict[str, Any]:
    """A rejected cell in every command's JSON vocabulary (its school as institution_code)."""
    data = asdict(r)
    school = data.pop("school")
    return {**data, "institution_code": school, "cells": dict(r.cells)}


@dataclass
class SchoolChange:
    added: int = 0
    updated: int = 0
    left: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    kind: str  # "schools" | "roster"
    file: str
    sha256: str
    batch_id: int | None = None
    already_imported: bool = False
    committed: bool = False
    dry_run: bool = False
    rows_accepted: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    schools: dict[str, SchoolChange] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Things the operator must act on (schools left without seats): printed apart from notes.
    warnings: list[str] = field(default_factory=list)
    # Package figures: guardians left out, emails taken from usernames, sub-orgs mapped…
    counts: dict[str, int] = field(default_factory=dict)
    # The roster's language (uk, ar, fr, en) read from its headers: what the ministry writes to
    # the school in later (`provision report schools`); None for a schools file.
    language: str | None = None

    @property
    def rows_rejected(self) -> int:
        return len({(r.file, r.sheet, r.row) for r in self.rejected})

    @property
    def totals(self) -> SchoolChange:
        t = SchoolChange()
        for c in self.schools.values():
            t.added += c.added
            t.updated += c.updated
            t.left += c.left
            t.unchanged += c.unchanged
        return t

    def to_data(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's --json output)."""
        return {
            "kind": self.kind,
            "file": self.file,
            "sha256": self.sha256,
            "batch_id": self.batch_id,
            "already_imported": self.already_imported,
            "committed": self.committed,
            "dry_run": self.dry_run,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "totals": asdict(self.totals),
            "schools": {code: asdict(c) for code, c in sorted(self.schools.items())},
            "rejected": [_rejected_data(r) for r in self.rejected],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "counts": dict(self.counts),
            "language": self.language,
        }
