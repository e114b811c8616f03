"""Spreadsheet cells we can hand to an auditor: typed, styled, and never evaluated as formulas.

Which text a spreadsheet would run as a formula is decided in one place, importers.cells. In an
xlsx file a cell written as a *string* is never evaluated, but openpyxl turns every str starting
with "=" into a formula, so dangerous strings are written through a WriteOnlyCell forced to
data_type "s" (an inline string) with the quotePrefix style, so that Excel also keeps it as text
when someone edits the cell.

`TableWriter` streams one table into a write-only worksheet (openpyxl's write-only mode keeps one
row in memory): bold header on a fill, frozen header row, autofilter, column widths fitted to a
sample of the first rows, dates as real Excel dates, numbers as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from importers.cells import is_formula_like

MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
PERCENT_FORMAT = "0.0%"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
HEADER_ALIGNMENT = Alignment(vertical="center")
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0

# "auto": numbers stay numbers, dates become dates, anything else is text (for free-form data).
Kind = Literal["text", "int", "float", "percent", "datetime", "bool", "auto"]


def clean_text(value: Any) -> str:
    """A str that XML can carry and one cell can hold (control characters removed, cut at the limit)."""
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_CELL_CHARS]


def excel_datetime(value: datetime | date) -> datetime:
    """Excel has no time zones: aware times become naive UTC; dates become midnight."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    return datetime(value.year, value.month, value.day)


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, what its values are, and an optional fixed width."""

    header: str
    kind: Kind = "text"
    width: float | None = None


class CellFactory:
    """Turns Python values into cells for one write-only worksheet."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws

    def text(self, value: Any) -> Any:
        text = clean_text(value)
        if not is_formula_like(text):
            return text  # openpyxl stores any str not starting with "=" as a string
        cell = WriteOnlyCell(self.ws, value=None)
        cell.value = text
        cell.data_type = "s"  # never "f": written as an inline string, not evaluated
        cell.quotePrefix = True  # and Excel keeps it as text if the auditor edits the cell
        return cell

    def styled(self, value: Any, number_format: str) -> Cell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = number_format
        return cell

    def header(self, text: str) -> Cell:
        cell = WriteOnlyCell(self.ws, value=None)
        cell.value = clean_text(text)
        cell.data_type = "s"
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        return cell

    def bold(self, value: Any) -> Cell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value=None)
        cell.value = clean_text(value)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        return cell

    def value(self, value: Any, kind: Kind) -> Any:
        """The cell for `value` in a column of `kind` (None stays an empty cell)."""
        if value is None:
            return None
        if isinstance(value, Cell):  # made already (a percent in a Field/Value table)
            return value
        if kind == "datetime" and isinstance(value, datetime | date):
            return self.styled(excel_datetime(value), DATE_FORMAT)
        if kind == "percent" and isinstance(value, int | float | Decimal):
            return self.styled(float(value), PERCENT_FORMAT)
        if kind == "int" and isinstance(value, int | Decimal) and not isinstance(value, bool):
            return int(value)
        if kind == "float" and isinstance(value, int | float | Decimal):
            return float(value)
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "auto" and isinstance(value, datetime | date):
            return self.styled(excel_datetime(value), DATE_FORMAT)
        if isinstance(value, int | float) and not isinstance(value, bool) and kind != "text":
            return value
        return self.text(value)


def _display_width(value: Any, kind: Kind) -> float:
    if value is None:
        return 0.0
    if kind == "datetime":
        return 19.0
    if kind == "percent":
        return 7.0
    text = str(value)
    longest_line = max((len(line) for line in text.splitlines()), default=0)
    return float(longest_line)


class TableWriter:
    """Streams one table (header + rows) into a new write-only sheet of `wb`.

    Widths come from the first WIDTH_SAMPLE_ROWS rows, because a write-only sheet must declare
    its columns before its first row; the rest of the rows stream through with one row in memory.
    """

    def __init__(self, wb: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(title=title)
        self.columns = list(columns)
        self.cells = CellFactory(self.ws)
        self.rows_written = 0  # data rows, header excluded
        self.next_row = 1  # the sheet row the next append lands on
        self._started = False

    @property
    def last_column(self) -> str:
        return get_column_letter(len(self.columns))

    def _start(self, sample: Sequence[Sequence[Any]]) -> None:
        for index, column in enumerate(self.columns, start=1):
            width = column.width
            if width is None:
                seen = [_display_width(row[index - 1], column.kind) for row in sample if len(row) >= index]
                width = max([len(column.header) + 2.0, *(w + 2.0 for w in seen)])
            # The write-only sheet has column_dimensions and auto_filter; types-openpyxl omits them.
            dimensions = self.ws.column_dimensions  # type: ignore[attr-defined]
            dimensions[get_column_letter(index)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
        self.ws.freeze_panes = "A2"
        self.ws.append([self.cells.header(column.header) for column in self.columns])
        self.next_row = 2
        self._started = True

    def _append(self, row: Sequence[Any]) -> None:
        self.ws.append(
            [self.cells.value(value, column.kind) for value, column in zip(row, self.columns, strict=False)]
        )
        self.rows_written += 1
        self.next_row += 1

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Write the header and every row; set the autofilter over them. Returns the row count."""
        iterator: Iterator[Sequence[Any]] = iter(rows)
        sample = list(islice(iterator, WIDTH_SAMPLE_ROWS))
        self._start(sample)
        for row in sample:
            self._append(row)
        del sample
        for row in iterator:
            self._append(row)
        self.ws.auto_filter.ref = f"A1:{self.last_column}{self.rows_written + 1}"  # type: ignore[attr-defined]
        return self.rows_written

    def append_free_row(self, values: Sequence[Any]) -> int:
        """A row after the table (totals, notes): outside the autofilter. Returns its row number."""
        if not self._started:
            raise RuntimeError("write the table before the rows after it")
        self.ws.append(list(values))
        self.next_row += 1
        return self.next_row - 1
