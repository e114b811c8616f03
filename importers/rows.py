"""Sheets -> raw rows keyed by canonical field, each knowing where it came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from importers.errors import MissingColumnError
from importers.headers import Header, find_header, first_non_empty
from importers.normalize import cell_text
from importers.readers import Sheet

SHEET_NAME_COLUMN = "(sheet name)"
_NONE: dict[str, str] = {}  # shared by every row without formulas: never written to
_HERE: dict[str, tuple[str, int]] = {}  # shared by every row whose cells are all its own
SCHOOL_OPTION_COLUMN = "(--school)"


@dataclass
class RawRow:
    """One data row before validation: field -> cell text, and field -> header as written."""

    file: str
    sheet: str | None
    row: int
    values: dict[str, str]
    columns: dict[str, str]
    # field -> (file, row) when that field came from another file (SDS: the email lives in
    # users.csv while the membership row is in roles.csv)
    origin: dict[str, tuple[str, int]] = field(default_factory=dict)
    # field -> formula, for a cell holding a formula saved without its value (read as empty)
    formulas: dict[str, str] = field(default_factory=dict)


@dataclass
class RawRoster:
    rows: list[RawRow] = field(default_factory=list)
    # Schools whose sheet (or file) held a header but no person: refused unless --allow-shrink.
    empty_schools: dict[str, str | None] = field(default_factory=dict)
    # A OneRoster "delta" file never implies that anyone left.
    delta: bool = False
    notes: list[str] = field(default_factory=list)
    # What a package's import left out or filled in, by kind (see importers.oneroster).
    counts: dict[str, int] = field(default_factory=dict)


def _text(v: object) -> str:
    return v.strip() if isinstance(v, str) else cell_text(v).strip()


def data_rows(sheet: Sheet, header: Header) -> list[RawRow]:
    out: list[RawRow] = []
    index_of = [(f, i) for f, (i, _) in header.columns.items()]
    columns = {f: written for f, (_, written) in header.columns.items()}
    rows, file, name = sheet.rows, sheet.file, sheet.name
    uncached = sheet.uncached
    width = max((i for _, i in index_of), default=-1) + 1
    for index in range(header.index + 1, len(rows)):
        cells = rows[index]
        n = len(cells)
        if n >= width:
            # inlined _text: this runs once per cell of 100,000-row files
            values = {
                f: (v.strip() if type(v := cells[i]) is str else cell_text(v).strip()) for f, i in index_of
            }
        else:
            values = {f: (_text(cells[i]) if i < n else "") for f, i in index_of}
        formulas = (
            {f: uncached[(index, i)] for f, i in index_of if (index, i) in uncached} if uncached else _NONE
        )
        if not any(values.values()) and not formulas:
            continue  # blank rows between blocks, and calamine's padding
        # columns is shared by every row of the sheet (copied only where a row changes it)
        out.append(RawRow(file, name, index + 1, values, columns, _HERE, formulas))
    return out


def _require(
    sheet: Sheet, header: Header | None, needed: Sequence[Sequence[str]], labels: Sequence[str]
) -> None:
    found = header.written if header else first_non_empty(sheet.rows)
    have = set(header.columns) if header else set()
    missing = [label for options, label in zip(needed, labels, strict=True) if not have & set(options)]
    if missing:
        raise MissingColumnError(sheet.file, sheet.name, found, missing)


def roster_rows(sheets: Sequence[Sheet], *, school: str | None, is_code: dict[str, str]) -> RawRoster:
    """Raw rows of every sheet that holds a roster.

    The school of a row: its school column; else --school; else the sheet's name. A sheet with
    no recognizable header is skipped (instructions, pivot tables) unless its name is a school
    code or it is the only sheet, when the missing columns are reported.
    is_code: the institution lookup (see roster.CodeLookup) as a function-like dict.
    """
    out = RawRoster()
    multi = len(sheets) > 1
    name_fields = ("given_name", "family_name", "full_name")
    for sheet in sheets:
        header = find_header(sheet.rows, "roster")
        sheet_school = is_code.get(sheet.name) if sheet.name else None
        if header is None or "email" not in header.columns:
            if not any(_text(c) for r in sheet.rows for c in r):
                if sheet_school is not None and school is None:
                    out.empty_schools[sheet_school] = sheet.name
                continue
            if multi and sheet_school is None:
                out.notes.append(f"sheet {sheet.name!r} skipped: no roster header (no email column)")
                continue
            _require(sheet, header, [("email",), name_fields], ["email", "name"])
        assert header is not None
        _require(sheet, header, [("email",), name_fields], ["email", "name"])
        rows = data_rows(sheet, header)
        if "school" not in header.columns:
            if school is not None:
                label, value = SCHOOL_OPTION_COLUMN, school
            elif sheet.name is not None and (multi or sheet_school is not None):
                label, value = SHEET_NAME_COLUMN, sheet.name
            else:
                raise MissingColumnError(
                    sheet.file,
                    sheet.name,
                    header.written,
                    ["school (or give --school CODE, or name each sheet by its school code)"],
                )
            for r in rows:
                r.values["school"] = value
                r.columns["school"] = label
            if not rows:
                out.empty_schools[is_code.get(value, value)] = sheet.name
        elif not rows and school is not None:
            out.empty_schools[is_code.get(school, school)] = sheet.name
        out.rows.extend(rows)
    return out


def school_rows(sheets: Sequence[Sheet]) -> list[RawRow]:
    """Raw rows of the schools file (the first sheet with a schools header)."""
    for sheet in sheets:
        header = find_header(sheet.rows, "schools")
        if header is not None and "code" in header.columns:
            _require(sheet, header, [("code",), ("name",), ("seats",)], ["code", "name", "seats"])
            return data_rows(sheet, header)
    first = sheets[0]
    _require(
        first,
        find_header(first.rows, "schools"),
        [("code",), ("name",), ("seats",)],
        ["code", "name", "seats"],
    )
    return []
