"""`provision audit export`: the workbook and the CSV tables, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import payload
from tests.provision.ops_data import INJECTION, make_db, seed


def run(db: str, *args: str) -> tuple[int, Result]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result


def test_export_xlsx_with_range_and_school(sqlite_url: str, tmp_path: Path) -> None:
    seed(make_db(sqlite_url))
    target = tmp_path / "out" / "audit.xlsx"
    code, result = run(
        sqlite_url,
        "audit",
        "export",
        str(target),
        "--since",
        "2026-09-01",
        "--until",
        "2026-09-12",
        "--school",
        "0690",
        "--json",
    )
    assert code == 0, result.output
    data = payload(result.stdout)
    assert data["files"] == [str(target)]
    assert data["rows"]["Changes"] == 0  # the 0690 change is on 2026-09-13
    wb = load_workbook(target)
    assert wb.sheetnames == ["Provenance", "Summary", "Licenses", "Changes", "Drift", "Import issues"]
    evil = next(r for r in wb["Licenses"].iter_rows(min_row=2) if r[0].value == "evil@ecole.fr")
    assert (evil[1].value, evil[1].data_type) == (INJECTION, "s")
    code, result = run(sqlite_url, "audit", "export", str(target))
    assert code == 0
    assert f"wrote {target}" in result.stdout
    # three seeded changes and the first export's own audit row (who exported, with which filters)
    changes = list(load_workbook(target)["Changes"].iter_rows(min_row=2, values_only=True))
    assert len(changes) == 4
    assert changes[-1][2] == "export"


def test_export_csv(sqlite_url: str, tmp_path: Path) -> None:
    seed(make_db(sqlite_url))
    code, result = run(sqlite_url, "audit", "export", str(tmp_path / "audit.csv"), "--format", "csv")
    assert code == 0, result.output
    assert (tmp_path / "audit-licenses.csv").exists()
    assert (tmp_path / "audit-changes.csv").read_text(encoding="utf-8-sig").startswith("At (UTC),Actor")


def test_bad_dates_and_unknown_school_exit_2_and_write_nothing(sqlite_url: str, tmp_path: Path) -> None:
    seed(make_db(sqlite_url))
    target = tmp_path / "audit.xlsx"
    code, result = run(sqlite_url, "audit", "export", str(target), "--since", "yesterday")
    assert code == 2
    assert "--since: 'yesterday' is not a date" in result.stderr
    code, result = run(
        sqlite_url, "audit", "export", str(target), "--since", "2026-09-10", "--until", "2026-09-01"
    )
    assert code == 2
    assert "is not before --until" in result.stderr
    code, result = run(sqlite_url, "audit", "export", str(target), "--school", "0691", "--json")
    assert code == 2
    assert "closest: 0690" in json.loads(result.stdout)["error"]["message"]
    assert not target.exists()
