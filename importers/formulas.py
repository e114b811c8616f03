"""Formula cells saved without their value.

Excel stores each formula's last result beside it (<v>), and the readers give that cached value.
A file written by a program that does not compute formulas (openpyxl, many exporters) has none:
the readers then see an empty cell, and "=CONCAT(B2;"@school.ua")" would be reported as a
missing email with an empty value. These cells are found here, from the sheet XML, so that the
rejection names the formula and how to get its value saved.
"""

from __future__ import annotations

import re
import zipfile
from xml.sax.saxutils import unescape

from importers.extent import _chunks, column_number, worksheet_parts

# A cell element with its content (not self-closing), and what it holds.
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>(.*?)</c>', re.DOTALL)
_FORMULA = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>(.*?)</f>)", re.DOTALL)
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>[^<]+</v>|<is>")

Uncached = dict[tuple[int, int], str]  # (row index, column index), 0-based -> the formula


def _sheet_uncached(zf: zipfile.ZipFile, part: str) -> Uncached:
    found: Uncached = {}
    for data in _chunks(zf, part, end=b"</c>"):
        if b"<f" not in data:
            continue
        for letters, digits, content in _CELL.findall(data):
            formula = _FORMULA.search(content)
            if formula is None or _VALUE.search(content):
                continue
            text = unescape((formula.group(1) or b"").decode("utf-8", "replace"))
            found[(int(digits) - 1, column_number(letters.decode()) - 1)] = text
    return found


def uncached_formulas(path: str, sheets: set[str]) -> dict[str, Uncached]:
    """Per sheet name (of `sheets`, those holding formulas), the formula cells without a saved value.

    Only cells written with their reference first (as every spreadsheet program writes them)
    are looked at; the scan is one pass over the sheet XML, skipped for chunks without "<f"."""
    out: dict[str, Uncached] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in worksheet_parts(zf):
            if name not in sheets:
                continue
            cells = _sheet_uncached(zf, part)
            if cells:
                out[name] = cells
    return out
