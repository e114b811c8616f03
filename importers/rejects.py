"""The rejected rows as an .xlsx the school can open, fix and send back."""

from __future__ import annotations

from pathlib import Path

from importers.cells import csv_safe
from importers.report import ImportReport

HEADERS = ["file", "sheet", "row", "column", "reason", "detail", "value"]


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
            cell = WriteOnlyCell(ws, value=csv_safe(value))
            if isinstance(value, str):
                cell.data_type = "s"  # stored as text: never a formula, whatever it starts with
            row.append(cell)
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
