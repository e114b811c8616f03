"""OneRoster 1.1, 1.2 (bulk and delta) and SDS 2.1 packages written the way SIS exports are,
for one small district: two schools (one known by its identifier, one by its sourcedId only),
a department of the first, a district above them, staff of every OneRoster role, guardians,
and a student with no email but an address as username."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

DISTRICT = "org-dist-11"
SCHOOL_A = "org-sch-111-123"  # identifier 0421
SCHOOL_B = "org-sch-222-456"  # no identifier: its code is the sourcedId
DEPT_A = "org-dep-111-7"  # a department of school A

ORGS_11 = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]
USERS_11 = [
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
    "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password",
]  # fmt: skip
USERS_12 = [
    "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
    "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
    "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
    "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
]  # fmt: skip
ROLES_12 = [
    "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
    "endDate", "orgSourcedId", "userProfileSourcedId",
]  # fmt: skip
STAMP = "2026-11-02T08:00:00.000Z"


def _csv(header: Sequence[str], rows: Sequence[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\r\n", restval="")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _manifest(version: str, files: dict[str, str]) -> str:
    rows = [("manifest.version", "1.0"), ("oneroster.version", version)]
    rows += [(f"file.{name}", mode) for name, mode in files.items()]
    rows += [("source.systemName", "Example SIS"), ("source.systemCode", "ESIS")]
    return _csv(["propertyName", "value"], [{"propertyName": k, "value": v} for k, v in rows])


def orgs(*, school_a_name: str = "Ліцей №1", school_b_parent: str = DISTRICT) -> list[dict[str, str]]:
    common = {"status": "active", "dateLastModified": STAMP}
    return [
        {**common, "sourcedId": DISTRICT, "name": "Kyiv District", "type": "district", "identifier": "KD"},
        {**common, "sourcedId": "org-dist-12", "name": "Lviv District", "type": "district"},
        {**common, "sourcedId": SCHOOL_A, "name": school_a_name, "type": "school", "identifier": "0421",
         "parentSourcedId": DISTRICT},
        {**common, "sourcedId": SCHOOL_B, "name": "Gymnasium 2", "type": "school",
         "parentSourcedId": school_b_parent},
        {**common, "sourcedId": DEPT_A, "name": "Science", "type": "department", "parentSourcedId": SCHOOL_A},
    ]  # fmt: skip


# (sourcedId, given, family, email, username, [(role, org, primary)])
PEOPLE: list[tuple[str, str, str, str, str, list[tuple[str, str, bool]]]] = [
    ("u1", "Olena", "Kovalenko", "olena@school.example", "okoval", [("teacher", SCHOOL_A, True)]),
    ("u2", "Taras", "Boiko", "taras@school.example", "tboiko",
     [("teacher", DEPT_A, True), ("teacher", SCHOOL_B, False)]),
    ("u3", "Iryna", "Shevchenko", "iryna@school.example", "ishev", [("administrator", SCHOOL_B, True)]),
    ("u4", "Petro", "Melnyk", "petro@school.example", "pmel", [("aide", SCHOOL_A, True)]),
    ("u5", "Anna", "Tkachenko", "anna.t@mail.example", "annat", [("guardian", SCHOOL_A, True)]),
    ("u6", "Oleh", "Tkachenko", "oleh.t@mail.example", "oleht", [("parent", SCHOOL_A, True)]),
    ("u7", "Marta", "Lysenko", "", "marta@school.example", [("student", SCHOOL_A, True)]),
    ("u8", "Bohdan", "Hnatiuk", "bohdan@district.example", "bhnat", [("administrator", DISTRICT, True)]),
    ("u9", "Iryna", "Koval", "koval@school.example", "ikoval", [("proctor", SCHOOL_B, True)]),
]  # fmt: skip
# OneRoster 1.2 words for the same people (1.1 has only administrator, aide, proctor…)
ROLES_12_WORDS = {"u3": "siteAdministrator", "u8": "districtAdministrator"}
EXTRA_12 = [  # 1.2 only: a principal with a second role at a department of the same school
    ("u10", "Vira", "Savchenko", "vira@school.example", "vsav",
     [("principal", SCHOOL_A, True), ("teacher", DEPT_A, False)]),
    ("u11", "Ivan", "Tkachenko", "ivan.t@mail.example", "ivant", [("relative", SCHOOL_B, True)]),
]  # fmt: skip


def _write(dest: Path, files: dict[str, str], *, as_zip: bool) -> Path:
    if as_zip:
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files.items():
                zf.writestr(name, text.encode("utf-8"))
        return dest
    dest.mkdir(parents=True)
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8", newline="")
    return dest


def oneroster_11(dest: Path, *, as_zip: bool = False, org_rows: list[dict[str, str]] | None = None) -> Path:
    users = []
    for sid, given, family, email, username, memberships in PEOPLE:
        users.append({
            "sourcedId": sid, "status": "active", "dateLastModified": STAMP, "enabledUser": "true",
            "orgSourcedIds": ",".join(org for _, org, _ in memberships), "role": memberships[0][0],
            "username": username, "givenName": given, "familyName": family, "email": email,
        })  # fmt: skip
    files = {
        "manifest.csv": _manifest("1.1", {"orgs": "bulk", "users": "bulk", "enrollments": "absent"}),
        "orgs.csv": _csv(ORGS_11, org_rows or orgs()),
        "users.csv": _csv(USERS_11, users),
    }
    return _write(dest, files, as_zip=as_zip)


def _users_and_roles_12(
    people: list[tuple[str, str, str, str, str, list[tuple[str, str, bool]]]],
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    users, roles = [], []
    for sid, given, family, email, username, memberships in people:
        primary = next(org for _, org, p in memberships if p)
        users.append({
            "sourcedId": sid, "status": "active", "dateLastModified": STAMP, "enabledUser": "true",
            "username": username, "givenName": given, "familyName": family, "email": email,
            "primaryOrgSourcedId": primary,
        })  # fmt: skip
        for i, (role, org, is_primary) in enumerate(memberships):
            roles.append({
                "sourcedId": f"r-{sid}-{i}", "status": "active", "dateLastModified": STAMP,
                "userSourcedId": sid, "roleType": "primary" if is_primary else "secondary",
                "role": ROLES_12_WORDS.get(sid, role), "orgSourcedId": org,
            })  # fmt: skip
    return users, roles


def oneroster_12(dest: Path, *, as_zip: bool = False) -> Path:
    users, roles = _users_and_roles_12(PEOPLE + EXTRA_12)
    files = {
        "manifest.csv": _manifest(
            "1.2", {"orgs": "bulk", "users": "bulk", "roles": "bulk", "enrollments": "absent"}
        ),
        "orgs.csv": _csv(ORGS_11, orgs()),
        "users.csv": _csv(USERS_12, users),
        "roles.csv": _csv(ROLES_12, roles),
    }
    return _write(dest, files, as_zip=as_zip)


def oneroster_12_delta(dest: Path, *, as_zip: bool = False) -> Path:
    """A delta after the bulk: a new teacher at the department (no orgs.csv in the delta), a
    changed family name, and one role ended (tobedeleted)."""
    newcomer = ("u12", "Sofiia", "Romanenko", "sofiia@school.example", "srom", [("teacher", DEPT_A, True)])
    renamed = (
        "u1",
        "Olena",
        "Kovalenko-Bondar",
        "olena@school.example",
        "okoval",
        [("teacher", SCHOOL_A, True)],
    )
    users, roles = _users_and_roles_12([newcomer, renamed])
    roles.append({
        "sourcedId": "r-u9-0", "status": "tobedeleted", "dateLastModified": STAMP, "userSourcedId": "u9",
        "roleType": "primary", "role": "proctor", "orgSourcedId": SCHOOL_B,
    })  # fmt: skip
    files = {
        "manifest.csv": _manifest("1.2", {"orgs": "absent", "users": "delta", "roles": "delta"}),
        "users.csv": _csv(USERS_12, users),
        "roles.csv": _csv(ROLES_12, roles),
    }
    return _write(dest, files, as_zip=as_zip)


def sds_21(dest: Path, *, as_zip: bool = False) -> Path:
    """Microsoft SDS v2.1: no manifest, roles.csv with isPrimary, relationships.csv for guardians,
    a university as "college" and the ministry above it."""
    org_rows = [
        {"sourcedId": "min-1", "name": "Ministry", "type": "ministryOfEducation"},
        {"sourcedId": DISTRICT, "name": "Kyiv District", "type": "district", "parentSourcedId": "min-1"},
        {"sourcedId": SCHOOL_A, "name": "Ліцей №1", "type": "school", "parentSourcedId": DISTRICT},
        {"sourcedId": "uni-1", "name": "Polytechnic", "type": "college", "parentSourcedId": "min-1"},
        {
            "sourcedId": "fac-1",
            "name": "Faculty of Physics",
            "type": "department",
            "parentSourcedId": "uni-1",
        },
    ]
    people = [
        ("s1", "Olena", "Kovalenko", "", "olena@school.example", [("teacher", SCHOOL_A, True)]),
        ("s2", "Dmytro", "Ivanov", "", "dmytro@uni.example",
         [("professor", "fac-1", True), ("teacher", "min-1", False)]),
        ("s3", "Marta", "Lysenko", "", "marta@school.example", [("student", SCHOOL_A, True)]),
        ("s4", "Anna", "Lysenko", "anna.l@mail.example", "anna.l@mail.example", []),
        ("s5", "Roman", "Hrytsenko", "", "roman@uni.example", [("administrator", "uni-1", True)]),
    ]  # fmt: skip
    users = [
        {"sourcedId": sid, "username": username, "givenName": g, "familyName": f, "email": email}
        for sid, g, f, email, username, _ in people
    ]
    roles = [
        {"userSourcedId": sid, "orgSourcedId": org, "role": role, "isPrimary": "TRUE" if p else "FALSE"}
        for sid, *_, memberships in people
        for role, org, p in memberships
    ]
    files = {
        "orgs.csv": _csv(["sourcedId", "name", "type", "parentSourcedId"], org_rows),
        "users.csv": _csv(["sourcedId", "username", "givenName", "familyName", "password", "email"], users),
        "roles.csv": _csv(
            ["userSourcedId", "orgSourcedId", "role", "sessionSourcedId", "grade", "isPrimary"], roles
        ),
        "relationships.csv": _csv(
            ["userSourcedId", "relationshipUserSourcedId", "relationshipRole"],
            [{"userSourcedId": "s3", "relationshipUserSourcedId": "s4", "relationshipRole": "guardian"}],
        ),
    }
    return _write(dest, files, as_zip=as_zip)
