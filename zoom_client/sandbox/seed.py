"""Users to start a sandbox with, from JSON, CSV or a roster-like xlsx sheet.

JSON: a list of objects (or ``{"users": [...]}``) with ``email`` and optional ``type`` (1/2 or
"basic"/"licensed"), ``status``, ``first_name``, ``last_name``. CSV/xlsx: a header row with an
email column (``email``, ``e-mail``, ``mail``, ``email address``, or ``username`` holding
addresses) and optional name, type/license and status columns. Bad input raises SeedFileError
naming the file, sheet, row and column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

_EMAIL = ("email", "e-mail", "mail", "email address", "emailaddress", "username", "user name")
_FIRST = ("first_name", "first name", "firstname", "given name", "givenname", "given_name")
_LAST = ("last_name", "last name", "lastname", "family name", "familyname", "family_name", "surname")
_TYPE = ("type", "license", "licence", "user type", "user_type", "zoom license")
_STATUS = ("status", "zoom status")
_TYPES = {"1": 1, "basic": 1, "2": 2, "licensed": 2, "pro": 2, "4": 4, "unassigned": 4, "99": 99, "none": 99}
_STATUSES = ("active", "inactive", "pending")


class SeedFileError(ValueError):
    """The seed file cannot be read; the message names file, sheet, row and column."""


def load_seed_users(path: str | Path) -> list[dict[str, Any]]:
    """The users of a seed file, each ``{email, type, status, first_name, last_name}``."""
    path = Path(path)
    if not path.is_file():
        raise SeedFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _from_json(path)
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _from_rows(path, None, list(csv.reader(handle)))
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise SeedFileError(f"{path}: not a readable xlsx workbook ({type(exc).__name__})") from None
        try:
            sheet = book.worksheets[0]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            return _from_rows(path, sheet.title, rows)
        finally:
            book.close()
    raise SeedFileError(f"{path}: seed users must be .json, .csv or .xlsx")


def _from_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SeedFileError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("users")
    if not isinstance(data, list):
        raise SeedFileError(f'{path}: expected a list of users or {{"users": [...]}}')
    users = []
    for index, item in enumerate(data):
        where = f"{path}: users[{index}]"
        if not isinstance(item, dict):
            raise SeedFileError(f"{where}: expected an object")
        users.append(
            _user(
                where,
                item.get("email"),
                item.get("type"),
                item.get("status"),
                item.get("first_name"),
                item.get("last_name"),
            )
        )
    return _unique(path, users)


def _from_rows(path: Path, sheet: str | None, rows: list[list[Any]]) -> list[dict[str, Any]]:
    place = f"{path}" + (f", sheet {sheet!r}" if sheet else "")
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        raise SeedFileError(f"{place}: empty, expected a header row with an email column")
    header = [str(c or "").strip().lower() for c in rows[0]]

    def column(names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    email_col = column(_EMAIL)
    if email_col is None:
        raise SeedFileError(f"{place}, row 1: no email column (found: {', '.join(h for h in header if h)})")
    cols = [column(_TYPE), column(_STATUS), column(_FIRST), column(_LAST)]
    users = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [row[i] if i is not None and i < len(row) else None for i in [email_col, *cols]]
        where = f"{place}, row {number}"
        users.append(
            _user(
                where,
                *cells,
                column_names=[header[email_col]] + [header[i] if i is not None else "" for i in cols],
            )
        )
    return _unique(path, users)


def _user(
    where: str,
    email: Any,
    utype: Any,
    status: Any,
    first: Any,
    last: Any,
    *,
    column_names: list[str] | None = None,
) -> dict[str, Any]:
    names = column_names or ["email", "type", "status", "first_name", "last_name"]
    text = str(email or "").strip()
    if "@" not in text or text.startswith("@") or text.endswith("@"):
        raise SeedFileError(f"{where}, column {names[0]!r}: not an email address: {text!r}")
    kind = 1
    if utype not in (None, ""):
        key = str(utype).strip().lower().removesuffix(".0")
        if key not in _TYPES:
            raise SeedFileError(
                f"{where}, column {names[1]!r}: unknown user type {utype!r} (basic/licensed/1/2)"
            )
        kind = _TYPES[key]
    state = str(status or "active").strip().lower()
    if state not in _STATUSES:
        raise SeedFileError(
            f"{where}, column {names[2]!r}: unknown status {status!r} (active/inactive/pending)"
        )
    return {
        "email": text,
        "type": kind,
        "status": state,
        "first_name": str(first).strip() if first not in (None, "") else None,
        "last_name": str(last).strip() if last not in (None, "") else None,
    }


def _unique(path: Path, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for user in users:
        key = user["email"].lower()
        if key in seen:
            raise SeedFileError(f"{path}: email {user['email']!r} appears twice")
        seen.add(key)
    return users
