"""Errors of the importers: the file as a whole cannot be imported.

    ImporterError
    ├── FileFormatError       not a spreadsheet, encrypted, truncated, a zip bomb, unreadable
    ├── MissingColumnError    a required column is absent (names the columns found)
    ├── DuplicateKeyError     a key appears twice where the whole file must be refused
    └── DataError             refused as a whole: empty sheet, shrink beyond the threshold

Rows that are wrong one by one are not errors: they are reported as rejected rows.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_COLUMNS_SHOWN = 15
MAX_COLUMN_CHARS = 40


def _short(column: str) -> str:
    """A header as found, quoted, cut to a readable length (a binary first row is no header)."""
    text = repr(column)
    return text if len(text) <= MAX_COLUMN_CHARS else text[: MAX_COLUMN_CHARS - 1] + "…"


class ImporterError(Exception):
    """Root of everything the importers raise: the file as a whole cannot be imported."""


class FileFormatError(ImporterError):
    """The file cannot be read as a spreadsheet (one clear message, never a traceback)."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


class MissingColumnError(ImporterError):
    """A required column is missing; the message names what was found so the school can fix it."""

    def __init__(
        self, file: str, sheet: str | None, found_columns: Sequence[str], missing: Sequence[str] = ()
    ) -> None:
        self.file = file
        self.sheet = sheet
        self.found_columns = list(found_columns)
        self.missing = list(missing)
        where = f"{file}, sheet {sheet!r}" if sheet else file
        shown = [_short(c) for c in self.found_columns[:MAX_COLUMNS_SHOWN]]
        if len(self.found_columns) > MAX_COLUMNS_SHOWN:
            shown.append(f"and {len(self.found_columns) - MAX_COLUMNS_SHOWN} more")
        found = ", ".join(shown) or "none"
        need = ", ".join(self.missing) or "the header row"
        super().__init__(f"{where}: missing required column(s) {need}; columns found: {found}")


class DuplicateKeyError(ImporterError):
    """A key that must be unique appears twice and the file cannot be taken row by row."""


class DataError(ImporterError):
    """The data is readable but refused as a whole (empty sheet, roster shrinking too much)."""
