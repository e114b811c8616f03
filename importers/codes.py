"""Matching the school codes people type to the institutions we know, and checking the
Zoom accounts they name."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import Institution, OrgUnit


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


def load_codes(session: Session) -> tuple[CodeLookup, dict[str, int]]:
    rows = session.execute(select(Institution.code, Institution.id)).all()  # type: ignore[call-overload]
    ids = {code: id_ for code, id_ in rows}
    return CodeLookup(list(ids)), ids


def load_links(session: Session) -> dict[str, str]:
    """OneRoster/SDS org sourcedId -> institution code: the schools' own ids and their sub-orgs'."""
    links: dict[str, str] = {}
    for code, sid in session.execute(
        select(col(Institution.code), col(Institution.sourced_id)).where(
            col(Institution.sourced_id).is_not(None)
        )
    ):
        if sid is not None:  # the query filters them; the column's type cannot say so
            links[sid] = code
    for sid, code in session.execute(
        select(col(OrgUnit.sourced_id), col(Institution.code)).join(
            Institution, col(Institution.id) == col(OrgUnit.institution_id)
        )
    ):
        links.setdefault(sid, code)
    return links
