"""OneRoster 1.1 CSV packages (folder or zip) and the Microsoft SDS v2.1 layout -> raw rows.

OneRoster: users.csv lists each user's orgs (orgSourcedIds, the first is the primary).
SDS 2.1: users.csv holds the people, roles.csv their memberships (with isPrimary).
Org ids are matched to institution codes by sourcedId, then by the org's identifier.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from importers.errors import DataError, FileFormatError, MissingColumnError
from importers.normalize import key
from importers.readers import Sheet, decode_text, read_csv_text
from importers.rows import RawRoster, RawRow
from importers.sniff import check_zip

# People a license is never for (OneRoster roles): their rows are left out, not rejected.
NOT_LICENSED_ROLES = {"guardian", "parent", "relative"}


class _Table:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        head = sheet.rows[0] if sheet.rows else []
        self.header: list[str] = [h.strip().lstrip("\ufeff") for h in head]
        self.index = {key(h): i for i, h in enumerate(self.header)}

    def has(self, name: str) -> bool:
        return key(name) in self.index

    def column(self, name: str) -> str:
        return self.header[self.index[key(name)]]

    def records(self) -> list[tuple[int, Callable[[str], str]]]:
        out: list[tuple[int, Callable[[str], str]]] = []
        for n, cells in enumerate(self.sheet.rows[1:], start=2):
            if not any(c.strip() for c in cells):
                continue

            def get(name: str, cells: list[str] = cells) -> str:
                i = self.index.get(key(name))
                return cells[i].strip() if i is not None and i < len(cells) else ""

            out.append((n, get))
        return out


def _loader(path: Path, display: str) -> Callable[[str], _Table | None]:
    if path.is_dir():
        files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}

        def load(name: str) -> _Table | None:
            p = files.get(name.lower())
            if p is None:
                return None
            return _Table(read_csv_text(decode_text(p.read_bytes(), p.name), p.name))

        return load
    zf = check_zip(path, display)
    members = {n.rsplit("/", 1)[-1].lower(): n for n in zf.namelist() if not n.endswith("/")}

    def load_zip(name: str) -> _Table | None:
        member = members.get(name.lower())
        if member is None:
            return None
        label = f"{display}/{member}"
        try:
            data = zf.read(member)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise FileFormatError(display, f"the archive member {member} is truncated or damaged") from None
        return _Table(read_csv_text(decode_text(data, label), label))

    return load_zip


def _need(table: _Table | None, file: str, columns: list[str]) -> _Table:
    if table is None:
        raise FileFormatError(file, "missing from the OneRoster/SDS package")
    missing = [c for c in columns if not table.has(c)]
    if missing:
        raise MissingColumnError(table.sheet.file, None, table.header, missing)
    return table


def _org_codes(orgs: _Table | None, is_code: dict[str, str]) -> dict[str, str]:
    """org sourcedId -> the institution code it stands for (or the sourcedId itself)."""
    out: dict[str, str] = {}
    if orgs is None:
        return out
    for _, get in orgs.records():
        sid = get("sourcedId")
        ident = get("identifier")
        if sid in is_code or ident not in is_code:
            out[sid] = sid
        else:
            out[sid] = ident
    return out


def _email_of(get: Callable[[str], str], table: _Table) -> tuple[str, str]:
    email = get("email")
    if email or not table.has("username") or "@" not in get("username"):
        return email, table.column("email") if table.has("email") else "email"
    return get("username"), table.column("username")


def package_rows(path: Path, display: str, *, is_code: dict[str, str]) -> RawRoster:
    """Raw roster rows of a OneRoster 1.1 or SDS 2.1 package (folder or zip)."""
    load = _loader(path, display)
    out = RawRoster()
    manifest = load("manifest.csv")
    if manifest is not None:
        props = {get("propertyName"): get("value").lower() for _, get in manifest.records()}
        mode = props.get("file.users", "bulk")
        if mode == "absent":
            raise DataError(f"{display}: the manifest says users are absent (no change): nothing to import")
        out.delta = mode == "delta"
        if out.delta:
            out.notes.append("OneRoster delta file: nobody is marked as left")
    orgs = load("orgs.csv")
    org_code = _org_codes(orgs, is_code)
    roles = load("roles.csv")
    if roles is not None:
        _sds(load, roles, org_code, out)
    else:
        _oneroster(load, org_code, out)
    return out


def _oneroster(load: Callable[[str], _Table | None], org_code: dict[str, str], out: RawRoster) -> None:
    users = _need(
        load("users.csv"), "users.csv", ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName"]
    )
    file = users.sheet.file
    skipped = 0
    for n, get in users.records():
        if get("status").lower() == "tobedeleted":
            continue
        if get("role").lower() in NOT_LICENSED_ROLES:
            skipped += 1
            continue
        email, email_col = _email_of(get, users)
        orgs = [o.strip() for o in get("orgSourcedIds").split(",") if o.strip()] or [""]
        for i, org in enumerate(orgs):
            values = {
                "email": email,
                "given_name": get("givenName"),
                "family_name": get("familyName"),
                "role": get("role"),
                "school": org_code.get(org, org),
                "primary": "TRUE" if i == 0 else "FALSE",
            }
            columns = {
                "email": email_col,
                "given_name": users.column("givenName"),
                "family_name": users.column("familyName"),
                "role": users.column("role"),
                "school": users.column("orgSourcedIds"),
                "primary": users.column("orgSourcedIds"),
            }
            out.rows.append(RawRow(file, None, n, values, columns))
    if skipped:
        out.notes.append(f"{skipped} guardian/parent/relative rows left out (never licensed)")


def _sds(
    load: Callable[[str], _Table | None], roles: _Table, org_code: dict[str, str], out: RawRoster
) -> None:
    users = _need(load("users.csv"), "users.csv", ["sourcedId", "givenName", "familyName"])
    _need(roles, "roles.csv", ["userSourcedId", "orgSourcedId", "role"])
    people = {get("sourcedId"): (n, get) for n, get in users.records()}
    rfile = roles.sheet.file
    for n, get in roles.records():
        uid = get("userSourcedId")
        if get("role").lower() in NOT_LICENSED_ROLES:
            continue
        person = people.get(uid)
        if person is None:
            values = {
                "email": "",
                "given_name": "",
                "family_name": "",
                "role": get("role"),
                "school": org_code.get(get("orgSourcedId"), get("orgSourcedId")),
                "unknown_user": uid,
            }
            out.rows.append(RawRow(rfile, None, n, values, {"unknown_user": roles.column("userSourcedId")}))
            continue
        un, uget = person
        email, email_col = _email_of(uget, users)
        values = {
            "email": email,
            "given_name": uget("givenName"),
            "family_name": uget("familyName"),
            "role": get("role"),
            "school": org_code.get(get("orgSourcedId"), get("orgSourcedId")),
            "primary": get("isPrimary") if roles.has("isPrimary") else "",
        }
        columns = {
            "email": email_col,
            "given_name": users.column("givenName"),
            "family_name": users.column("familyName"),
            "role": roles.column("role"),
            "school": roles.column("orgSourcedId"),
            "primary": roles.column("isPrimary") if roles.has("isPrimary") else "isPrimary",
        }
        origin = {f: (users.sheet.file, un) for f in ("email", "given_name", "family_name")}
        out.rows.append(RawRow(rfile, None, n, values, columns, origin))
