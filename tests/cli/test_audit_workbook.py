"""The audit workbook an auditor signs: provenance, words, each person once, schools, local time, CSV."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from models import PlanRecord, session_scope
from models.db import dispose_engines
from provision import __version__
from provision.cli import app
from provision.core.plan import Plan, Waiting
from tests.cli.envelope import payload
from tests.importers.conftest import SCHOOLS, write_xlsx
from tests.provision.ops_data import NOW, make_db, seed

runner = CliRunner()


def _export(db: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["--db", db, "--actor", "auditor@mon", "audit", "export", *args], env=env)


def _sheet(path: Path, name: str) -> dict[str, Any]:
    return {r[0]: r[1] for r in load_workbook(path)[name].iter_rows(min_row=2, values_only=True)}


def test_provenance_names_command_filters_version_database_account_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    seed(make_db(db))
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", "acc-ministry-1")
    target = tmp_path / "audit.xlsx"
    result = _export(db, str(target), "--since", "2026-09-20")
    assert result.exit_code == 0, result.output
    provenance = _sheet(target, "Provenance")
    assert (
        provenance["Command line"]
        == f"provision --db {db} --actor auditor@mon audit export {target} --since 2026-09-20"
    )
    assert "since 2026-09-20" in provenance["Filters"]
    assert provenance["Changes from"] == "2026-09-20"  # an export showing 0 changes says why
    assert provenance["School"] == "every school"
    assert provenance["provision version"] == __version__
    assert provenance["Database"] == db
    assert provenance["Zoom account"] == "acc-ministry-1"
    assert provenance["Operator"] == "auditor@mon"
    assert isinstance(provenance["Generated at (UTC)"], datetime)
    assert provenance["Rows: Changes"] == 0
    assert "Signed (name, date)" in provenance
    dispose_engines()


def test_password_is_masked_in_the_command_line(tmp_path: Path) -> None:
    # The URL is never opened with the password: the export refuses the suffix first.
    url = "postgresql+psycopg://ops:s3cret@127.0.0.1:1/x"
    result = runner.invoke(app, ["--db", url, "audit", "export", str(tmp_path / "report.pdf")])
    assert result.exit_code == 2
    assert "report.pdf: cannot write .pdf" in result.stderr
    assert "s3cret" not in result.output
    assert not (tmp_path / "report.pdf").exists()


def test_each_person_once_and_local_time_beside_utc(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    engine = make_db(db)
    seed(engine)
    # A newer plan in which the person with a pending invitation also waits (two schools' lists).
    plan = Plan(
        actions=[],
        waiting=[
            Waiting("new@ecole.fr", "0690", "staff", "waiting: school quota 3 of 3 in use"),
            Waiting("wait@school.ua", "0421", "teacher", "waiting: school quota 2 of 2 in use"),
            Waiting("wait@school.ua", "0962", "teacher", "waiting: account seats 10 of 10 in use"),
        ],
        fingerprint="e" * 64,
        snapshot_at=NOW,
        created_at=NOW + timedelta(hours=1),
    )
    with session_scope(engine) as s:
        s.add(
            PlanRecord(
                fingerprint=plan.fingerprint,
                created_at=plan.created_at,
                snapshot_at=NOW,
                actor="ops",
                data=plan.to_data(),
            )
        )
    target = tmp_path / "audit.xlsx"
    result = _export(db, str(target), env={"PROVISION_TIMEZONE": "Europe/Kyiv"})
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    emails = [r[0] for r in wb["Licenses"].iter_rows(min_row=2, values_only=True)]
    assert len(emails) == len(set(emails))
    assert "new@ecole.fr" in emails
    header, first = list(wb["Changes"].iter_rows(max_row=2, values_only=True))
    assert header[:2] == ("At (UTC)", "At (Europe/Kyiv)")
    assert first[1] - first[0] == timedelta(hours=3)  # September: Kyiv is UTC+3
    assert _sheet(target, "Provenance")["Time zone of local times"] == "Europe/Kyiv"
    bad = _export(db, str(tmp_path / "b.xlsx"), env={"PROVISION_TIMEZONE": "Kyiv"})
    assert bad.exit_code == 2
    assert "not an IANA name" in bad.stderr
    dispose_engines()


def test_a_schools_export_carries_its_import_issues_and_each_issue_its_school(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    schools = write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    assert runner.invoke(app, ["--db", db, "import", "schools", str(schools)]).exit_code == 0
    roster = write_xlsx(
        tmp_path / "mixed.xlsx",
        {
            "staff": [
                ["School", "Email", "Name", "Role"],
                ["0421", "a@s.ua", "Anna K", "teacher"],
                ["0422", "b@s.ua", "Bohdan B", "teacher"],
                ["0422", "broken@", "Ivan B", "teacher"],
                ["0421", "c@s.ua", "Olha C", "gardener"],
            ]
        },
    )
    imported = runner.invoke(app, ["--db", db, "import", "roster", str(roster), "--skip-invalid"])
    assert imported.exit_code == 0, imported.output
    target = tmp_path / "0422.xlsx"
    assert _export(db, str(target), "--school", "0422").exit_code == 0
    issues = list(load_workbook(target)["Import issues"].iter_rows(values_only=True))
    school_col = issues[0].index("School code")
    assert [(r[school_col], r[issues[0].index("Row")]) for r in issues[1:]] == [("0422", 4)]
    everything = tmp_path / "all.xlsx"
    assert _export(db, str(everything)).exit_code == 0
    issues = list(load_workbook(everything)["Import issues"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[school_col] for r in issues) == ["0421", "0422"]
    dispose_engines()


def test_csv_writes_every_sheet_with_the_chosen_delimiter(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    seed(make_db(db))
    result = _export(db, str(tmp_path / "audit.csv"), "--delimiter", ";", "--json")
    assert result.exit_code == 0, result.output
    files = [Path(f) for f in payload(result.stdout)["files"]]
    assert [f.name for f in files] == [
        "audit-provenance.csv",
        "audit-summary.csv",
        "audit-licenses.csv",
        "audit-changes.csv",
        "audit-drift.csv",
        "audit-import-issues.csv",
    ]
    for f in files:
        with f.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";"))
        assert len(rows[0]) >= 2, f  # split on ';': the header has its columns
    summary = (tmp_path / "audit-summary.csv").read_text(encoding="utf-8-sig")
    assert summary.startswith("Code;Name;Region")
    bad = _export(db, str(tmp_path / "x.csv"), "--delimiter", ";;")
    assert bad.exit_code == 2
    dispose_engines()
