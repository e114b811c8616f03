"""`provision demo`'s engine: the whole flow on the sample, end to end, in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from models import ImportBatch, Institution, RejectedRow, ZoomUserSnapshot, make_engine
from provision.demo.data import SCHOOLS, write_sample
from provision.demo.flow import DEMO_SEATS, DemoResult, run_demo
from provision.reports.export import SHEETS
from zoom_client.sandbox import Sandbox


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    # One run for the module: the demo is the slow part, every test reads what it left.
    return run_demo(tmp_path_factory.mktemp("demo"), actor="tester")


def test_leaves_the_database_the_workbook_and_the_rejects(demo: DemoResult) -> None:
    assert demo.database.is_file()
    assert demo.workbook.is_file()
    assert demo.rejects.is_file()
    assert demo.sandbox_state.is_file()
    workbook = load_workbook(demo.workbook, read_only=True)
    assert workbook.sheetnames == list(SHEETS)
    sheet = load_workbook(demo.rejects).active
    assert sheet.sheet_view.rightToLeft is True  # the Arabic roster's rejects read right to left
    rejects = list(sheet.iter_rows(values_only=True))
    assert rejects[0][-2:] == ("المشكلة", "طريقة التصحيح")
    problems = [row[-2] for row in rejects[1:]]
    assert len(problems) == 3
    assert any("@" in p for p in problems)  # the doubled @
    assert any("«حارس المبنى»" in p for p in problems)  # the unknown role, named
    assert any("«1199»" in p for p in problems)  # the school code nobody issued


def test_licenses_were_applied_up_to_the_seats_and_others_wait(demo: DemoResult) -> None:
    engine = make_engine(f"sqlite:///{demo.database}")
    with Session(engine) as session:
        licensed = session.execute(
            select(func.count()).select_from(ZoomUserSnapshot).where(ZoomUserSnapshot.type == 2)
        ).scalar_one()
        schools = session.execute(select(func.count()).select_from(Institution)).scalar_one()
    engine.dispose()
    sandbox = Sandbox.load(demo.sandbox_state)
    assert schools == len(SCHOOLS)
    assert licensed == sandbox.licensed_count() == DEMO_SEATS  # every seat used, never more
    plan = demo.step("plan").data
    assert plan["waiting"] > 0
    # More entitled people than seats; those waiting get no Zoom account yet (create_waiting).
    assert plan["counts"]["create"] + plan["waiting"] > DEMO_SEATS
    licenses = load_workbook(demo.workbook, read_only=True)["Licenses"]
    reasons = [row[9] for row in licenses.iter_rows(min_row=2, values_only=True) if row[9]]
    assert any("(account seats " in str(r) and " in line at " in str(r) for r in reasons)
    assert any(" in line at " in str(r) and "(quota " in str(r) for r in reasons)


def test_the_roster_with_errors_was_reported_then_its_valid_rows_imported(demo: DemoResult) -> None:
    reported = demo.step("roster with errors").data
    assert reported["rejected"] == 3
    assert reported["committed"] is False
    assert demo.step("import the valid rows").data["committed"] is True
    engine = make_engine(f"sqlite:///{demo.database}")
    with Session(engine) as session:
        rejected = session.execute(select(RejectedRow.column, RejectedRow.reason)).all()
        batches = session.execute(select(func.count()).select_from(ImportBatch)).scalar_one()
    engine.dispose()
    assert len(rejected) == 3
    assert batches == 6  # schools, three rosters, the valid rows, the second roster


def test_second_roster_takes_back_a_leavers_license(demo: DemoResult) -> None:
    second = demo.step("apply again").data
    assert second["counts"]["unlicense"]["succeeded"] >= 1
    sandbox = Sandbox.load(demo.sandbox_state)
    for email in demo.step("second roster").data["left"]:
        user = sandbox.find_user(email)
        assert user is not None  # downgraded, never deleted
        assert int(user["type"]) == 1


def test_hand_changes_are_found_by_reconcile_and_fixed(demo: DemoResult) -> None:
    found = demo.step("reconcile").data
    assert found["clean"] is False
    hand = {item["email"] for item in found["kinds"]["changed_by_hand"]}
    changed = demo.step("changed by hand in Zoom").data
    assert hand == {changed["downgraded"], changed["upgraded"]}
    fixed = demo.step("reconcile --fix").data
    assert fixed["clean"] is True
    assert fixed["fix"]["applied"]["succeeded"] == 2
    drift_sheet = list(load_workbook(demo.workbook, read_only=True)["Drift"].iter_rows(values_only=True))
    assert any("clean" in str(cell) for row in drift_sheet for cell in row if cell)


def test_the_sample_has_the_three_languages_and_a_windows_csv(tmp_path: Path) -> None:
    files = write_sample(tmp_path)
    csv_bytes = next(p for p in files.rosters if p.suffix == ".csv").read_bytes()
    assert "Електронна пошта".encode("cp1251") in csv_bytes
    assert b";" in csv_bytes.splitlines()[0]
    names = {school.name for school in SCHOOLS}
    assert {"Ліцей №142 м. Київ", "مدرسة الأمل الثانوية", "Lycée Victor Hugo"} <= names
    title = load_workbook(files.rosters[0], read_only=True).active["A1"].value  # type: ignore[index]
    assert title is not None
    assert "@" not in str(title)  # a title row above the header, as schools send them
