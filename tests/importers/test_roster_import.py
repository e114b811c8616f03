"""Roster import against a real database (SQLite and PostgreSQL): what a ministry operator sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from importers import DataError, MissingColumnError, import_roster
from importers.report import Rejected
from models import AuditEvent, ImportBatch, Institution, Membership, Person, RejectedRow
from models.db import session_scope
from tests.importers.conftest import write_csv, write_xlsx

UA_TITLE = ["Список педагогічних працівників на 2026/2027 н.р."]


def _roster(engine: Engine, path: Path, **kw: object):
    with session_scope(engine) as session:
        return import_roster(session, path, actor="tester", **kw)


def _members(engine: Engine) -> dict[tuple[str, str], tuple[str, bool, bool]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Person.email, Institution.code, Membership.role, Membership.is_primary, Membership.active)
            .join(Membership, Membership.person_id == Person.id)
            .join(Institution, Institution.id == Membership.institution_id)
        ).all()
    return {(e, c): (r, p, a) for e, c, r, p, a in rows}


def _count(engine: Engine, table: type) -> int:
    with session_scope(engine) as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


def test_sheet_per_school_with_title_rows_one_person_two_schools(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "roster.xlsx",
        {
            "0421": [
                UA_TITLE,
                [],
                ["ПІБ", "Електронна пошта", "Посада"],
                ["Шевченко Тарас Григорович", "  Taras.Shevchenko@School.UA ", "вчитель"],
                ["Франко Іван", "franko@school.ua", "Директор"],
            ],
            "0422": [
                ["Прізвище", "Ім'я", "E-mail", "Роль"],
                ["Шевченко", "Тарас", "taras.shevchenko@school.ua", "Учитель"],
            ],
        },
        merged={"0421": ["A1:C1"]},
    )
    report = _roster(schools, path)
    assert report.committed
    assert not report.rejected
    assert report.rows_accepted == 3
    assert report.schools["0421"].added == 2
    assert report.schools["0422"].added == 1
    members = _members(schools)
    assert members == {
        ("taras.shevchenko@school.ua", "0421"): ("teacher", True, True),
        ("franko@school.ua", "0421"): ("admin", True, True),
        ("taras.shevchenko@school.ua", "0422"): ("teacher", False, True),
    }
    with session_scope(schools) as s:
        taras = s.execute(select(Person).where(Person.email == "taras.shevchenko@school.ua")).scalar_one()
        assert (taras.family_name, taras.given_name) == ("Шевченко", "Тарас Григорович")
        batch = s.execute(select(ImportBatch).where(ImportBatch.kind == "roster")).scalar_one()
        assert batch.committed
        assert batch.rows_accepted == 3
        assert batch.actor == "tester"
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "import.roster")).scalar_one()
        assert event.actor == "tester"
        assert event.after["batch_id"] == batch.id


def test_every_reject_reason_names_file_sheet_row_column_and_nothing_is_committed(
    schools: Engine, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        {
            "staff": [
                ["Liste du personnel"],
                ["Nom", "Prénom", "Courriel", "Fonction", "Code établissement"],
                ["Dupont", "Marie", "marie.dupont@ecole.ma", "enseignante", "CAS-07"],  # row 3 ok
                ["Martin", "Luc", "luc.martin@ecole", "professeur", "CAS-07"],  # 4 bad email
                ["", "", "anon@ecole.ma", "professeur", "CAS-07"],  # 5 missing name
                ["Benali", "Sara", "sara@ecole.ma", "jardinier", "CAS-07"],  # 6 unknown role
                ["Haddad", "Omar", "omar@ecole.ma", "élève", "RAB-99"],  # 7 unknown school
                ["Dupont", "Marie", "Marie.Dupont@ecole.ma", "enseignante", "CAS-07"],  # 8 duplicate
                ["Nour", "Lina", "", "directrice", "CAS-07"],  # 9 missing email
            ]
        },
    )
    report = _roster(schools, path)
    assert not report.committed
    assert report.rows_rejected == 6
    role_detail = report.rejected[2].detail
    # The unknown role lists the accepted words of its script and the policy key that adds it.
    assert "teacher: teacher, instructor" in role_detail
    assert "enseignant" in role_detail
    assert "вчитель" not in role_detail
    assert '[roles] table, e.g. "jardinier" = "teacher"' in role_detail
    assert report.rejected == [
        Rejected("bad.xlsx", "staff", 4, "Courriel", "bad email", "luc.martin@ecole"),
        Rejected("bad.xlsx", "staff", 5, "Nom", "missing name", ""),
        Rejected("bad.xlsx", "staff", 6, "Fonction", "unknown role", "jardinier", role_detail),
        Rejected("bad.xlsx", "staff", 7, "Code établissement", "unknown school code", "RAB-99"),
        Rejected(
            "bad.xlsx",
            "staff",
            8,
            "Courriel",
            "duplicate inside the file",
            "Marie.Dupont@ecole.ma",
            "first at row 3",
        ),
        Rejected("bad.xlsx", "staff", 9, "Courriel", "missing email", ""),
    ]
    assert _count(schools, Person) == 0
    assert _count(schools, Membership) == 0
    assert _count(schools, ImportBatch) == 1  # only the schools import
    assert _count(schools, RejectedRow) == 0


def test_skip_invalid_commits_valid_rows_and_records_rejects(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {
            "0421": [
                ["Email", "First name", "Last name", "Role"],
                ["a@s.ua", "Anna", "Koval", "teacher"],
                ["not-an-email", "Bad", "Row", "teacher"],
            ]
        },
    )
    report = _roster(schools, path, skip_invalid=True)
    assert report.committed
    assert report.rows_accepted == 1
    assert set(_members(schools)) == {("a@s.ua", "0421")}
    with session_scope(schools) as s:
        rej = s.execute(select(RejectedRow)).scalar_one()
        assert (rej.batch_id, rej.sheet, rej.row, rej.column, rej.reason, rej.value) == (
            report.batch_id,
            "0421",
            3,
            "Email",
            "bad email",
            "not-an-email",
        )
        assert s.get(ImportBatch, report.batch_id).rows_rejected == 1


def test_dry_run_validates_and_writes_nothing(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", {"0421": [["Email", "Name"], ["a@s.ua", "Anna Koval"]]})
    report = _roster(schools, path, dry_run=True)
    assert report.dry_run
    assert not report.committed
    assert report.schools["0421"].added == 1
    assert _count(schools, Person) == 0
    # and the real import afterwards is not mistaken for a re-import
    assert _roster(schools, path).committed


def test_same_file_again_is_a_no_op_that_says_so(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", {"0421": [["Email", "Name"], ["a@s.ua", "Anna Koval"]]})
    first = _roster(schools, path)
    again = _roster(schools, path)
    assert again.already_imported
    assert not again.committed
    assert again.batch_id == first.batch_id
    assert "already imported" in again.notes[0]
    assert _count(schools, ImportBatch) == 2  # schools + the one roster import


def _staff(n: int, start: int = 0) -> list[list[str]]:
    return [[f"p{i}@s.ua", f"Person {i}", "teacher"] for i in range(start, start + n)]


def test_roster_replaces_the_school_and_refuses_a_big_shrink(schools: Engine, tmp_path: Path) -> None:
    header = [["Email", "Name", "Role"]]
    _roster(schools, write_xlsx(tmp_path / "v1.xlsx", {"0421": header + _staff(10)}))
    # 4 of 10 leave: within the 50 % threshold
    v2 = _roster(schools, write_xlsx(tmp_path / "v2.xlsx", {"0421": header + _staff(6) + _staff(1, 100)}))
    assert (v2.schools["0421"].left, v2.schools["0421"].added, v2.schools["0421"].unchanged) == (4, 1, 6)
    members = _members(schools)
    assert members[("p9@s.ua", "0421")] == ("teacher", True, False)
    assert members[("p100@s.ua", "0421")][2] is True
    with session_scope(schools) as s:
        left = s.execute(select(Membership).join(Person).where(Person.email == "p9@s.ua")).scalar_one()
        assert left.left_at is not None
    # 6 of 7 active would leave: refused as a whole, nothing written
    v3 = write_xlsx(tmp_path / "v3.xlsx", {"0421": header + _staff(1)})
    with pytest.raises(DataError, match=r"school 0421: 6 of 7 active people would leave"):
        _roster(schools, v3)
    assert sum(a for _, _, a in _members(schools).values()) == 7
    assert _roster(schools, v3, allow_shrink=True).schools["0421"].left == 6
    assert sum(a for _, _, a in _members(schools).values()) == 1


def test_merge_adds_without_marking_anyone_left(schools: Engine, tmp_path: Path) -> None:
    header = [["Email", "Name", "Role"]]
    _roster(schools, write_xlsx(tmp_path / "v1.xlsx", {"0421": header + _staff(3)}))
    report = _roster(schools, write_xlsx(tmp_path / "v2.xlsx", {"0421": header + _staff(1, 50)}), merge=True)
    assert report.schools["0421"].left == 0
    assert all(active for _, _, active in _members(schools).values())
    assert len(_members(schools)) == 4


def test_empty_sheet_is_refused_unless_allow_shrink(schools: Engine, tmp_path: Path) -> None:
    _roster(schools, write_xlsx(tmp_path / "v1.xlsx", {"0422": [["Email", "Name"], *_staff(2)]}))
    empty = write_xlsx(
        tmp_path / "empty.xlsx", {"0422": [["Email", "Name"]], "0421": [["Email", "Name"], *_staff(1)]}
    )
    with pytest.raises(DataError, match=r"school 0422: sheet '0422' lists nobody"):
        _roster(schools, empty)
    assert _roster(schools, empty, allow_shrink=True).schools["0422"].left == 2


def test_missing_required_column_names_the_columns_found(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx", {"0421": [["Title"], ["Прізвище", "Ім'я", "Телефон"], ["A", "B", "1"]]}
    )
    with pytest.raises(MissingColumnError) as err:
        _roster(schools, path)
    assert err.value.missing == ["email"]
    assert err.value.found_columns == ["Прізвище", "Ім'я", "Телефон"]
    assert "r.xlsx, sheet '0421'" in str(err.value)
    assert "'Телефон'" in str(err.value)


def test_single_sheet_without_school_column_needs_school_option(schools: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "staff.csv", [["email", "name"], ["a@s.ua", "A B"]], encoding="utf-8")
    with pytest.raises(MissingColumnError, match="--school"):
        _roster(schools, path)
    report = _roster(schools, path, school="0422")
    assert set(_members(schools)) == {("a@s.ua", "0422")}
    assert report.committed


def test_csv_cp1252_semicolon_with_school_column_and_explicit_primary(
    schools: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "ecoles.csv",
        [
            ["Nom", "Prénom", "Adresse e-mail", "Rôle", "École", "Principal"],
            ["Lefèvre", "Hélène", "helene@ecole.fr", "Enseignante", "CAS-07", "non"],
            ["Lefèvre", "Hélène", "helene@ecole.fr", "Professeure", "0421", "oui"],
            ["Garçon", "François", "francois@ecole.fr", "Élève", "CAS-07", ""],
        ],
        encoding="cp1252",
        delimiter=";",
    )
    report = _roster(schools, path)
    assert report.committed, report.rejected
    assert _members(schools) == {
        ("helene@ecole.fr", "CAS-07"): ("teacher", False, True),
        ("helene@ecole.fr", "0421"): ("teacher", True, True),
        ("francois@ecole.fr", "CAS-07"): ("student", True, True),
    }
    with session_scope(schools) as s:
        p = s.execute(select(Person).where(Person.email == "francois@ecole.fr")).scalar_one()
        assert (p.given_name, p.family_name) == ("François", "Garçon")


def test_csv_cp1256_tab_arabic_headers(schools: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "amman.csv",
        [
            ["الاسم الأول", "اسم العائلة", "البريد الإلكتروني", "الوظيفة"],
            ["أحمد", "الخطيب", "ahmad@school.jo", "معلم"],
            ["فاطمة", "العلي", "fatima@school.jo", "مديرة"],
            ["ليلى", "حسن", "layla@school.jo", "طالبة"],
        ],
        encoding="cp1256",
        delimiter="\t",
    )
    report = _roster(schools, path, school="AMM-3")
    assert report.committed, report.rejected
    roles = {e: r for (e, _), (r, _, _) in _members(schools).items()}
    assert roles == {"ahmad@school.jo": "teacher", "fatima@school.jo": "admin", "layla@school.jo": "student"}
    with session_scope(schools) as s:
        p = s.execute(select(Person).where(Person.email == "ahmad@school.jo")).scalar_one()
        assert (p.given_name, p.family_name) == ("أحمد", "الخطيب")


def test_csv_cp1251_ukrainian_and_utf8_bom_russian(schools: Engine, tmp_path: Path) -> None:
    ua = write_csv(
        tmp_path / "ua.csv",
        [
            ["Прізвище", "Ім'я", "Електронна пошта", "Посада"],
            ["Ковальчук", "Ярослава", "yaroslava@school.ua", "вчителька"],
            ["Їжакевич", "Євген", "yevhen@school.ua", "учень"],
        ],
        encoding="cp1251",
        delimiter=";",
    )
    assert _roster(schools, ua, school="0421").committed
    ru = write_csv(
        tmp_path / "ru.csv",
        [
            ["Фамилия", "Имя", "Электронная почта", "Должность"],
            ["Иванова", "Ольга", "olga@school.ua", "учитель"],
        ],
        encoding="utf-8-sig",
    )
    assert _roster(schools, ru, school="0422").committed
    with session_scope(schools) as s:
        names = dict(s.execute(select(Person.email, Person.family_name)).all())
    assert names == {
        "yaroslava@school.ua": "Ковальчук",
        "yevhen@school.ua": "Їжакевич",
        "olga@school.ua": "Иванова",
    }


def test_primary_stays_with_the_school_that_listed_the_person_first(schools: Engine, tmp_path: Path) -> None:
    _roster(schools, write_xlsx(tmp_path / "a.xlsx", {"0421": [["Email", "Name"], ["t@s.ua", "Taras S"]]}))
    _roster(schools, write_xlsx(tmp_path / "b.xlsx", {"0422": [["Email", "Name"], ["t@s.ua", "Taras S"]]}))
    members = _members(schools)
    assert members[("t@s.ua", "0421")][1] is True
    assert members[("t@s.ua", "0422")][1] is False
    with session_scope(schools) as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == 1


def test_skip_invalid_never_marks_a_rejected_person_as_left(schools: Engine, tmp_path: Path) -> None:
    header = [["Email", "Name", "Role"]]
    _roster(schools, write_xlsx(tmp_path / "v1.xlsx", {"0421": header + _staff(4)}))
    # p3's row now has a role nobody knows: rejected, but p3 has not left the school
    v2 = header + _staff(3) + [["p3@s.ua", "Person 3", "astronaut"]]
    report = _roster(schools, write_xlsx(tmp_path / "v2.xlsx", {"0421": v2}), skip_invalid=True)
    assert report.committed
    assert report.schools["0421"].left == 0
    assert _members(schools)[("p3@s.ua", "0421")] == ("teacher", True, True)


def test_csv_with_title_rows_above_the_header(schools: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "liste.csv",
        [
            ["Liste du personnel - rentrée 2026"],
            [""],
            ["Nom;Prénom;Courriel;Fonction"],
            ["Roux;Léa;lea@ecole.fr;enseignante"],
            ["Blanc;Paul;paul@ecole;enseignant"],
        ],
        encoding="utf-8-sig",
    )
    report = _roster(schools, path, school="CAS-07")
    assert report.rejected == [Rejected("liste.csv", None, 5, "Courriel", "bad email", "paul@ecole")]
