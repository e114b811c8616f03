"""The rejected rows as an .xlsx the school can open, fix and send back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from importers.report import ImportReport
from models.files import private_atomic

HEADERS = ["file", "sheet", "row", "column", "reason", "detail", "value"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading
    apostrophe-free quote: a single ' so it shows as typed and never executes."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def default_rejects_path(file: str | Path) -> Path:
    """Beside the input: roster.xlsx -> roster.rejects.xlsx (a folder: <folder>.rejects.xlsx)."""
    p = Path(file)
    stem = p.name if p.is_dir() else p.stem
    return p.with_name(f"{stem}.rejects.xlsx")


def write_rejects_xlsx(report: ImportReport, path: str | Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("rejected")
    ws.append(HEADERS)
    for r in report.rejected:
        row = []
        for value in (r.file, r.sheet or "", r.row, r.column or "", r.reason, r.detail, r.value or ""):
            cell = WriteOnlyCell(ws, value=safe_cell(value))
            if isinstance(value, str):
                cell.data_type = "s"  # stored as text: never a formula, whatever it starts with
            row.append(cell)
        ws.append(row)
    # names and emails of people: 0600, and whole or absent (a temporary file renamed over it)
    with private_atomic(path) as tmp:
        wb.save(tmp)
    return path
