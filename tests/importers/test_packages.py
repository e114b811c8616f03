"""OneRoster 1.1 and SDS 2.1 packages: the real samples in ../shared/rosters."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from importers import import_roster, import_schools
from importers.report import Rejected
from models import Institution, Membership, Person
from models.db import session_scope
from tests.importers.conftest import write_csv


def _schools(engine: Engine, tmp_path: Path, codes: list[str]) -> None:
    rows = [["code", "name", "seats"]] + [[c, f"Org {c}", "10"] for c in codes]
    path = write_csv(tmp_path / "orgs-as-schools.csv", rows, encoding="utf-8")
    with session_scope(engine) as s:
        assert import_schools(s, path, actor="tester").committed


def _members(engine: Engine) -> set[tuple[str, str, str, bool]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Person.email, Institution.code, Membership.role, Membership.is_primary)
            .join(Membership, Membership.person_id == Person.id)
            .join(Institution, Institution.id == Membership.institution_id)
        ).all()
    return {tuple(r) for r in rows}


def test_sds_v21_folder(engine: Engine, tmp_path: Path, shared_dir: Path) -> None:
    _schools(engine, tmp_path, ["110001", "110002", "110003", "110004"])
    with session_scope(engine) as s:
        report = import_roster(
            s, shared_dir / "rosters" / "sds-2.1", actor="tester", email_from_username=True
        )
    assert report.committed, report.rejected
    assert _members(engine) == {
        ("jcraig@classrmtest31.org", "110003", "student", True),
        ("fhutch@classrmtest31.org", "110003", "student", True),
        ("asmithee@classrmtest31.org", "110003", "student", True),
        ("jjonzer@classrmtest31.org", "110002", "teacher", True),  # "professor"
        ("kfein@classrmtest31.org", "110004", "teacher", True),  # isPrimary TRUE
        ("kfein@classrmtest31.org", "110003", "teacher", False),  # isPrimary FALSE
        ("smiller@classrmtest31.org", "110001", "student", True),
    }


def test_sds_unknown_org_is_rejected_at_its_roles_row(
    engine: Engine, tmp_path: Path, shared_dir: Path
) -> None:
    _schools(engine, tmp_path, ["110001", "110002", "110004"])  # the school 110003 is unknown
    with session_scope(engine) as s:
        report = import_roster(
            s, shared_dir / "rosters" / "sds-2.1", actor="tester", email_from_username=True
        )
    assert not report.committed
    hint = "org 110003 is no school imported: import the schools from this package first"
    assert report.rejected == [
        Rejected("roles.csv", None, row, "orgSourcedId", "unknown school code", "110003", hint)
        for row in (2, 3, 4, 7)
    ]


def test_oneroster_11_users_without_email_are_rejected(
    engine: Engine, tmp_path: Path, shared_dir: Path
) -> None:
    _schools(engine, tmp_path, ["12345", "54321"])
    with session_scope(engine) as s:
        report = import_roster(s, shared_dir / "rosters" / "oneroster-1.1", actor="tester")
    # The sample's users have no email (and usernames that are not addresses): nothing to license.
    assert not report.committed
    assert report.rejected == [
        Rejected("users.csv", None, 2, "email", "missing email", ""),
        Rejected("users.csv", None, 3, "email", "missing email", ""),
    ]


def test_oneroster_zip_with_emails_added(engine: Engine, tmp_path: Path, shared_dir: Path) -> None:
    _schools(engine, tmp_path, ["12345", "54321"])
    src = shared_dir / "rosters" / "oneroster-1.1"
    folder = tmp_path / "pkg"
    shutil.copytree(src, folder)
    users = (folder / "users.csv").read_text(encoding="utf-8").splitlines()
    header = users[0].split(",")
    at = header.index("email")
    fixed = [users[0]]
    for line in users[1:]:
        cells = line.split(",")
        cells[at] = f"{cells[header.index('username')]}@school.example"
        fixed.append(",".join(cells))
    (folder / "users.csv").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    pkg = tmp_path / "oneroster.zip"
    with zipfile.ZipFile(pkg, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
    with session_scope(engine) as s:
        report = import_roster(s, pkg, actor="tester")
    assert report.committed, report.rejected
    assert _members(engine) == {
        ("ionut@school.example", "12345", "student", True),
        ("ionut2@school.example", "54321", "student", True),
    }


@pytest.mark.parametrize("mode", ["delta"])
def test_oneroster_delta_never_marks_anyone_left(
    engine: Engine, tmp_path: Path, shared_dir: Path, mode: str
) -> None:
    _schools(engine, tmp_path, ["12345", "54321"])
    write_csv(
        tmp_path / "first.csv",
        [["email", "name", "school"], *[[f"p{i}@s.org", "P Q", "12345"] for i in range(4)]],
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        assert import_roster(s, tmp_path / "first.csv", actor="tester").committed
    pkg = tmp_path / "delta"
    pkg.mkdir()
    (pkg / "manifest.csv").write_text(f"propertyName,value\noneroster.version,1.1\nfile.users,{mode}\n")
    (pkg / "users.csv").write_text(
        "sourcedId,orgSourcedIds,role,givenName,familyName,email\nu9,12345,teacher,New,Person,new@s.org\n"
    )
    with session_scope(engine) as s:
        report = import_roster(s, pkg, actor="tester")
    assert report.committed
    assert report.schools["12345"].left == 0
    assert len(_members(engine)) == 5
