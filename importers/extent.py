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
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.parsers import expat

from importers.errors import FileFormatError

# A grid of 5 million cells is ~200 MB once read; a 100,000-row roster of 10 columns is 1 million.
MAX_SHEET_CELLS = 5_000_000
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
CHUNK = 1 << 20

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="([^"]*)"')
_MERGE = re.compile(rb'mergeCell\s+ref="([^"]*)"')  # a literal start: fast on 40 MB


@dataclass
class Extent:
    """The grid a reader would build: rows x columns from A1."""

    rows: int = 0
    columns: int = 0

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

    Pass one: the distinct column letters of every cell, rows of six digits or more, the merged
    ranges and the declared range. Rows with fewer digits than max_cells // columns has can
    never exceed the bound; only a sheet wider than that allows (over 50 columns at 5 million)
    needs a second pass for shorter row numbers."""
    declared, used = Extent(), Extent()
    pieces = _chunks(zf, part)
    head = next(pieces, b"")
    root = _ROOT.search(head)
    cell = b"<" + (root.group(1) + b":" if root and root.group(1) else b"") + b"c"
    # group 1: the column letters of a cell whose reference comes first; b"" for any other cell
    columns_of = re.compile(re.escape(cell) + rb'(?: r="([A-Z]{1,3})[0-9]|[\s>/])')
    dim = _DIMENSION.search(head)
    corner = _last_corner(dim.group(1).decode("ascii", "replace")) if dim else None
    if corner:
        declared.add(*corner)
    tall_pattern = re.escape(cell) + rb' r="[A-Z]{1,3}([0-9]{%d,})"'
    # rows of six digits or more: enough for any width up to max_cells // 100,000 columns
    tall = re.compile(tall_pattern % 6)
    letters: set[bytes] = set()
    formula = b"<" + cell[1:-1] + b"f"
    formulas = False
    for data in itertools.chain([head], pieces):
        letters.update(columns_of.findall(data))
        formulas = formulas or formula in data
        for row in tall.findall(data):
            used.add(int(row), 0)
        for merged in _MERGE.findall(data):
            corner = _last_corner(merged.decode("ascii", "replace"))
            if corner:
                used.add(*corner)
    if b"" in letters:
        return None
    if not letters:
        return declared, used, formulas
    used.add(1, max(column_number(x.decode()) for x in letters))
    safe_rows = max(max_cells // used.columns, 1)  # rows up to this cannot exceed the bound
    digits = len(str(safe_rows))
    if digits < 6:  # a wide sheet: shorter row numbers matter too (a second, rarer pass)
        tall = re.compile(tall_pattern % digits)
        for data in _chunks(zf, part):
            for row in tall.findall(data):
                used.add(int(row), 0)
    return declared, used, formulas


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
