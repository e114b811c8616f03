"""Matching the school codes people type to the institutions we know, and checking the
Zoom accounts they name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from models.writer import Writer, as_writer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def account_problem(account: str, check_account: Callable[[str], str | None] | None) -> str | None:
    """Why an `account` cell cannot be used, or None. Without a check every account is refused:
    nobody said which accounts exist (the engine's rule is provision.core.accounts.key_problem)."""
    return check_account(account) if check_account is not None else "no account is configured"


class CodeLookup(dict[str, str]):
    """text as typed -> the institution code: exact, then case/space-insensitive, then the
    number Excel made of a zero-padded code ("421" for "0421") when that is unambiguous."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__()
        self._folded: dict[str, str] = {}
        self._unpadded: dict[str, str | None] = {}
        for code in codes:
            self[code] = code
            self._folded.setdefault(code.strip().upper(), code)
            if code.isdigit():
                bare = code.lstrip("0") or "0"
                self._unpadded[bare] = None if bare in self._unpadded else code

    def get(self, value: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = dict.get(self, value)
        if found is not None:
            return found
        v = value.strip()
        found = self._folded.get(v.upper())
        if found is None and v.isdigit():
            found = self._unpadded.get(v.lstrip("0") or "0")
        return found if found is not None else default

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.get(value) is not None


def load_codes(db: Writer | Session) -> tuple[CodeLookup, dict[str, int]]:
    ids = {code: id_ for code, id_ in as_writer(db).rows("SELECT code, id FROM institution")}
    return CodeLookup(list(ids)), ids


def load_links(db: Writer | Session) -> dict[str, str]:
    """OneRoster/SDS org sourcedId -> institution code: the schools' own ids and their sub-orgs'."""
    w = as_writer(db)
    links: dict[str, str] = {}
    for code, sid in w.rows("SELECT code, sourced_id FROM institution WHERE sourced_id IS NOT NULL"):
        links[sid] = code
    for sid, code in w.rows(
        "SELECT org_unit.sourced_id, institution.code FROM org_unit "
        "JOIN institution ON institution.id = org_unit.institution_id"
    ):
        links.setdefault(sid, code)
    return links
