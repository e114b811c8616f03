"""`provision import schools | roster`: exit codes, --json, the rejects workbook, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.cli.envelope import payload
from tests.importers.conftest import SCHOOLS, write_xlsx


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Any:
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    yield database_url
    dispose_engines()


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--actor", "cli-tester", *args])


def _roster(tmp_path: Path, name: str, rows: list[list[Any]]) -> Path:
    return write_xlsx(tmp_path / name, {"0421": [["Email", "Name", "Role"], *rows]})


def test_schools_then_roster_json(db: str, tmp_path: Path) -> None:
    result = run(db, "import", "schools", str(tmp_path / "schools.xlsx"), "--json")
    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["committed"] is True
    assert data["totals"]["added"] == 4
    path = _roster(
        tmp_path, "r.xlsx", [["a@s.ua", "Anna Koval", "teacher"], ["b@s.ua", "Bohdan Boiko", "учень"]]
    )
    result = run(db, "import", "roster", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert (data["committed"], data["rows_accepted"], data["schools"]["0421"]["added"]) == (True, 2, 2)
    assert data["rejects_file"] is None
    again = run(db, "import", "roster", str(path))
    assert again.exit_code == 0
    assert "already imported" in again.stdout


def test_rejected_rows_exit_2_and_write_the_rejects_workbook(db: str, tmp_path: Path) -> None:
    assert run(db, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
    path = _roster(tmp_path, "r.xlsx", [["a@s.ua", "Anna Koval", "teacher"], ["broken", "X Y", "teacher"]])
    result = run(db, "import", "roster", str(path))
    assert result.exit_code == 2
    assert "nothing committed" in result.stderr
    assert "Traceback" not in result.output
    (rejects,) = (tmp_path / "rejects").iterdir()  # one school, one workbook, beside the file
    assert rejects.name.startswith("0421-r-")
    rows = list(openpyxl.load_workbook(rejects).active.iter_rows(values_only=True))
    assert rows[0] == (
        "File",
        "Sheet",
        "Row",
        "Email",
        "Name",
        "Role",
        "Wrong column",
        "Problem",
        "How to fix it",
    )
    assert rows[1][:7] == ("r.xlsx", "0421", 3, "broken", "X Y", "teacher", "Email")
    assert rows[1][7] == "The email address has no @ sign."
    # --json: the same report on stdout, the same exit code, a chosen rejects path
    out = tmp_path / "fix-me.xlsx"
    result = run(db, "import", "roster", str(path), "--json", "--rejects-out", str(out))
    assert result.exit_code == 2
    data = payload(result.stdout)
    assert data["committed"] is False
    assert data["rejected"][0]["row"] == 3
    assert data["rejects_file"] == str(out)
    assert out.exists()
    assert len(data["rejects_files"]["0421"]) > 0
    assert len(list((tmp_path / "rejects").iterdir())) == 2  # the first one is never overwritten
    # --skip-invalid: the valid row is committed, exit 0
    result = run(db, "import", "roster", str(path), "--skip-invalid", "--json")
    assert result.exit_code == 0, result.output
    assert payload(result.stdout)["rows_accepted"] == 1


def test_dry_run_and_shrink_refusal(db: str, tmp_path: Path) -> None:
    assert run(db, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
    full = _roster(tmp_path, "full.xlsx", [[f"p{i}@s.ua", f"P {i}", "teacher"] for i in range(4)])
    dry = run(db, "import", "roster", str(full), "--dry-run")
    assert dry.exit_code == 0
    assert "dry run" in dry.stdout
    assert run(db, "import", "roster", str(full)).exit_code == 0
    small = _roster(tmp_path, "small.xlsx", [["p0@s.ua", "P 0", "teacher"]])
    refused = run(db, "import", "roster", str(small), "--json")
    assert refused.exit_code == 2
    err = json.loads(refused.stdout)["error"]
    assert err["type"] == "DataError"
    assert "3 of 4 active people would leave" in err["message"]
    assert run(db, "import", "roster", str(small), "--merge").exit_code == 0
    assert run(db, "import", "roster", str(small), "--allow-shrink").exit_code == 0


def test_unknown_school_option_and_not_a_spreadsheet(db: str, tmp_path: Path) -> None:
    bogus = tmp_path / "roster.xlsx"
    bogus.write_text("this is a letter, not a roster\n")
    result = run(db, "import", "roster", str(bogus))
    assert result.exit_code == 2
    assert "roster.xlsx: not a spreadsheet" in result.stderr
    assert "Traceback" not in result.output
    csv = tmp_path / "r.csv"
    csv.write_text("email,name\na@s.ua,A B\n")
    result = run(db, "import", "roster", str(csv), "--school", "9999")
    assert result.exit_code == 2
    assert "no such school code" in result.stderr
