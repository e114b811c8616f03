"""How big each worksheet of an xlsx really is, read from its XML before a reader builds the grid.

python-calamine builds a dense grid from A1 to the last cell (rows x columns, ~40 bytes a cell
between Rust and Python) and openpyxl's read-only reader pads every row to the declared width,
so one cell at XFD1048576 in a 5 KB file asks for 512 GB (the process aborts) and one at
CV1048576 for 4 GB. The declared range (<dimension ref>), the cells present and the merged
ranges are measured here from the XML, streamed, and a sheet whose grid would exceed
MAX_SHEET_CELLS is refused naming the range, before any grid exists.

Speed matters (a 100,000-row roster is ~40 MB of sheet XML): when every cell carries its
reference as its first attribute, as Excel, LibreOffice, openpyxl and the OpenXML SDK write,
two regex passes measure it (~0.15 s for that roster, against ~2 s for calamine to read it);
anything else is measured exactly with expat.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from importers.errors import FileFormatError

# A grid of 5 million cells is ~200 MB once read; a 100,000-row roster of 10 columns is 1 million.
MAX_SHEET_CELLS = 5_000_000
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
CHUNK = 256 << 10  # a piece stays in the CPU cache for the three scans of it (1 MB: ~5% slower)

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="([^"]*)"')
_MERGE = re.compile(rb'mergeCell\s+ref="([^"]*)"')  # a literal start: fast on 40 MB


class Extent:
    """The grid a reader would build: rows x columns from A1."""

    # A plain class: dataclasses (inspect, ast) would load before the read-ahead can start.
    __slots__ = ("columns", "rows")

    def __init__(self, rows: int = 0, columns: int = 0) -> None:
        self.rows = rows
        self.columns = columns

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Extent) and (self.rows, self.columns) == (other.rows, other.columns)

    def __repr__(self) -> str:
        return f"Extent(rows={self.rows}, columns={self.columns})"

    def add(self, rows: int, columns: int) -> None:
        self.rows = max(self.rows, rows)
        self.columns = max(self.columns, columns)

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def ref(self) -> str:
        return f"A1:{column_letters(self.columns)}{self.rows}" if self.cells else "A1"


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"


def _last_corner(ref: str) -> tuple[int, int] | None:
    """(row, column) of the far corner of "A1:CV1048576" (or of a single cell)."""
    found = _REF.findall(ref.split(":")[-1])
    if not found:
        return None
    letters, digits = found[-1]
    return int(digits), column_number(letters)


def worksheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name in the archive) for each worksheet, in the workbook's order."""
    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return []  # the readers report a workbook without its parts in their own words
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_NS_PKG_REL}}}Relationship")}
    parts = []
    for sheet in workbook.iter(f"{{{_NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_NS_REL}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if part in zf.NameToInfo:
            parts.append((sheet.get("name", "?"), part))
    return parts


def _chunks(zf: zipfile.ZipFile, part: str, end: bytes = b"<") -> Iterator[bytes]:
    """The part's bytes in pieces that end before a "<" (or just after `end`, an end tag): no
    tag (or element) is ever cut in two."""
    carry = b""
    keep = 0 if end == b"<" else len(end)
    with zf.open(part) as fh:
        while chunk := fh.read(CHUNK):
            data = carry + chunk
            cut = data.rfind(end)
            if cut <= 0:
                carry = data
                continue
            carry = data[cut + keep :]
            yield data[: cut + keep]
    if carry:
        yield carry


def _fast_extent(zf: zipfile.ZipFile, part: str, max_cells: int) -> tuple[Extent, Extent, bool] | None:
    """(declared, used, holds formulas) in regex passes that match little in a roster; None when a
    cell does not carry its reference first (then only the exact parse can place it).

    Pass one matches only the rare cells: those of two- or three-letter columns, those of rows of
    six digits or more, and those without their reference first; besides, the merged ranges,
    the formulas and the declared range. A sheet of single-letter columns is at most 26 wide,
    and rows below 100,000 times 26 columns stay under the bound: only when that does not settle
    it (a tighter bound, or more rows) are the exact columns counted, in a second pass over
    every cell, and rows with fewer digits than max_cells // columns has looked for."""
    declared, used = Extent(), Extent()
    pieces = _chunks(zf, part)
    head = next(pieces, b"")
    root = _ROOT.search(head)
    prefix = root.group(1) + b":" if root and root.group(1) else b""
    cell = re.escape(b"<" + prefix + b"c")
    # groups: letters and row of a cell of two or three letters; the row of a single-letter cell
    # of six digits or more; none of them for a cell without its reference first
    rare = re.compile(
        cell + rb'(?:[>/]|\s(?!r="[A-Z]{1,3}[0-9])| r="([A-Z]{2,3})(?=[0-9])(?:([0-9]+)")?'
        rb'| r="[A-Z]([0-9]{6,})")'
    )
    formula = re.compile(re.escape(b"<" + prefix + b"f") + rb"[\s>/]")
    dim = _DIMENSION.search(head)
    corner = _last_corner(dim.group(1).decode("ascii", "replace")) if dim else None
    if corner:
        declared.add(*corner)
    wide: set[bytes] = set()
    formulas = False
    for data in itertools.chain([head], pieces):
        for letters, row, tall_row in rare.findall(data):
            if letters:
                wide.add(letters)
                if len(row) >= 6:
                    used.add(int(row), 0)
            elif tall_row:
                used.add(int(tall_row), 0)
            else:
                return None
        formulas = formulas or formula.search(data) is not None
        for merged in _MERGE.findall(data):
            corner = _last_corner(merged.decode("ascii", "replace"))
            if corner:
                used.add(*corner)
    if wide:
        used.add(1, max(column_number(x.decode()) for x in wide))
    elif used.columns <= 26 and used.rows * 26 <= max_cells and max_cells // 26 >= 100_000:
        # single letters: whatever the exact width, no grid over the bound (26 columns stand in)
        return declared, _at_least(used, 26), formulas
    else:
        columns = _columns(zf, part, cell)
        if columns is None:
            return None
        if not columns:
            return declared, used, formulas
        used.add(1, columns)
    safe_rows = max(max_cells // used.columns, 1)  # rows up to this cannot exceed the bound
    digits = len(str(safe_rows))
    if digits < 6:  # a wide sheet: shorter row numbers matter too (a second, rarer pass)
        tall = re.compile(cell + rb' r="[A-Z]{1,3}([0-9]{%d,})"' % digits)
        for data in _chunks(zf, part):
            for row in tall.findall(data):
                used.add(int(row), 0)
    return declared, used, formulas


def _at_least(used: Extent, columns: int) -> Extent:
    return Extent(used.rows, max(used.columns, columns))


def _columns(zf: zipfile.ZipFile, part: str, cell: bytes) -> int | None:
    """The exact width from every cell's column letters (0: no cell; None: a cell without its
    reference first)."""
    # group 1: the column letters of a cell whose reference comes first; b"" for any other cell
    columns_of = re.compile(cell + rb'(?: r="([A-Z]{1,3})[0-9]|[\s>/])')
    letters: set[bytes] = set()
    for data in _chunks(zf, part):
        letters.update(columns_of.findall(data))
    if b"" in letters:
        return None
    return max((column_number(x.decode()) for x in letters), default=0)


def _exact_extent(zf: zipfile.ZipFile, part: str) -> tuple[Extent, Extent, bool]:
    """(declared, used) by parsing every element: rows and cells without references count by
    position, as the readers place them."""
    declared, used = Extent(), Extent()
    row = col = 0
    formulas = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, formulas
        local = name.rsplit(":", 1)[-1]
        formulas = formulas or local == "f"
        if local == "row":
            row = int(attrs["r"]) if attrs.get("r", "").isdigit() else row + 1
            col = 0
        elif local == "c":
            corner = _last_corner(attrs.get("r", ""))
            if corner:
                row, col = corner[0], corner[1]
            else:
                col += 1
            used.add(max(row, 1), col)
        elif local == "dimension":
            corner = _last_corner(attrs.get("ref", ""))
            if corner:
                declared.add(*corner)
        elif local == "mergeCell":
            corner = _last_corner(attrs.get("ref", ""))
            if corner:
                used.add(*corner)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with zf.open(part) as fh:
            parser.ParseFile(fh)
    except expat.ExpatError:
        pass  # a damaged sheet: the readers say so; what was measured still counts
    return declared, used, formulas


def check_workbook(path: Path, kind: str, display: str) -> set[str]:
    """What is checked before either reader builds a workbook's grid: an xlsx's sheet ranges
    (check_xlsx_extent). The names of the sheets that hold formulas."""
    return check_xlsx_extent(str(path), display) if kind == "xlsx" else set()


def check_xlsx_extent(path: str, display: str, max_cells: int = MAX_SHEET_CELLS) -> set[str]:
    """FileFormatError naming the sheet and the range when a worksheet's declared or used range
    would make a reader build a grid of more than `max_cells` cells (or beyond Excel's own limits).

    Returns the names of the sheets that hold formulas (measured on the way; see formulas.py)."""
    with_formulas = set()
    with zipfile.ZipFile(path) as zf:
        for name, part in worksheet_parts(zf):
            declared, used, formulas = _fast_extent(zf, part, max_cells) or _exact_extent(zf, part)
            if formulas:
                with_formulas.add(name)
            for what, extent in (("declares", declared), ("uses", used)):
                too_big = (
                    extent.cells > max_cells
                    or extent.rows > EXCEL_MAX_ROWS
                    or extent.columns > EXCEL_MAX_COLUMNS
                )
                if too_big:
                    raise FileFormatError(
                        display,
                        f"sheet {name!r} {what} the range {extent.ref} ({extent.rows:,} rows x "
                        f"{extent.columns:,} columns = {extent.cells:,} cells); at most {max_cells:,} "
                        "cells are read. A stray cell far below or right of the data? Delete the "
                        "empty rows and columns after the data and save the file again",
                    )
    return with_formulas
