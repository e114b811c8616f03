"""The rejects workbook a school receives: every rejected row, a reason column, no live formulas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

from importers import ImportReport, default_rejects_path, write_rejects_xlsx
from importers.report import Rejected


def test_rejects_xlsx_has_reason_column_and_is_formula_safe(tmp_path: Path) -> None:
    report = ImportReport(kind="roster", file="r.xlsx", sha256="0" * 64)
    report.rejected = [
        Rejected("r.xlsx", "0421", 7, "Email", "bad email", '=HYPERLINK("http://evil","click")'),
        Rejected("r.xlsx", "0421", 9, "Посада", "unknown role", "+садівник", "x"),
        Rejected("r.xlsx", None, 12, "E-mail", "duplicate inside the file", "@SUM(1)"),
    ]
    out = write_rejects_xlsx(report, tmp_path / "out" / "r.rejects.xlsx")
    ws = openpyxl.load_workbook(out).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["file", "sheet", "row", "column", "reason", "detail", "value"]
    assert rows[1] == ["r.xlsx", "0421", 7, "Email", "bad email", None, '\'=HYPERLINK("http://evil","click")']
    assert rows[2][6] == "'+садівник"
    assert rows[3][6] == "'@SUM(1)"
    with zipfile.ZipFile(out) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_default_rejects_path_is_beside_the_input(tmp_path: Path) -> None:
    assert default_rejects_path(tmp_path / "roster 2026.xlsx") == tmp_path / "roster 2026.rejects.xlsx"


def test_rejects_quote_what_exports_quote(tmp_path: Path) -> None:
    # One guard for every sheet we write: a blank before the sign or a full-width sign (which
    # some spreadsheet programs fold to "=") is a formula to the rejects file too.
    report = ImportReport(kind="roster", file="r.csv", sha256="0" * 64)
    report.rejected = [
        Rejected("r.csv", None, 2, "email", "bad email", " =1+1"),
        Rejected("r.csv", None, 3, "email", "bad email", "＝SUM(A1)"),
        Rejected("r.csv", None, 4, "email", "bad email", "a-b@x"),
    ]
    out = write_rejects_xlsx(report, tmp_path / "r.rejects.xlsx")
    values = [row[6].value for row in openpyxl.load_workbook(out).active.iter_rows(min_row=2)]
    assert values == ["' =1+1", "'＝SUM(A1)", "a-b@x"]
