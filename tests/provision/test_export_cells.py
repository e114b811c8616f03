"""Formula-injection safety of single cells, xlsx and CSV."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from importers.cells import csv_safe, is_formula_like
from provision.reports.xlsx import Column, TableWriter

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+38050123",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\r=1",
    "  =1+1",
    "＝1+1",
]
HARMLESS = ["Олена", "a=b", "user@example.org", "1+1", "", " spaced"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_detected_and_csv_prefixed(text: str) -> None:
    assert is_formula_like(text)
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_left_alone(text: str) -> None:
    assert not is_formula_like(text)
    assert csv_safe(text) == text
    assert csv_safe(42) == 42


def test_every_dangerous_string_reads_back_unchanged_as_a_string(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    kyiv = timezone(timedelta(hours=3))
    rows = [(text, i, datetime(2026, 1, 2, 15, 4, 5, tzinfo=kyiv)) for i, text in enumerate(DANGEROUS)]
    rows.append(("bad\x01control\x1fchars", 99, None))
    TableWriter(wb, "T", [Column("Text"), Column("N", "int"), Column("At", "datetime")]).write(rows)
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["T"]
    for index, text in enumerate(DANGEROUS, start=2):
        cell = ws.cell(row=index, column=1)
        assert (cell.value, cell.data_type) == (text, "s"), text  # lxml keeps even the CR (as &#13;)
        assert ws.cell(row=index, column=2).value == index - 2
        assert ws.cell(row=index, column=3).value == datetime(2026, 1, 2, 12, 4, 5)  # UTC, naive
    assert ws.cell(row=len(DANGEROUS) + 2, column=1).value == "badcontrolchars"
