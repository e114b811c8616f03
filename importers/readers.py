"""Readers: a workbook (xlsx/xlsm/xls/ods) or a CSV -> sheets of text cells.

python-calamine (Rust) reads every workbook format and gives formula cells their cached
values; openpyxl (read-only, data_only) is the fallback for an xlsx calamine cannot serve.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importers.errors import FileFormatError
from importers.extent import check_workbook
from importers.headers import HEADER_SCAN_ROWS
from importers.normalize import cell_text
from importers.sniff import Kind

log = logging.getLogger(__name__)

CSV_DELIMITERS = ",;\t"
# The Windows code pages the ministry's offices save in (Cyrillic, Arabic, Western), weighed
# by charset-normalizer when the bytes are not UTF-8. Close cousins (cp1250, cp1257, koi8)
# are left out on purpose: on a short file they win ties and turn "Élève" into "Élčve";
# a file in none of these falls back to charset-normalizer's full search.
CODEPAGES = ["cp1251", "cp1256", "cp1252"]


@dataclass
class Sheet:
    """One sheet: rows[i] is the row the spreadsheet shows as number i + 1.

    Cells are text in the first HEADER_SCAN_ROWS rows; below them a workbook's cells may still
    be numbers, dates or booleans (see normalize.cell_text)."""

    file: str
    name: str | None
    rows: list[list[Any]] = field(default_factory=list)
    # (row index, column index) -> formula, for formula cells saved without their value (the
    # readers show those as empty)
    uncached: dict[tuple[int, int], str] = field(default_factory=dict)


def _fill_merged(rows: list[list[Any]], ranges: Iterable[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    # A school name merged down a block of rows belongs to every row of the block.
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if not row[c]:
                    row[c] = value


def _read_calamine(path: Path, display: str) -> list[Sheet]:
    import python_calamine as pc

    sheets: list[Sheet] = []
    name = str(path)
    # By path, calamine parses without the GIL (a file-like object holds it for the whole read):
    # another thread, the CLI's start or importers.ahead's caller, runs meanwhile.
    with contextlib.nullcontext() if _utf8(name) else path.open("rb") as fh:
        wb = pc.CalamineWorkbook.from_path(name) if fh is None else pc.CalamineWorkbook.from_filelike(fh)
        try:
            for meta in wb.sheets_metadata:
                if str(getattr(meta, "typ", "")).lower().endswith(("chartsheet", "vba", "macro")):
                    continue
                ws = wb.get_sheet_by_name(meta.name)
                rows = ws.to_python(skip_empty_area=False)
                # Text for the rows the header search reads; the data rows' numbers and dates
                # are turned into text only for the columns used (rows.py), not cell by cell here.
                for i in range(min(HEADER_SCAN_ROWS, len(rows))):
                    rows[i] = [v if type(v) is str else cell_text(v) for v in rows[i]]
                try:
                    merged = ws.merged_cell_ranges
                except Exception:  # not every format exposes merged cells
                    merged = None
                if merged:
                    _fill_merged(rows, merged)
                sheets.append(Sheet(display, meta.name, rows))
        finally:
            wb.close()
    return sheets


def _utf8(name: str) -> bool:
    """Whether calamine can open this path by name (a str path of undecodable bytes cannot)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_openpyxl(path: Path, display: str) -> list[Sheet]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = [[cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
            sheets.append(Sheet(display, ws.title, rows))
        return sheets
    finally:
        wb.close()


def read_workbook(path: Path, kind: Kind, display: str) -> list[Sheet]:
    return read_checked(path, kind, display, check_workbook(path, kind, display))


def read_checked(path: Path, kind: Kind, display: str, with_formulas: set[str]) -> list[Sheet]:
    """The sheets of a workbook that check_workbook passed (with_formulas: what it found)."""
    sheets = _read_any(path, kind, display)
    if with_formulas:
        from importers.formulas import uncached_formulas  # a rare sheet's: not loaded for the rest

        uncached = uncached_formulas(str(path), with_formulas)
        for sheet in sheets:
            sheet.uncached = uncached.get(sheet.name or "", {})
    return sheets


def _read_any(path: Path, kind: Kind, display: str) -> list[Sheet]:
    import python_calamine as pc

    try:
        return _read_calamine(path, display)
    except pc.PasswordError:
        raise FileFormatError(
            display, "the workbook is password-protected (encrypted); save it without a password"
        ) from None
    except Exception as exc:
        if kind != "xlsx":
            raise FileFormatError(
                display, f"cannot read the {kind} workbook (damaged or truncated): {exc}"
            ) from None
        log.info("calamine could not read %s (%s); falling back to openpyxl", display, exc)
        first = exc
    try:
        return _read_openpyxl(path, display)
    except Exception:
        raise FileFormatError(display, f"cannot read the workbook (damaged or truncated): {first}") from None


def decode_text(data: bytes, display: str) -> str:
    """Bytes of a CSV -> text: UTF-8 (with or without BOM) if it is, else the code page
    charset-normalizer finds most plausible among the Windows ones offices use."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CODEPAGES).best() or from_bytes(data).best()
    if best is None:
        raise FileFormatError(display, "not a spreadsheet: the text encoding could not be recognized")
    log.debug("%s decoded as %s", display, best.encoding)
    return str(best)


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on ragged files (title rows); the most frequent candidate wins.
        counts = {d: sample.count(d) for d in CSV_DELIMITERS}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv_text(text: str, display: str, sheet: str | None = None) -> Sheet:
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        raise FileFormatError(display, f"cannot read the CSV: {exc}") from None
    return Sheet(display, sheet, rows)


def read_csv(path: Path, display: str) -> Sheet:
    return read_csv_text(decode_text(path.read_bytes(), display), display)


def read_sheets(path: Path, kind: Kind, display: str) -> list[Sheet]:
    """Every sheet of a workbook, or the single sheet of a CSV."""
    if kind == "csv":
        return [read_csv(path, display)]
    return read_workbook(path, kind, display)
