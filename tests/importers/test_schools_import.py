"""Schools import: upsert by code, quotas as whole numbers, and the rows a ministry must fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from importers import MissingColumnError, import_schools
from importers.report import Rejected
from models import AuditEvent, Institution
from models.db import session_scope
from tests.importers.conftest import write_csv, write_xlsx


def _schools(engine: Engine, path: Path, **kw: object):
    with session_scope(engine) as s:
        return import_schools(s, path, actor="tester", **kw)


def _seats(engine: Engine) -> dict[str, tuple[str, int]]:
    with session_scope(engine) as s:
        return {
            c: (n, seats)
            for c, n, seats in s.execute(select(Institution.code, Institution.name, Institution.seats))
        }


def test_ukrainian_schools_with_title_rows_then_an_update(engine: Engine, tmp_path: Path) -> None:
    first = write_xlsx(
        tmp_path / "заклади.xlsx",
        {
            "Аркуш1": [
                ["Міністерство освіти і науки"],
                ["Розподіл ліцензій"],
                [],
                ["Код закладу", "Назва закладу", "Область", "Тип", "Кількість ліцензій"],
                ["0421", "Ліцей №1", "Київська", "ліцей", 30],
                ["0422", "Гімназія №2", "Львівська", "гімназія", "12"],
            ]
        },
    )
    report = _schools(engine, first)
    assert report.committed
    assert _seats(engine) == {"0421": ("Ліцей №1", 30), "0422": ("Гімназія №2", 12)}
    second = write_csv(
        tmp_path / "update.csv",
        [["code", "name", "seats"], ["0421", "Ліцей №1", "35"], ["0500", "New", "0"]],
        encoding="utf-8",
    )
    report = _schools(engine, second)
    assert (report.totals.added, report.totals.updated) == (1, 1)
    assert _seats(engine) == {"0421": ("Ліцей №1", 35), "0422": ("Гімназія №2", 12), "0500": ("New", 0)}
    with session_scope(engine) as s:
        actions = s.execute(select(AuditEvent.action)).scalars().all()
    assert actions == ["import.schools", "import.schools"]


def test_bad_rows_are_reported_and_nothing_committed(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "écoles.csv",
        [
            ["Code établissement", "Nom", "Région", "Licences"],
            ["CAS-07", "Lycée Descartes", "Casablanca", "5"],
            ["", "Sans code", "Rabat", "3"],
            ["RAB-02", "Lycée Ibn Sina", "Rabat", "-2"],
            ["RAB-03", "", "Rabat", "beaucoup"],
            ["CAS-07", "Encore", "Casablanca", "1"],
        ],
        encoding="cp1252",
        delimiter=";",
    )
    report = _schools(engine, path)
    assert not report.committed
    assert report.rejected == [
        Rejected("écoles.csv", None, 3, "Code établissement", "missing code", ""),
        Rejected("écoles.csv", None, 4, "Licences", "bad seats", "-2", "a whole number, 0 or more"),
        Rejected("écoles.csv", None, 5, "Nom", "missing name", ""),
        Rejected("écoles.csv", None, 5, "Licences", "bad seats", "beaucoup", "a whole number, 0 or more"),
        Rejected(
            "écoles.csv",
            None,
            6,
            "Code établissement",
            "duplicate inside the file",
            "CAS-07",
            "first at row 2",
        ),
    ]
    assert _seats(engine) == {}
    report = _schools(engine, path, skip_invalid=True)
    assert report.committed
    assert _seats(engine) == {"CAS-07": ("Lycée Descartes", 5)}


def test_arabic_headers_and_dry_run(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "schools.csv",
        [
            ["رمز المدرسة", "اسم المدرسة", "المحافظة", "عدد التراخيص"],
            ["AMM-3", "مدرسة عمان الثالثة", "عمان", "8"],
        ],
        encoding="cp1256",
        delimiter="\t",
    )
    report = _schools(engine, path, dry_run=True)
    assert report.rows_accepted == 1
    assert not report.committed
    assert _seats(engine) == {}
    assert _schools(engine, path).committed
    assert _seats(engine) == {"AMM-3": ("مدرسة عمان الثالثة", 8)}
    assert _schools(engine, path).already_imported


def test_missing_seats_column(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["code", "name", "region"], ["1", "A", "B"]], encoding="utf-8")
    with pytest.raises(
        MissingColumnError, match=r"missing required column\(s\) seats; columns found: 'code'"
    ):
        _schools(engine, path)
