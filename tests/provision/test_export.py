"""The auditors' workbook, read back with openpyxl and checked cell by cell."""

from __future__ import annotations

import csv
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from importers.cells import is_formula_like
from models import session_scope
from provision.errors import InputError
from provision.reports import export
from tests.provision.ops_data import INJECTION, PHONE, make_db, seed


@pytest.fixture
def engine(database_url: str):
    engine = make_db(database_url)
    seed(engine)
    return engine


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def _export(engine, path: Path, **kwargs) -> export.ExportResult:
    with session_scope(engine) as s:
        return export.export_audit_xlsx(s, path, **kwargs)


def test_workbook_has_the_five_sheets_with_styled_frozen_filtered_headers(engine, tmp_path: Path) -> None:
    result = _export(engine, tmp_path / "audit.xlsx")
    assert result.rows == {"Summary": 3, "Licenses": 8, "Changes": 3, "Drift": 2, "Import issues": 1}
    wb = load_workbook(tmp_path / "audit.xlsx")
    assert wb.sheetnames == ["Provenance", "Summary", "Licenses", "Changes", "Drift", "Import issues"]
    for ws in wb.worksheets:
        header = ws[1]
        assert all(c.font.b for c in header if c.value is not None), ws.title
        assert header[0].fill.fgColor.rgb.endswith("305496")
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["A"].width >= 6
    lic = wb["Licenses"]
    assert lic.auto_filter.ref == "A1:N9"  # 14 columns, the last the Zoom account
    email_width = lic.column_dimensions["A"].width
    assert email_width == len("stray@elsewhere.org") + 2  # fitted to the longest email


def test_summary_values_are_numbers_and_the_chart_is_there(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    _export(engine, path)
    ws = load_workbook(path)["Summary"]
    rows = _rows(ws)
    assert rows[0] == (
        "Code",
        "Name",
        "Region",
        "Kind",
        "Quota",
        "Members",
        "Licensed",
        "Pending",
        "Waiting",
        "Utilization",
    )
    assert rows[1] == ("0421", "Ліцей № 1 імені Лесі Українки", "Київ", "school", 2, 3, 3, 0, 1, 1.5)
    assert rows[3][:2] == ("0962", "مدرسة النور")
    assert type(ws["E2"].value) is int
    assert ws["J2"].number_format == "0.0%"
    total = next(r for r in rows if r[0] == "Total")
    assert total[4:9] == (6, 8, 4, 1, 2)
    regions = rows[rows.index(next(r for r in rows if r[0] == "Region")) + 1 :][:3]
    assert [r[0] for r in regions] == ["Amman", "Lyon", "Київ"]
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert "xl/charts/chart1.xml" in names
        assert "xl/drawings/drawing1.xml" in names
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
        assert "drawing1.xml" in rels
        chart = z.read("xl/charts/chart1.xml").decode()
        assert "barChart" in chart
        assert "Utilization by region" in chart
        assert "Summary" in chart


def test_formula_injection_attempts_are_stored_as_text(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    _export(engine, path)
    wb = load_workbook(path)
    lic = wb["Licenses"]
    evil = next(row for row in lic.iter_rows(min_row=2) if row[0].value == "evil@ecole.fr")
    given, family = evil[1], evil[2]
    assert (given.value, given.data_type) == (INJECTION, "s")
    assert (family.value, family.data_type) == (PHONE, "s")
    assert given.quotePrefix
    assert family.quotePrefix
    detail = next(row for row in wb["Changes"].iter_rows(min_row=2) if row[4].value == "evil@ecole.fr")[12]
    assert (detail.value, detail.data_type) == (INJECTION, "s")
    value = wb["Import issues"]["M2"]
    assert (value.value, value.data_type) == ("@SUM(A1:A9)", "s")
    # nowhere in the file is a formula element
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode(), name


def test_dates_are_excel_dates_and_numbers_are_numbers(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    _export(engine, path)
    wb = load_workbook(path)
    changes = _rows(wb["Changes"])
    assert changes[0][:3] == ("At (UTC)", "Actor", "Action")
    assert changes[1][0] == datetime(2026, 9, 5, 12, 0)
    assert wb["Changes"]["A2"].is_date
    assert wb["Changes"]["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert changes[0][6:9] == ("Change", "Before", "After")
    assert changes[1][6:9] == ("Basic → Licensed", "Basic", "Licensed")  # words, not Zoom's codes
    assert changes[2][6] == "no Large Meetings → Large Meetings 500"
    lic = {r[0]: r for r in _rows(wb["Licenses"])[1:]}
    assert lic["olena@school.ua"][10] == datetime(2026, 9, 14, 12, 0)
    assert lic["new@ecole.fr"][7:12] == (
        "pending",
        None,
        "invitation not yet accepted; staff at 0690",
        None,
        datetime(2026, 9, 6, 12, 0),
    )
    assert lic["wait@school.ua"][7] == "waiting"
    assert lic["wait@school.ua"][9] == "waiting: school quota 2 of 2 in use"
    assert lic["stray@elsewhere.org"][9] == "not on any roster (unmanaged)"
    assert lic["left@school.ua"][9] == "left the roster of 0421 on 2026-09-12"
    assert "marie@ecole.fr" not in lic  # basic: neither licensed nor waiting
    issues = _rows(wb["Import issues"])
    assert issues[1][:7] == (1, "roster", "0690.xlsx", datetime(2026, 8, 26, 12, 0), "ops", "0690", True)
    assert issues[1][9] == 7
    assert type(issues[1][9]) is int


def test_no_secret_is_exported(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    _export(engine, path)
    with zipfile.ZipFile(path) as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert "access_token" not in text
    assert "leak?" not in text
    assert "Large Meetings 500" in text  # the rest of the change stays
    headers = [
        c.header.lower() for c in (*export.LICENSE_COLUMNS, *export.CHANGE_COLUMNS, *export.IMPORT_COLUMNS)
    ]
    assert not [h for h in headers if export.SECRET_KEY.search(h)]


def test_changes_range_and_school_filter(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    result = _export(
        engine,
        path,
        since=export.parse_bound("2026-09-06", end=False, option="--since"),
        until=export.parse_bound("2026-09-10", end=True, option="--until"),
    )
    assert result.rows["Changes"] == 1
    assert _rows(load_workbook(path)["Changes"])[1][2] == "add_addon"
    result = _export(engine, path, school="0690")
    wb = load_workbook(path)
    assert [r[0] for r in _rows(wb["Summary"])[1:2]] == ["0690"]
    assert {r[3] for r in _rows(wb["Licenses"])[1:]} == {"0690"}
    assert [r[4] for r in _rows(wb["Changes"])[1:]] == ["evil@ecole.fr"]
    drift = _rows(wb["Drift"])
    assert drift[0] == ("Kind", "Email", "School code", "Detail")
    assert drift[1:3] == [
        ("licensed_not_entitled", "stray@elsewhere.org", None, "licensed in Zoom, on no roster"),
        ("changed_by_hand", "marie@ecole.fr", "0690", "type 2 -> 1 since our apply"),
    ]
    assert drift[3] == (None, None, None, None)
    assert drift[4][0].endswith("by cron: drift found")
    assert drift[6:] == [("licensed_not_entitled", 1, None, None), ("changed_by_hand", 1, None, None)]


def test_parse_bound() -> None:
    assert export.parse_bound("2026-09-10", end=True, option="--until") == datetime(2026, 9, 11)
    assert export.parse_bound("2026-09-10", end=False, option="--since") == datetime(2026, 9, 10)
    assert export.parse_bound("2026-09-10T10:00+02:00", end=False, option="--since") == datetime(
        2026, 9, 10, 8
    )
    with pytest.raises(InputError, match="--since: 'last week' is not a date"):
        export.parse_bound("last week", end=False, option="--since")


def test_without_reconcile_or_plan_the_sheets_say_so(database_url: str, tmp_path: Path) -> None:
    engine = make_db(database_url)
    seed(engine, with_plan=False, with_drift=False)
    path = tmp_path / "audit.xlsx"
    _export(engine, path)
    wb = load_workbook(path)
    assert _rows(wb["Drift"]) == [
        ("Kind", "Detail"),
        ("none", "no reconcile yet (run `provision reconcile`)"),
    ]
    assert all(r[8] is None for r in _rows(wb["Summary"])[1:4])
    assert any(r[0] == "Waiting: no plan yet" for r in _rows(wb["Summary"]))
    assert "waiting" not in {r[7] for r in _rows(wb["Licenses"])[1:]}


def test_unknown_school_writes_nothing(engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    with pytest.raises(InputError, match="unknown school '9999'"):
        _export(engine, path, school="9999")
    assert list(tmp_path.iterdir()) == [tmp_path / "provision.db"] or not path.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".audit", "audit"))]


def test_csv_tables_prefix_dangerous_cells(engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        result = export.export_csv(s, tmp_path / "audit.csv")
    licenses, changes = tmp_path / "audit-licenses.csv", tmp_path / "audit-changes.csv"
    names = ["provenance", "summary", "licenses", "changes", "drift", "import-issues"]
    assert result.paths == [tmp_path / f"audit-{name}.csv" for name in names]  # every sheet
    assert result.rows == {"Summary": 3, "Licenses": 8, "Changes": 3, "Drift": 2, "Import issues": 1}
    assert licenses.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with the BOM
    with licenses.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "Email"
    assert len(rows) == 9
    evil = next(r for r in rows if r[0] == "evil@ecole.fr")
    assert evil[1:3] == ["'" + INJECTION, "'" + PHONE]
    assert next(r for r in rows if r[0] == "olena@school.ua")[10] == "2026-09-14 12:00:00"
    with changes.open(encoding="utf-8-sig", newline="") as f:
        crow = list(csv.reader(f))
    assert crow[3][12] == "'" + INJECTION
    for row in rows + crow:
        assert not any(is_formula_like(cell) for cell in row)
