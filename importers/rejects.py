"""The rejected rows as workbooks a school can open, fix and send back: one per school.

Each workbook holds only its school's rows (so a file emailed to one school shows no other's
data), each rejected row whole (its names, email, role as written) with the wrong column, the
problem in plain words and how to fix it, in the roster's language (importers.explain). Bold
frozen header, fitted widths, a filter, right-to-left sheets for Arabic. Names carry the date
and are never overwritten: a second run the same day writes `…-2.xlsx`. Cells are text, never
formulas (a roster cell typed `=HYPERLINK(…)` stays the text it was).
"""

from __future__ import annotations

import io
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from importers.cells import csv_safe
from importers.explain import RIGHT_TO_LEFT, detect_language, explain, labels
from importers.report import ImportReport, Rejected

DEFAULT_DIR_NAME = "rejects"
MAX_WIDTH = 60
NO_SCHOOL = "no-school"
# Rejects name people: readable by the operator only (what the importer writes is 0600).
FILE_MODE = 0o600


def default_rejects_path(file: str | Path) -> Path:
    """Beside the input: roster.xlsx -> roster.rejects.xlsx (a folder: <folder>.rejects.xlsx)."""
    p = Path(file)
    stem = p.name if p.is_dir() else p.stem
    return p.with_name(f"{stem}.rejects.xlsx")


def default_rejects_dir(file: str | Path) -> Path:
    """Beside the input: a `rejects` folder next to the roster."""
    return Path(file).parent / DEFAULT_DIR_NAME


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.") or "file"


def _rows(rejected: Sequence[Rejected]) -> list[list[Rejected]]:
    """The rejected cells grouped by spreadsheet row, in file order."""
    grouped: dict[tuple[str, str | None, int], list[Rejected]] = defaultdict(list)
    for r in rejected:
        grouped[(r.file, r.sheet, r.row)].append(r)
    return list(grouped.values())


def _workbook(rows: list[list[Rejected]]) -> Any:
    from openpyxl import Workbook
    from openpyxl.cell import Cell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    own: list[str] = []  # the roster's own columns, in the order they first appear
    for cells in rows:
        for name, _ in cells[0].cells:
            if name not in own:
                own.append(name)
    language = detect_language([*own, *(r.column or "" for cells in rows for r in cells)])
    words = labels(language)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = words["sheet"][:31]
    ws.sheet_view.rightToLeft = language in RIGHT_TO_LEFT
    header = [words["file"], words["sheet_name"], words["row"], *own, words["column"], words["problem"]]
    header.append(words["fix"])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for ws_row, cells in enumerate(rows, start=2):
        first = cells[0]
        values = dict(first.cells)
        explained = [explain(r.reason, r.value, r.detail, r.column, language) for r in cells]
        line: list[Any] = [first.file, first.sheet or "", first.row, *(values.get(h, "") for h in own)]
        line.append("\n".join(dict.fromkeys(r.column or "" for r in cells)))
        line.append("\n".join(e.problem for e in explained))
        line.append("\n".join(dict.fromkeys(e.fix for e in explained)))
        # Cells made here and appended whole: looking the row up again (ws[ws.max_row]) scans
        # every cell of the sheet, minutes for a file of 100,000 rejected rows.
        made = []
        for column, v in enumerate(line, start=1):
            cell = Cell(ws, row=ws_row, column=column, value=safe_text(v))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # stored as text: never a formula, whatever it starts with
                cell.alignment = wrap
            made.append(cell)
        ws.append(made)
    for index, title in enumerate(header, start=1):
        longest = max((len(str(c.value or "")) for c in ws[get_column_letter(index)]), default=0)
        ws.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(len(title), longest) + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    return wb


def safe_text(value: Any) -> Any:
    """A cell value that stays what the school typed: text as text, with its formula start kept
    harmless (the importer's own numbers stay numbers)."""
    return csv_safe(value) if isinstance(value, str) else value


def save_new(wb: Any, path: Path) -> Path:
    """Save under `path`, or `stem-2`, `stem-3`… if taken: an earlier workbook is never replaced."""
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
        return candidate
    raise FileExistsError(f"{path}: too many rejects workbooks of the same day")


def write_school_rejects(
    report: ImportReport, directory: str | Path, *, today: date | None = None
) -> dict[str, Path]:
    """One workbook per school in `directory`: {school code (or "no-school"): path}.

    Named `<school>-<input>-<YYYY-MM-DD>.xlsx`; rows naming no school we know go to
    `no-school-…` (for the ministry, not for a school). A schools file's rejects are one workbook.
    """
    day = (today or date.today()).isoformat()
    stem = _slug(Path(report.file).stem)
    by_school: dict[str, list[Rejected]] = defaultdict(list)
    for r in report.rejected:
        owner = "schools" if report.kind == "schools" else (r.school or NO_SCHOOL)
        by_school[owner].append(r)
    written: dict[str, Path] = {}
    for owner, rejected in sorted(by_school.items()):
        path = Path(directory) / f"{_slug(owner)}-{stem}-{day}.xlsx"
        written[owner] = save_new(_workbook(_rows(rejected)), path)
    return written


def write_rejects_xlsx(report: ImportReport, path: str | Path) -> Path:
    """Every rejected row of the import in one workbook at `path` (for the ministry: --rejects-out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    _workbook(_rows(report.rejected)).save(buffer)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(buffer.getvalue())
    os.chmod(path, FILE_MODE)
    return path
