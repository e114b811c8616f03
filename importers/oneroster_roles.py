"""OneRoster role words -> our roles (admin, teacher, staff, student), or None: not school staff.

The OneRoster 1.1/1.2 role vocabulary is a data table laid over the roster vocabulary of every
language (`base`); a table of words from the policy (`[roles]`, word -> role) is consulted first
and can override any entry, OneRoster's included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from importers.normalize import ROLES, key
from importers.roles import map_role

# OneRoster 1.1 (administrator, aide, guardian, parent, proctor, relative, student, teacher) and
# 1.2 (adds districtAdministrator, principal, siteAdministrator, systemAdministrator, counselor).
# None: guardians, parents and relatives are not school staff; their rows are left out and
# counted, never rejected.
ONEROSTER_ROLES: dict[str, str | None] = {
    "administrator": "admin",
    "districtAdministrator": "admin",
    "principal": "admin",
    "siteAdministrator": "admin",
    "systemAdministrator": "admin",
    "teacher": "teacher",
    "aide": "staff",
    "proctor": "staff",
    "counselor": "staff",
    "student": "student",
    "guardian": None,
    "parent": None,
    "relative": None,
}
_ONEROSTER_BY_KEY = {key(word): role for word, role in ONEROSTER_ROLES.items()}


class RoleTable:
    """How the role words of one import are read: overrides, then (for OneRoster/SDS packages)
    the OneRoster table, then `base` (the built-in vocabulary of every language)."""

    def __init__(
        self,
        overrides: Mapping[str, str | None] | None = None,
        *,
        oneroster: bool = False,
        base: Callable[[str], str | None] = map_role,
    ) -> None:
        self._overrides = {key(word): role for word, role in (overrides or {}).items()}
        for word, role in (overrides or {}).items():
            if role is not None and role not in ROLES:
                raise ValueError(f"role word {word!r}: {role!r} is not a role ({', '.join(ROLES)})")
        self._oneroster = oneroster
        self._base = base
        self._memo: dict[str, tuple[bool, str | None]] = {}  # a package repeats a dozen words

    def _lookup(self, word: str) -> tuple[bool, str | None]:
        found = self._memo.get(word)
        if found is None:
            found = self._memo[word] = self._find(word)
        return found

    def _find(self, word: str) -> tuple[bool, str | None]:
        k = key(word)
        if k in self._overrides:
            return True, self._overrides[k]
        if self._oneroster and k in _ONEROSTER_BY_KEY:
            return True, _ONEROSTER_BY_KEY[k]
        role = self._base(word)
        return role is not None, role

    def skipped(self, word: str) -> bool:
        """A known word for people who are not school staff (guardian, parent, relative)."""
        known, role = self._lookup(word)
        return known and role is None

    def role(self, word: str) -> str | None:
        """The role of a word; None when the word is unknown (or names no staff)."""
        return self._lookup(word)[1]
