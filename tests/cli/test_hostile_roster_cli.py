"""Roster data that would fail at Zoom or pass for someone else is refused at import, through
the CLI on real files: Zoom's field limits, look-alike emails, internationalized domains."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.importers.conftest import SCHOOLS, write_xlsx

SURNAME_70 = "Шевченко-Квітка-Основ'яненко-Гулак-Артемовський-Тобілевич-Старицький-О"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'provision.db'}"
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    assert run(url, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
    yield url
    dispose_engines()


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--actor", "cli-tester", *args])


def rejects(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)["data"]
    assert data["committed"] is False
    return list(data["rejected"])


def workbook_rows(result: Result, school: str = "0421") -> list[tuple[Any, ...]]:
    """The rows of the rejects workbook written for `school` (header first)."""
    path = json.loads(result.stdout)["data"]["rejects_files"][school]
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def test_names_and_emails_beyond_zooms_limits_are_rejected_with_the_limit(db: str, tmp_path: Path) -> None:
    assert len(SURNAME_70) == 70
    long_email = "o" * 120 + "@ліцей.укр"
    path = write_xlsx(
        tmp_path / "long.xlsx",
        {
            "0421": [
                ["Прізвище", "Ім'я", "Email", "Посада"],
                [SURNAME_70, "Олена", "olena@school.ua", "вчитель"],
                ["Коваль", "Анна" * 17, "anna@school.ua", "вчитель"],
                ["Бойко", "Петро", long_email, "вчитель"],
                ["Ткач", "Ірина", "iryna@school.ua", "вчитель"],
            ]
        },
    )
    result = run(db, "import", "roster", str(path), "--json")
    found = rejects(result)
    where = [(r["file"], r["sheet"], r["row"], r["column"], r["reason"], r["detail"]) for r in found]
    assert where == [
        (
            "long.xlsx",
            "0421",
            2,
            "Прізвище",
            "too long for Zoom",
            "70 characters; Zoom takes at most 64 for a last name",
        ),
        (
            "long.xlsx",
            "0421",
            3,
            "Ім'я",
            "too long for Zoom",
            "68 characters; Zoom takes at most 64 for a first name",
        ),
        (
            "long.xlsx",
            "0421",
            4,
            "Email",
            "too long for Zoom",
            "144 characters as sent to Zoom (the domain in its ASCII form); "
            "Zoom takes at most 128 for an email",
        ),
    ]
    assert found[0]["value"] == SURNAME_70
    # the rejects workbook the school receives says the same, in the roster's language
    first = workbook_rows(result)[1]
    assert first[:4] == ("long.xlsx", "0421", 2, SURNAME_70)
    assert f"Значення довше, ніж приймає Zoom: {where[0][5]}." in first


def test_a_full_name_whose_given_part_is_too_long_names_the_full_name_column(db: str, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "full.xlsx",
        {"0421": [["ПІБ", "Email"], ["Коваль " + "Анна-Марія " * 6 + "Петрівна", "anna@school.ua"]]},
    )
    (found,) = rejects(run(db, "import", "roster", str(path), "--json"))
    assert (found["row"], found["column"], found["reason"]) == (2, "ПІБ", "too long for Zoom")
    assert found["detail"].startswith("74 characters (the given name part); Zoom takes at most 64")


@pytest.mark.parametrize(
    ("email", "named"),
    [
        ("petrоv@school.ua", "U+043E CYRILLIC SMALL LETTER O at position 5 among Latin letters"),
        ("petro\u200bv@school.ua", "U+200B ZERO WIDTH SPACE at position 6"),
        ("petro\u200dv@school.ua", "U+200D ZERO WIDTH JOINER at position 6"),
        ("petrov@sch\u202eool.ua", "U+202E RIGHT-TO-LEFT OVERRIDE at position 11"),
        ("ｐetrov@school.ua", "U+FF50 FULLWIDTH LATIN SMALL LETTER P at position 1"),
        ("petrov@schооl.ua", "U+043E CYRILLIC SMALL LETTER O at position 11 among Latin letters"),
        ("petrov@xn--schl-75da.ua", "U+043E CYRILLIC SMALL LETTER O"),
    ],
)
def test_look_alike_emails_are_rejected_naming_the_character(
    db: str, tmp_path: Path, email: str, named: str
) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {"0421": [["Email", "Name"], ["petrov@school.ua", "Petro Petrov"], [email, "Petro Petrov"]]},
    )
    (found,) = rejects(run(db, "import", "roster", str(path), "--json"))
    assert (found["row"], found["column"], found["reason"], found["value"]) == (
        3,
        "Email",
        "bad email",
        email,
    )
    assert named in found["detail"]
    text = run(db, "import", "roster", str(path))  # the table a person reads names it too
    assert "bad email" in text.stderr
    assert named.split(" at ")[0].split()[0] in text.stderr


def test_an_internationalized_domain_has_one_canonical_form(db: str, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "idn.xlsx",
        {
            "0421": [
                ["Email", "Name"],
                ["Ivan@Ліцей.Укр", "Іван Петренко"],
                ["ivan@xn--e1aie8bxe.xn--j1amh", "Іван Петренко"],  # the same address, ASCII-encoded
                ["olena@ліцей.укр", "Олена Коваль"],
            ]
        },
    )
    (found,) = rejects(run(db, "import", "roster", str(path), "--json"))
    assert (found["row"], found["reason"], found["detail"]) == (
        3,
        "duplicate inside the file",
        "first at row 2",
    )
    ok = run(db, "import", "roster", str(path), "--skip-invalid", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["data"]["rows_accepted"] == 2
    for spelling in ("IVAN@ліцей.укр", "ivan@xn--e1aie8bxe.xn--j1amh"):
        person = run(db, "person", spelling, "--json")
        assert person.exit_code == 0, person.output
        assert json.loads(person.stdout)["data"]["email"] == "ivan@xn--e1aie8bxe.xn--j1amh"


def test_a_formula_without_a_saved_value_is_named_as_such(db: str, tmp_path: Path) -> None:
    # openpyxl (like many exporters) writes formulas without their value: readers see an empty cell
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "0421"
    ws.append(["Email", "Name", "Role"])
    ws.append(['=LOWER(B2)&"@school.ua"', "Anna Koval", "teacher"])
    ws.append(["bohdan@school.ua", "Bohdan Boiko", "teacher"])
    wb.save(tmp_path / "formulas.xlsx")
    result = run(db, "import", "roster", str(tmp_path / "formulas.xlsx"), "--json")
    (found,) = rejects(result)
    assert (found["row"], found["column"], found["reason"]) == (2, "Email", "formula without a saved value")
    assert found["value"] == '=LOWER(B2)&"@school.ua"'
    assert "save it" in found["detail"]
    # the rejects workbook names the formula inside its sentence: shown, never run
    problem = 'The cell holds a formula (=LOWER(B2)&"@school.ua") whose result was never saved in the file.'
    assert problem in workbook_rows(result)[1]


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(1, 32)) * 200,  # control bytes: no text file
        b"#" * 4096 + b"\n" + b"#" * 4096 + b"\n",  # text, but no header anyone wrote
    ],
)
def test_a_binary_or_junk_csv_gets_a_short_message(db: str, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    result = run(db, "import", "roster", str(path), "--school", "0421")
    assert result.exit_code == 2
    assert "roster.csv" in result.stderr
    assert len(result.stderr) < 400, result.stderr
