"""Re-importing an earlier file restores it: the sha256 no-op holds only while the database holds
exactly that file's content for its schools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.importers.conftest import SCHOOLS, write_xlsx


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[str]:
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    assert run(database_url, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
    yield database_url
    dispose_engines()


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--actor", "cli-tester", *args])


def imported(db: str, *args: str) -> dict[str, Any]:
    result = run(db, "import", *args, "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout)["data"])


def roster(tmp_path: Path, name: str, school: str, people: range) -> Path:
    rows = [["Email", "Name", "Role"], *([f"p{i}@s.ua", f"P {i}", "teacher"] for i in people)]
    return write_xlsx(tmp_path / name, {school: rows})


def members(db: str, school: str) -> set[str]:
    result = run(db, "school", school, "--json")
    assert result.exit_code == 0, result.output
    return {m["email"] for m in json.loads(result.stdout)["data"]["members"] if m["active"]}


def test_importing_an_earlier_roster_brings_it_back(db: str, tmp_path: Path) -> None:
    first = roster(tmp_path, "first.xlsx", "0421", range(10))
    later = roster(tmp_path, "later.xlsx", "0421", range(2, 12))  # p0, p1 left; p10, p11 joined
    assert imported(db, "roster", str(first))["committed"]
    assert imported(db, "roster", str(later))["schools"]["0421"] == {
        "added": 2,
        "updated": 0,
        "left": 2,
        "unchanged": 8,
    }
    # another school's import does not make 0421's file stale
    other = roster(tmp_path, "other.xlsx", "0422", range(100, 103))
    assert imported(db, "roster", str(other))["committed"]
    again = imported(db, "roster", str(first))
    assert again["already_imported"] is False
    assert again["committed"] is True
    assert again["schools"]["0421"] == {"added": 2, "updated": 0, "left": 2, "unchanged": 8}
    assert any("changed by later imports" in n for n in again["notes"])
    assert members(db, "0421") == {f"p{i}@s.ua" for i in range(10)}
    # now the database holds exactly that file again: the no-op holds
    assert imported(db, "roster", str(first))["already_imported"] is True
    assert imported(db, "roster", str(other))["already_imported"] is True


def test_restoring_an_earlier_smaller_roster_meets_the_shrink_guard(db: str, tmp_path: Path) -> None:
    small = roster(tmp_path, "small.xlsx", "0421", range(3))
    big = roster(tmp_path, "big.xlsx", "0421", range(10))
    assert imported(db, "roster", str(small))["committed"]
    assert imported(db, "roster", str(big))["committed"]
    refused = run(db, "import", "roster", str(small))
    assert refused.exit_code == 2
    assert "7 of 10 active people would leave" in " ".join(refused.stderr.split())
    assert "already imported" not in refused.output
    assert imported(db, "roster", str(small), "--allow-shrink")["schools"]["0421"]["left"] == 7
    assert members(db, "0421") == {"p0@s.ua", "p1@s.ua", "p2@s.ua"}


def test_importing_an_earlier_schools_file_brings_it_back(db: str, tmp_path: Path) -> None:
    changed = [row[:] for row in SCHOOLS]
    changed[1][4] = 99  # 0421: 30 seats -> 99
    write_xlsx(tmp_path / "schools-v2.xlsx", {"schools": changed})
    assert imported(db, "schools", str(tmp_path / "schools-v2.xlsx"))["totals"]["updated"] == 1
    again = imported(db, "schools", str(tmp_path / "schools.xlsx"))
    assert again["already_imported"] is False
    assert again["schools"]["0421"]["updated"] == 1
    seats = {
        s["institution_code"]: s["quota"]
        for s in json.loads(run(db, "schools", "--json").stdout)["data"]["schools"]
    }
    assert seats["0421"] == 30
    assert imported(db, "schools", str(tmp_path / "schools.xlsx"))["already_imported"] is True
