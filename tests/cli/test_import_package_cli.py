"""`provision import schools P` then `provision import roster P` on a OneRoster/SDS package:
two commands and no file of ours (the policy's email_from_username aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.cli.envelope import payload
from tests.importers import packages as P
from tests.importers.conftest import write_csv


@pytest.fixture
def db(database_url: str) -> Any:
    yield database_url
    dispose_engines()


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--actor", "cli-tester", *args])


def test_oneroster_12_zip_in_two_commands(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = P.oneroster_12(tmp_path / "export.zip", as_zip=True)
    schools = run(db, "import", "schools", str(pkg))
    assert schools.exit_code == 0, schools.output
    assert "0421" in schools.stdout
    assert P.SCHOOL_B in schools.stdout
    assert "warning: 2 schools have 0 seats: 0421 (Ліцей №1)" in " ".join(schools.stderr.split())

    roster = run(db, "import", "roster", str(pkg), "--json")
    assert roster.exit_code == 2, roster.output  # Marta has no email, only an address as username
    data = payload(roster.stdout)
    assert data["committed"] is False
    assert [r["detail"] for r in data["rejected"]] == [
        "the username is an address: policy email_from_username = true would use it"
    ]
    # The school's rejects workbook says how to fix it: the whole row, and the policy key.
    rows = list(openpyxl.load_workbook(data["rejects_files"]["0421"]).active.iter_rows(values_only=True))
    text = " ".join(str(c) for row in rows for c in row if c)
    assert "Marta" in text
    assert "email_from_username = true" in text

    policy = tmp_path / "policy.toml"
    policy.write_text("email_from_username = true\n", encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    roster = run(db, "import", "roster", str(pkg), "--json")
    assert roster.exit_code == 0, roster.output
    data = payload(roster.stdout)
    assert data["committed"] is True
    assert data["rows_accepted"] == 8
    assert data["totals"]["added"] == 8
    assert data["counts"] == {
        "guardians_skipped": 3,
        "memberships_above_school_skipped": 1,
        "emails_from_username": 1,
    }
    assert any("email_from_username = true" in n for n in data["notes"])

    school = payload(run(db, "school", "0421", "--json").stdout)
    assert (school["school"]["region"], school["school"]["members"]) == ("Kyiv District", 5)


def test_seats_with_a_sheet_is_refused(db: str, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "schools.csv", [["code", "name", "seats"], ["0421", "L1", "3"]], encoding="utf-8"
    )
    result = run(db, "import", "schools", str(sheet), "--seats", str(sheet))
    assert result.exit_code == 2
    assert "seats sheets go with a OneRoster/SDS package" in result.output
    assert "Traceback" not in result.output


def test_seats_sheet_gives_the_seats(db: str, tmp_path: Path) -> None:
    pkg = P.oneroster_11(tmp_path / "pkg")
    seats = write_csv(
        tmp_path / "seats.csv", [["code", "seats"], ["0421", "30"], [P.SCHOOL_B, "12"]], encoding="utf-8"
    )
    result = run(db, "import", "schools", str(pkg), "--seats", str(seats), "--json")
    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["warnings"] == []
    assert data["counts"]["institutions"] == 2
    again = run(db, "import", "schools", str(pkg), "--seats", str(seats))
    assert "already imported" in again.stdout


def test_shared_sds_sample_in_two_commands(
    db: str, tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = shared_dir / "rosters" / "sds-2.1"
    if not pkg.is_dir():
        pytest.skip(f"the sample {pkg} is absent")
    policy = tmp_path / "policy.toml"
    policy.write_text("email_from_username = true\n", encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    schools = run(db, "import", "schools", str(pkg), "--json")
    assert schools.exit_code == 0, schools.output
    assert payload(schools.stdout)["counts"]["institutions"] == 2  # the school and the college
    roster = run(db, "import", "roster", str(pkg), "--json")
    assert roster.exit_code == 0, roster.output
    data = payload(roster.stdout)
    assert (data["rows_accepted"], data["counts"]["guardians_skipped"]) == (6, 2)


def test_a_delta_without_orgs_is_no_schools_file(db: str, tmp_path: Path) -> None:
    delta = P.oneroster_12_delta(tmp_path / "delta")
    result = run(db, "import", "schools", str(delta))
    assert result.exit_code == 2
    assert "the manifest says orgs are absent (no change): no schools to import" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output


def test_the_seats_sheet_names_each_schools_zoom_account(db: str, tmp_path: Path) -> None:
    """A package has no column for the Zoom account (issue 17): the seats sheet gives it, checked
    as in a schools sheet; a sheet without the column leaves each school's account as it is."""
    pkg = P.oneroster_11(tmp_path / "pkg")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[accounts.kyiv]\naccount_id_env = "KYIV_ZOOM_ACCOUNT_ID"\n'
        'client_id_env = "KYIV_ZOOM_CLIENT_ID"\nclient_secret_env = "KYIV_ZOOM_CLIENT_SECRET"\n',
        encoding="utf-8",
    )
    sub = "SubKharkiv01"

    def seats(name: str, rows: list[list[str]]) -> str:
        return str(write_csv(tmp_path / name, rows, encoding="utf-8"))

    bad = seats(
        "bad.csv", [["code", "seats", "Zoom account"], ["0421", "30", "kyvi"], [P.SCHOOL_B, "12", sub]]
    )
    result = run(db, "--policy", str(policy), "import", "schools", str(pkg), "--seats", bad, "--json")
    assert result.exit_code == 2, result.output
    [rejected] = payload(result.stdout)["rejected"]
    assert (rejected["file"], rejected["row"], rejected["column"], rejected["value"]) == (
        "bad.csv",
        2,
        "Zoom account",
        "kyvi",
    )
    assert "did you mean 'kyiv'" in rejected["detail"]
    assert run(db, "school", "0421", "--json").exit_code == 2  # nothing was written

    good = seats(
        "good.csv", [["code", "seats", "Zoom account"], ["0421", "30", "kyiv"], [P.SCHOOL_B, "12", sub]]
    )
    result = run(db, "--policy", str(policy), "import", "schools", str(pkg), "--seats", good, "--json")
    assert result.exit_code == 0, result.output

    def account(code: str) -> str:
        return str(
            payload(run(db, "--policy", str(policy), "school", code, "--json").stdout)["school"]["account"]
        )

    assert (account("0421"), account(P.SCHOOL_B)) == ("kyiv", sub)
    listed = payload(run(db, "--policy", str(policy), "accounts", "--json").stdout)["accounts"]
    assert {row["account"] for row in listed} >= {"kyiv", sub}

    # New seats without the column: the accounts stay; an empty cell is the main account.
    plain = seats("plain.csv", [["code", "seats"], ["0421", "31"], [P.SCHOOL_B, "13"]])
    assert run(db, "--policy", str(policy), "import", "schools", str(pkg), "--seats", plain).exit_code == 0
    assert (account("0421"), account(P.SCHOOL_B)) == ("kyiv", sub)
    main = seats("main.csv", [["code", "seats", "account"], ["0421", "31", ""], [P.SCHOOL_B, "13", sub]])
    assert run(db, "--policy", str(policy), "import", "schools", str(pkg), "--seats", main).exit_code == 0
    assert account("0421") == ""
