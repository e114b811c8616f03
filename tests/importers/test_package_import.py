"""Schools and rosters straight from a OneRoster 1.1 / 1.2 (bulk, delta) or SDS 2.1 package:
no sheet of ours, orgs mapped by sourcedId, OneRoster 1.2 roles, usernames as emails."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from importers import import_roster, import_schools
from importers.report import ImportReport, Rejected
from models import Institution, Membership, Person
from models.db import session_scope
from tests.importers import packages as P
from tests.importers.conftest import write_csv

Members = set[tuple[str, str, str, bool]]


def _schools(engine: Engine, pkg: Path, **kwargs: object) -> ImportReport:
    with session_scope(engine) as s:
        return import_schools(s, pkg, actor="tester", **kwargs)  # type: ignore[arg-type]


def _roster(engine: Engine, pkg: Path, **kwargs: object) -> ImportReport:
    with session_scope(engine) as s:
        return import_roster(s, pkg, actor="tester", **kwargs)  # type: ignore[arg-type]


def _institutions(engine: Engine) -> set[tuple[str, str, str | None, str | None, int, str | None]]:
    with session_scope(engine) as s:
        t = Institution
        rows = s.execute(select(t.code, t.name, t.region, t.kind, t.seats, t.sourced_id)).all()  # type: ignore[call-overload]
    return {tuple(r) for r in rows}


def _members(engine: Engine) -> Members:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Person.email, Institution.code, Membership.role, Membership.is_primary)
            .join(Membership, Membership.person_id == Person.id)
            .join(Institution, Institution.id == Membership.institution_id)
            .where(Membership.active == True)  # noqa: E712
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


B = P.SCHOOL_B  # the school with no identifier: its code is its sourcedId
DISTRICT_SCHOOLS = {
    ("0421", "Ліцей №1", "Kyiv District", "school", 0, P.SCHOOL_A),
    (B, "Gymnasium 2", "Kyiv District", "school", 0, B),
}
STAFF_11: Members = {
    ("olena@school.example", "0421", "teacher", True),
    ("taras@school.example", "0421", "teacher", True),  # listed at the department of 0421
    ("taras@school.example", B, "teacher", False),
    ("iryna@school.example", B, "admin", True),
    ("petro@school.example", "0421", "staff", True),  # aide
    ("koval@school.example", B, "staff", True),  # proctor
    ("marta@school.example", "0421", "student", True),  # username as email
}
STAFF_12 = STAFF_11 | {("vira@school.example", "0421", "admin", True)}  # principal (+ teacher at the dept)


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_oneroster_11_imports_with_two_commands(engine: Engine, tmp_path: Path, as_zip: bool) -> None:
    pkg = P.oneroster_11(tmp_path / ("pkg.zip" if as_zip else "pkg"), as_zip=as_zip)
    schools = _schools(engine, pkg)
    assert schools.committed, schools.rejected
    assert _institutions(engine) == DISTRICT_SCHOOLS
    assert (schools.counts["institutions"], schools.counts["sub_orgs"]) == (2, 1)
    assert schools.warnings == [
        f"2 schools have 0 seats: 0421 (Ліцей №1), {B} (Gymnasium 2); "
        "give seats with --seats FILE (columns: code or sourcedId, seats)"
    ]
    roster = _roster(engine, pkg, email_from_username=True)
    assert roster.committed, roster.rejected
    assert _members(engine) == STAFF_11
    assert roster.counts == {
        "guardians_skipped": 2,
        "memberships_above_school_skipped": 1,  # the district administrator
        "emails_from_username": 1,
    }
    assert any("username, an address, was used" in n for n in roster.notes)


def test_oneroster_12_bulk_then_delta(engine: Engine, tmp_path: Path) -> None:
    pkg = P.oneroster_12(tmp_path / "bulk.zip", as_zip=True)
    assert _schools(engine, pkg).committed
    roster = _roster(engine, pkg, email_from_username=True)
    assert roster.committed, roster.rejected
    # siteAdministrator and principal are admins, aide and proctor staff; the principal's
    # second role (teacher at a department of the same school) is the same membership.
    assert _members(engine) == STAFF_12
    assert roster.counts == {
        "guardians_skipped": 3,  # guardian, parent, relative: left out, not rejected
        "memberships_above_school_skipped": 1,  # districtAdministrator at the district
        "emails_from_username": 1,
    }
    # The delta has no orgs.csv: the department is known from the schools import.
    delta = _roster(engine, P.oneroster_12_delta(tmp_path / "delta"), email_from_username=True)
    assert delta.committed, delta.rejected
    assert delta.counts == {"rows_tobedeleted_skipped": 1}
    assert set(delta.schools) == {"0421"}
    assert delta.schools["0421"].left == 0
    assert _members(engine) == STAFF_12 | {("sofiia@school.example", "0421", "teacher", True)}
    with session_scope(engine) as s:
        assert s.scalar(select(Person.family_name).where(Person.email == "olena@school.example")) == (
            "Kovalenko-Bondar"
        )


def test_sds_21_college_department_ministry_and_guardians(engine: Engine, tmp_path: Path) -> None:
    pkg = P.sds_21(tmp_path / "sds")
    schools = _schools(engine, pkg)
    assert schools.committed
    assert _institutions(engine) == {
        (P.SCHOOL_A, "Ліцей №1", "Kyiv District", "school", 0, P.SCHOOL_A),
        ("uni-1", "Polytechnic", None, "college", 0, "uni-1"),
    }
    roster = _roster(engine, pkg, email_from_username=True)
    assert roster.committed, roster.rejected
    assert _members(engine) == {
        ("olena@school.example", P.SCHOOL_A, "teacher", True),
        ("marta@school.example", P.SCHOOL_A, "student", True),
        ("dmytro@uni.example", "uni-1", "teacher", True),  # professor at a faculty of the college
        ("roman@uni.example", "uni-1", "admin", True),
    }
    assert roster.counts == {
        "guardians_skipped": 1,  # named in relationships.csv, no role of their own
        "memberships_above_school_skipped": 1,  # a teacher role at the ministry
        "emails_from_username": 4,
    }


def test_usernames_are_not_emails_unless_the_policy_says_so(engine: Engine, tmp_path: Path) -> None:
    pkg = P.oneroster_11(tmp_path / "pkg")
    assert _schools(engine, pkg).committed
    roster = _roster(engine, pkg)
    assert not roster.committed
    assert roster.rejected == [
        Rejected(
            "users.csv", None, 8, "email", "missing email", "",
            "the username is an address: policy email_from_username = true would use it",
        )
    ]  # fmt: skip
    assert _members(engine) == set()


def test_reimport_updates_names_and_parents_and_keeps_seats(engine: Engine, tmp_path: Path) -> None:
    seats = write_csv(
        tmp_path / "seats.csv", [["code", "seats"], ["0421", "30"], [B, "12"]], encoding="utf-8"
    )
    assert _schools(engine, P.oneroster_11(tmp_path / "v1"), seats=seats).committed
    assert {(c, s) for c, _, _, _, s, _ in _institutions(engine)} == {("0421", 30), (B, 12)}
    moved = P.orgs(school_a_name="Ліцей №1 імені Лесі Українки", school_b_parent="org-dist-12")
    again = _schools(engine, P.oneroster_11(tmp_path / "v2", org_rows=moved))
    assert again.committed
    assert again.warnings == []
    assert (again.totals.updated, again.totals.added) == (2, 0)
    assert _institutions(engine) == {
        ("0421", "Ліцей №1 імені Лесі Українки", "Kyiv District", "school", 30, P.SCHOOL_A),
        (B, "Gymnasium 2", "Lviv District", "school", 12, B),
    }


def test_seats_sheet_by_sourced_id_with_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    seats = write_csv(
        tmp_path / "seats.csv",
        [["sourcedId", "name", "seats"], [P.SCHOOL_A, "Ліцей", "30"], ["org-nope", "?", "5"], [B, "G2", "x"]],
        encoding="utf-8",
    )
    report = _schools(engine, P.oneroster_12(tmp_path / "pkg"), seats=seats)
    assert not report.committed
    assert report.rejected == [
        Rejected("seats.csv", None, 4, "seats", "bad seats", "x", "a whole number, 0 or more"),
        Rejected(
            "seats.csv", None, 3, "sourcedId", "unknown school code", "org-nope", "no such org in the package"
        ),
    ]
    assert _institutions(engine) == set()


def test_a_sheet_imported_school_is_adopted_by_its_code(engine: Engine, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "s.csv", [["code", "name", "seats"], ["0421", "Old name", "7"]], encoding="utf-8"
    )
    assert _schools(engine, sheet).committed
    report = _schools(engine, P.oneroster_11(tmp_path / "pkg"))
    assert report.schools["0421"].updated == 1
    assert ("0421", "Ліцей №1", "Kyiv District", "school", 7, P.SCHOOL_A) in _institutions(engine)
    assert report.warnings == [
        f"1 school has 0 seats: {B} (Gymnasium 2); " + report.warnings[0].split("; ")[1]
    ]


def test_roster_before_schools_names_the_fix(engine: Engine, tmp_path: Path) -> None:
    report = _roster(engine, P.oneroster_11(tmp_path / "pkg"), email_from_username=True)
    assert not report.committed
    first = report.rejected[0]
    assert (first.file, first.row, first.column, first.reason, first.value) == (
        "users.csv", 2, "orgSourcedIds", "unknown school code", P.SCHOOL_A
    )  # fmt: skip
    assert "import the schools from this package first" in first.detail


def test_policy_role_words_override_the_oneroster_table(engine: Engine, tmp_path: Path) -> None:
    pkg = P.oneroster_12(tmp_path / "pkg")
    assert _schools(engine, pkg).committed
    report = _roster(
        engine, pkg, email_from_username=True, role_words={"guardian": "staff", "aide": "teacher"}
    )
    assert report.committed, report.rejected
    members = _members(engine)
    assert ("anna.t@mail.example", "0421", "staff", True) in members
    assert ("petro@school.example", "0421", "teacher", True) in members
    assert report.counts["guardians_skipped"] == 2


def _shared(shared_dir: Path, name: str) -> Path:
    path = shared_dir / "rosters" / name
    if not path.is_dir():
        pytest.skip(f"the sample {path} is absent")
    return path


def test_shared_oneroster_11_sample(engine: Engine, shared_dir: Path) -> None:
    pkg = _shared(shared_dir, "oneroster-1.1")
    schools = _schools(engine, pkg)
    assert schools.committed
    # Both orgs are schools (School 1's parent is School 2): codes are their identifiers.
    assert {(c, n) for c, n, *_ in _institutions(engine)} == {
        ("my identifier", "School 1"),
        ("my identifier 2", "School 2"),
    }
    # Its users have no email and usernames that are no address: nothing to license.
    roster = _roster(engine, pkg, email_from_username=True)
    assert not roster.committed
    assert [(r.row, r.reason, r.detail) for r in roster.rejected] == [
        (2, "missing email", ""),
        (3, "missing email", ""),
    ]


def test_shared_sds_21_sample(engine: Engine, shared_dir: Path) -> None:
    pkg = _shared(shared_dir, "sds-2.1")
    assert _schools(engine, pkg).committed
    roster = _roster(engine, pkg, email_from_username=True)
    assert roster.committed, roster.rejected
    assert _members(engine) == {
        ("jcraig@classrmtest31.org", "110003", "student", True),
        ("fhutch@classrmtest31.org", "110003", "student", True),
        ("asmithee@classrmtest31.org", "110003", "student", True),
        ("jjonzer@classrmtest31.org", "110001", "teacher", True),  # professor at a department
        # primary at the ministry (at no school): 110003, her only school, is her primary
        ("kfein@classrmtest31.org", "110003", "teacher", True),
        ("smiller@classrmtest31.org", "110001", "student", True),
    }
    assert roster.counts == {
        "guardians_skipped": 2,
        "memberships_above_school_skipped": 1,
        "emails_from_username": 6,
    }


def test_stray_and_deleted_orgs_are_left_out_and_said(engine: Engine, tmp_path: Path) -> None:
    org_rows = [
        *P.orgs(),
        {
            "sourcedId": "org-dep-x",
            "name": "District office",
            "type": "department",
            "parentSourcedId": P.DISTRICT,
        },
        {"sourcedId": "org-sch-old", "name": "Closed school", "type": "school", "status": "tobedeleted"},
    ]
    report = _schools(engine, P.oneroster_11(tmp_path / "pkg", org_rows=org_rows))
    assert report.committed
    assert {c for c, *_ in _institutions(engine)} == {"0421", B}
    assert (report.counts["orgs_under_no_school"], report.counts["orgs_tobedeleted_skipped"]) == (1, 1)
    assert "1 org under no school left out: org-dep-x (department)" in report.notes


def test_a_school_keeps_its_code_when_the_sis_gives_it_an_identifier(engine: Engine, tmp_path: Path) -> None:
    assert _schools(engine, P.oneroster_11(tmp_path / "v1")).committed
    rows = [{**o, "identifier": "0777"} if o["sourcedId"] == B else o for o in P.orgs()]
    report = _schools(engine, P.oneroster_11(tmp_path / "v2", org_rows=rows))
    assert report.committed
    assert f"org {B}: identifier now '0777', the school keeps its code '{B}'" in report.notes
    assert {c for c, *_ in _institutions(engine)} == {"0421", B}


def test_an_unknown_role_word_is_rejected_at_its_roles_row(engine: Engine, tmp_path: Path) -> None:
    pkg = P.oneroster_12(tmp_path / "pkg")
    roles = (pkg / "roles.csv").read_text(encoding="utf-8").splitlines()
    roles = [line.replace(",proctor,", ",custodianX,") for line in roles]  # u9's role, at row 11
    (pkg / "roles.csv").write_text("\r\n".join(roles[:-1]) + "\r\n", encoding="utf-8")  # u11: no role left
    assert _schools(engine, pkg).committed
    report = _roster(engine, pkg, email_from_username=True)
    assert not report.committed
    assert [(r.file, r.row, r.column, r.reason, r.value) for r in report.rejected] == [
        ("roles.csv", 11, "role", "unknown role", "custodianX")
    ]
    assert report.counts["users_without_role_skipped"] == 1
    assert "1 user with no role at any org left out" in report.notes
