"""Tables for people and for programs: never a column lost, whatever the width or the pipe.

- a terminal wide enough: the rich table as drawn;
- a terminal too narrow (80 columns, an ssh window): each row stacked as `header: value` lines,
  every column kept and no value cut;
- not a terminal (cron, a pipe, a file): the title, then plain tab-separated lines, header
  first, nothing cut or wrapped, for `cut`, `awk` and spreadsheets;
- `--output csv`: the same cells as CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        text = Text.from_markup(cell).plain
    else:
        text = str(cell) if cell is not None else ""
    return " ".join(text.split())  # one line per row: no tab or newline inside a cell


def table_cells(table: Table) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a rich table as plain strings (sections and styles dropped)."""
    headers = [_plain(column.header) for column in table.columns]
    columns = [list(column.cells) for column in table.columns]
    rows = [[_plain(col[i]) if i < len(col) else "" for col in columns] for i in range(table.row_count)]
    return headers, rows


def fits(console: Console, table: Table) -> bool:
    """True when every cell fits unwrapped and uncut (measured without the console's own limit)."""
    unbounded = console.options.update(max_width=1_000_000)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def print_table(console: Console, table: Table) -> None:
    """Draw, stack or list `table` (see the module docstring) on `console`."""
    if not console.is_terminal:
        headers, rows = table_cells(table)
        # Straight to the file: rich would expand the tabs into spaces.
        out = console.file
        if table.title:
            out.write(_plain(table.title) + "\n")
        out.write("\t".join(headers) + "\n")
        for row in rows:
            out.write("\t".join(row) + "\n")
        out.flush()
        return
    if fits(console, table):
        console.print(table)
        return
    headers, rows = table_cells(table)
    if table.title:
        console.print(Text(_plain(table.title), style="bold"))
    for row in rows:
        first = True
        for header, value in zip(headers, row, strict=True):
            if not value:
                continue
            line = Text(f"{header}: ", style="bold" if first else "dim")
            line.append(value, style="bold" if first else "")
            console.print(line if first else Text("  ").append_text(line))
            first = False
        console.print()


def write_csv(out: IO[str], tables: Sequence[Table]) -> None:
    """The tables as CSV on `out` (several tables: a blank line between them)."""
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            out.write("\n")
        headers, rows = table_cells(table)
        writer.writerow(headers)
        writer.writerows(rows)
