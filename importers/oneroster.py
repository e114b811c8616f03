"""OneRoster 1.1/1.2 and Microsoft SDS v2.1 packages (folder or zip) -> raw roster rows.

OneRoster 1.1: users.csv lists each user's role and orgs (orgSourcedIds, the first is primary).
OneRoster 1.2 and SDS 2.1: users.csv holds the people, roles.csv their memberships (1.2 marks
the primary with roleType, SDS with isPrimary; users.csv's primaryOrgSourcedId otherwise).
An org is mapped to its institution by sourcedId (see OrgResolver); people at a district or
ministry are at no school and are left out (counted); guardians, parents and relatives too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from importers.codes import CodeLookup
from importers.errors import DataError
from importers.normalize import ROLES, is_valid_email, normalize_email
from importers.oneroster_roles import RoleTable
from importers.orgs import Org, institution_of, read_orgs
from importers.package import Get, Package, Table, open_package, users_mode
from importers.report import count
from importers.rows import RawRoster, RawRow

ABOVE_SCHOOL = "\0above"  # an org above the schools: its memberships are at no school

# What the summary says about a package (keys of RawRoster.counts).
GUARDIANS = "guardians_skipped"
ABOVE = "memberships_above_school_skipped"
NO_ROLE = "users_without_role_skipped"
DELETED = "rows_tobedeleted_skipped"
FROM_USERNAME = "emails_from_username"

_HINT_SCHOOL = "org {org} is no school imported: import the schools from this package first"
_HINT_USERNAME = "the username is an address: policy email_from_username = true would use it"


@dataclass
class OrgResolver:
    """org sourcedId -> institution code: the link kept by `import schools` (institution or
    sub-org sourcedId), else a code equal to the org's sourcedId or identifier (schools imported
    from a sheet), else the same for the institution above it in orgs.csv."""

    orgs: dict[str, Org]
    links: dict[str, str]
    codes: CodeLookup
    _memo: dict[str, str] = field(default_factory=dict)

    def _direct(self, sid: str) -> str | None:
        code = self.links.get(sid) or self.codes.get(sid)
        if code is None and (org := self.orgs.get(sid)) is not None and org.identifier:
            code = self.codes.get(org.identifier)
        return code

    def code(self, sid: str) -> str:
        """The institution code, ABOVE_SCHOOL, or the sourcedId itself when nothing matches
        (validation rejects it as an unknown school)."""
        if sid in self._memo:
            return self._memo[sid]
        found = self._direct(sid)
        org = self.orgs.get(sid)
        if found is None and org is not None:
            inst = institution_of(org, self.orgs)
            if inst is not None and inst is not org:
                found = self._direct(inst.sourced_id)
            elif inst is None and org.is_above_school:
                found = ABOVE_SCHOOL
        self._memo[sid] = found if found is not None else sid
        return self._memo[sid]


@dataclass
class _Options:
    roles: RoleTable
    email_from_username: bool
    codes: CodeLookup
    out: RawRoster
    counts: Counter[str] = field(default_factory=Counter)


def package_rows(
    path: Path,
    display: str,
    *,
    codes: CodeLookup,
    links: dict[str, str],
    roles: RoleTable,
    email_from_username: bool = False,
) -> RawRoster:
    """Raw roster rows of a OneRoster or SDS package (folder or zip)."""
    pkg = open_package(path, display)
    out = RawRoster()
    out.delta = users_mode(pkg) == "delta" or pkg.mode("roles") == "delta"
    if out.delta:
        out.notes.append("OneRoster delta package: added and updated only, nobody is marked as left")
    resolver = OrgResolver(read_orgs(pkg), links, codes)
    opts = _Options(roles, email_from_username, codes, out)
    if pkg.table("roles.csv") is not None:
        _with_roles_file(pkg, resolver, opts)
    elif pkg.version.startswith("1.2"):
        raise DataError(
            f"{display}: a OneRoster {pkg.version} package lists memberships in roles.csv, which it "
            f"lacks (manifest file.roles = {pkg.mode('roles')}): nothing to import"
        )
    else:
        _users_with_orgs(pkg, resolver, opts)
    out.counts = {k: v for k, v in opts.counts.items() if v}
    _notes(out, email_from_username)
    return out


def _notes(out: RawRoster, email_from_username: bool) -> None:
    c = out.counts
    if c.get(GUARDIANS):
        who = count(c[GUARDIANS], "guardian, parent or relative", "guardians, parents or relatives")
        out.notes.append(f"{who} left out (not school staff)")
    if c.get(ABOVE):
        what = count(c[ABOVE], "membership", "memberships")
        out.notes.append(f"{what} at a district or ministry org left out (at no school)")
    if c.get(NO_ROLE):
        out.notes.append(f"{count(c[NO_ROLE], 'user', 'users')} with no role at any org left out")
    if c.get(DELETED):
        out.notes.append(f"{count(c[DELETED], 'row', 'rows')} marked tobedeleted left out")
    if c.get(FROM_USERNAME):
        out.notes.append(
            f"{count(c[FROM_USERNAME], 'person', 'people')} with no email: the username, an address, "
            "was used (policy email_from_username = true)"
        )


def _email(get: Get, table: Table, opts: _Options) -> tuple[str, str, str]:
    """(email, the column it came from, a hint for a missing email)."""
    email = get("email")
    column = table.column("email")
    if email:
        return email, column, ""
    username = get("username")
    if not (username and is_valid_email(normalize_email(username))):
        return "", column, ""
    if opts.email_from_username:
        opts.counts[FROM_USERNAME] += 1
        return username, table.column("username"), ""
    return "", column, _HINT_USERNAME


@dataclass
class _Membership:
    user: str
    school: str
    role_word: str
    primary: bool
    file: str
    row: int
    role_column: str
    school_column: str
    org: str


def _rank(roles: RoleTable, word: str) -> int:
    role = roles.role(word)
    return ROLES.index(role) if role in ROLES else len(ROLES)


def _add(
    merged: dict[tuple[str, str], _Membership], extra: list[_Membership], m: _Membership, opts: _Options
) -> None:
    """One membership per person and school: two departments of a school, or two roles there,
    are one membership with the highest role (admin, teacher, staff, student)."""
    if m.school == ABOVE_SCHOOL:
        opts.counts[ABOVE] += 1
        return
    if opts.roles.role(m.role_word) is None:
        extra.append(m)  # an unknown word: validation rejects it at its own row
        return
    first = merged.get((m.user, m.school))
    if first is None:
        merged[(m.user, m.school)] = m
        return
    if _rank(opts.roles, m.role_word) < _rank(opts.roles, first.role_word):
        first.role_word, first.file, first.row, first.role_column = m.role_word, m.file, m.row, m.role_column
    first.primary = first.primary or m.primary


def _users_with_orgs(pkg: Package, resolver: OrgResolver, opts: _Options) -> None:
    users = pkg.need("users.csv", ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName"])
    merged: dict[tuple[str, str], _Membership] = {}
    extra: list[_Membership] = []
    people: dict[str, tuple[int, Get]] = {}
    for n, get in users.records():
        if get("status").lower() == "tobedeleted":
            opts.counts[DELETED] += 1
            continue
        if opts.roles.skipped(get("role")):
            opts.counts[GUARDIANS] += 1
            continue
        sid = get("sourcedId")
        people.setdefault(sid, (n, get))
        orgs = [o.strip() for o in get("orgSourcedIds").split(",") if o.strip()] or [""]
        for i, org in enumerate(orgs):
            m = _Membership(
                sid,
                resolver.code(org) if org else "",
                get("role"),
                i == 0,
                users.file,
                n,
                users.column("role"),
                users.column("orgSourcedIds"),
                org,
            )
            _add(merged, extra, m, opts)
    _emit(users, people, [*merged.values(), *extra], opts)


def _guardian_ids(pkg: Package, roles: RoleTable) -> set[str]:
    """Users named as someone's guardian, parent or relative (SDS relationships.csv)."""
    table = pkg.table("relationships.csv")
    if table is None:
        return set()
    return {
        get("relationshipUserSourcedId")
        for _, get in table.records()
        if roles.skipped(get("relationshipRole"))
    }


def _with_roles_file(pkg: Package, resolver: OrgResolver, opts: _Options) -> None:
    users = pkg.need("users.csv", ["sourcedId", "givenName", "familyName"])
    roles = pkg.need("roles.csv", ["userSourcedId", "orgSourcedId", "role"])
    people: dict[str, tuple[int, Get]] = {}
    primary_org: dict[str, str] = {}
    for n, get in users.records():
        if get("status").lower() == "tobedeleted":
            opts.counts[DELETED] += 1
            continue
        people.setdefault(get("sourcedId"), (n, get))
        primary_org[get("sourcedId")] = get("primaryOrgSourcedId")
    merged: dict[tuple[str, str], _Membership] = {}
    extra: list[_Membership] = []
    with_role: set[str] = set()
    skipped: set[str] = set()
    for n, get in roles.records():
        uid, org = get("userSourcedId"), get("orgSourcedId")
        if get("status").lower() == "tobedeleted":
            opts.counts[DELETED] += 1
            continue
        if opts.roles.skipped(get("role")):
            skipped.add(uid)
            continue
        with_role.add(uid)
        if roles.has("isPrimary"):
            primary = get("isPrimary").lower() in ("true", "1", "yes")
        elif roles.has("roleType"):
            primary = get("roleType").lower() == "primary"
        else:
            primary = primary_org.get(uid) == org
        m = _Membership(
            uid,
            resolver.code(org),
            get("role"),
            primary,
            roles.file,
            n,
            roles.column("role"),
            roles.column("orgSourcedId"),
            org,
        )
        _add(merged, extra, m, opts)
    guardians = _guardian_ids(pkg, opts.roles)
    for uid in people:
        if uid not in with_role:
            opts.counts[GUARDIANS if uid in skipped or uid in guardians else NO_ROLE] += 1
    _emit(users, people, [*merged.values(), *extra], opts)


def _emit(
    users: Table, people: dict[str, tuple[int, Get]], memberships: list[_Membership], opts: _Options
) -> None:
    emails: dict[str, tuple[str, str, str]] = {}  # per person, so each is counted once
    for m in sorted(memberships, key=lambda m: (m.file, m.row)):
        person = people.get(m.user)
        school = m.school or m.org
        school_hint = "" if not school or opts.codes.get(school) else _HINT_SCHOOL.format(org=school)
        if person is None:
            values = {
                "email": "",
                "given_name": "",
                "family_name": "",
                "role": m.role_word,
                "school": school,
                "unknown_user": m.user,
            }
            columns = {"unknown_user": "userSourcedId", "school": m.school_column, "role": m.role_column}
            opts.out.rows.append(RawRow(m.file, None, m.row, values, columns))
            continue
        un, uget = person
        if m.user not in emails:
            emails[m.user] = _email(uget, users, opts)
        email, email_col, hint = emails[m.user]
        values = {
            "email": email,
            "given_name": uget("givenName"),
            "family_name": uget("familyName"),
            "role": m.role_word,
            "school": school,
            "primary": "TRUE" if m.primary else "FALSE",
        }
        if hint:
            values["email_hint"] = hint
        if school_hint:
            values["school_hint"] = school_hint
        columns = {
            "email": email_col,
            "given_name": users.column("givenName"),
            "family_name": users.column("familyName"),
            "role": m.role_column,
            "school": m.school_column,
            "primary": m.school_column,
        }
        origin = {}
        if m.file != users.file:
            origin = {f: (users.file, un) for f in ("email", "given_name", "family_name")}
        opts.out.rows.append(RawRow(m.file, None, m.row, values, columns, origin))
