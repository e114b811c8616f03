"""The seats sheet given with a package's schools (--seats): which school gets how many seats.

Any spreadsheet we read, with a column naming the school (its code, or the org's sourcedId or
identifier) and a seats column; other columns (a name for the reader) are ignored, but for an
`account` column: a package has no place for the school's Zoom account (issue 17), so the sheet
that gives its seats gives its account too, read as in a schools sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from importers import report as R
from importers.codes import account_problem
from importers.errors import DataError, MissingColumnError
from importers.headers import find_header, first_non_empty
from importers.normalize import normalize_name
from importers.report import Rejected
from importers.rows import data_rows
from importers.source import display_name, open_sheets

_SEATS_RE = re.compile(r"^\+?\d+(\.0+)?$")


@dataclass(frozen=True)
class SeatRow:
    file: str
    sheet: str | None
    row: int
    column: str  # the key's header as written
    key: str
    seats: int
    account: str | None = None  # None: the sheet has no account column (the school keeps its own)


def parse_seats(text: str) -> int | None:
    """A whole number of seats, 0 or more ("12", "12.0", "1 200"), else None."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    return int(float(t)) if _SEATS_RE.match(t) else None


def read_seats(
    path: Path, check_account: Callable[[str], str | None] | None = None
) -> tuple[list[SeatRow], list[Rejected]]:
    """The sheet's rows and its rejected rows; `check_account` as for a schools sheet."""
    display = display_name(path)
    kind, sheets = open_sheets(path)
    if kind in ("oneroster-zip", "oneroster-dir"):
        raise DataError(f"--seats {display}: a package, not a sheet of seats (columns: code, seats)")
    for sheet in sheets:
        header = find_header(sheet.rows, "schools")
        if header is None or "code" not in header.columns or "seats" not in header.columns:
            continue
        rows: list[SeatRow] = []
        rejected: list[Rejected] = []
        first: dict[str, int] = {}
        has_account = "account" in header.columns
        for raw in data_rows(sheet, header):
            key = normalize_name(raw.values.get("code", ""))
            seats = parse_seats(raw.values.get("seats", ""))
            account = " ".join(raw.values.get("account", "").split())
            where = (raw.file, raw.sheet, raw.row)
            why = account_problem(account, check_account) if account else None
            if not key:
                rejected.append(Rejected(*where, raw.columns["code"], R.MISSING_CODE, ""))
            elif seats is None:
                detail = "a whole number, 0 or more"
                rejected.append(
                    Rejected(*where, raw.columns["seats"], R.BAD_SEATS, raw.values.get("seats", ""), detail)
                )
            elif why is not None:
                rejected.append(Rejected(*where, raw.columns["account"], R.UNKNOWN_ACCOUNT, account, why))
            elif key in first:
                detail = f"first at row {first[key]}"
                rejected.append(Rejected(*where, raw.columns["code"], R.DUPLICATE, key, detail))
            else:
                first[key] = raw.row
                rows.append(
                    SeatRow(
                        raw.file,
                        raw.sheet,
                        raw.row,
                        raw.columns["code"],
                        key,
                        seats,
                        account if has_account else None,
                    )
                )
        return rows, rejected
    found = first_non_empty(sheets[0].rows) if sheets else []
    raise MissingColumnError(
        display, sheets[0].name if sheets else None, found, ["code (or sourcedId)", "seats"]
    )
