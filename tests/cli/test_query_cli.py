"""`provision schools | school CODE | person EMAIL`: JSON parsed and checked, exit codes, messages."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import envelope, payload
from tests.provision.ops_data import INJECTION, make_db, seed


@pytest.fixture
def db(database_url: str) -> str:
    seed(make_db(database_url))
    return database_url


def run(db: str, *args: str) -> tuple[int, Result]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result


def as_json(result: Result) -> Any:
    return payload(result.stdout)


def test_schools_json(db: str) -> None:
    code, result = run(db, "schools", "--json")
    assert code == 0, result.output
    data = as_json(result)
    assert [s["institution_code"] for s in data["schools"]] == ["0421", "0690", "0962"]
    kyiv = data["schools"][0]
    assert (kyiv["quota"], kyiv["licensed"], kyiv["pending"], kyiv["waiting"], kyiv["utilization"]) == (
        2,
        3,
        0,
        1,
        1.5,
    )
    assert data["totals"]["licensed"] == 4
    assert data["plan"]["fingerprint"] == "f" * 64


def test_schools_region_filter_and_table(db: str) -> None:
    code, result = run(db, "schools", "--region", "Київ", "--json")
    assert code == 0
    assert [s["institution_code"] for s in as_json(result)["schools"]] == ["0421"]
    code, result = run(db, "schools")
    assert code == 0
    assert "0690" in result.stdout
    assert "Lyon" in result.stdout
    assert "total" in result.stdout


def test_school_json_lists_members_with_why_waiting(db: str) -> None:
    code, result = run(db, "school", "0421", "--json")
    assert code == 0, result.output
    data = as_json(result)
    members = {m["email"]: m for m in data["members"]}
    assert members["wait@school.ua"]["waiting"] == "waiting: school quota 2 of 2 in use"
    assert members["olena@school.ua"]["addons"] == "large meeting 500"
    assert members["olena@school.ua"]["license"] == "licensed"
    assert data["school"]["institution_name"] == "Ліцей № 1 імені Лесі Українки"


def test_person_json_has_records_snapshot_and_history(db: str) -> None:
    code, result = run(db, "person", "Olena@School.ua", "--json")
    assert code == 0, result.output
    data = as_json(result)
    assert data["email"] == "olena@school.ua"
    assert data["license"] == "licensed"
    assert data["snapshot"]["zoom_id"] == "z-olena"
    assert [e["action"] for e in data["history"]] == ["license", "add_addon"]
    code, result = run(db, "person", "evil@ecole.fr")
    assert code == 0
    assert INJECTION in result.stdout  # a terminal shows it as the text it is


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("school", "0422"), "closest: 0421"),
        (("person", "olena@school.u"), "closest: olena@school.ua"),
        (("schools", "--region", "Lyons"), "closest: Lyon"),
    ],
)
def test_unknown_names_exit_2_with_suggestions(db: str, args: tuple[str, ...], expected: str) -> None:
    code, result = run(db, *args)
    assert code == 2
    assert expected in result.stderr
    code, result = run(db, *args, "--json")
    assert code == 2
    error = envelope(result.stdout)["error"]
    assert error["type"] == "InputError"
    assert expected in error["message"]
