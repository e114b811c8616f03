"""Which OAuth scopes each Zoom call needs (the 2025 Users spec's ``x-granular-scopes`` and
``x-macro-scopes``; plan usage from the 2021 spec and secondary sources, ZOOM_API.md §3.3, §11).

A Server-to-Server app made today gets granular scopes only; older apps hold the classic
("macro") ones. A call is allowed when the token holds ANY scope of its operation. Zoom answers a
call outside them with HTTP 400, code 4711, "Invalid access token, does not contain
scopes:[…]" naming the granular scopes (``ZoomAPIError.missing_scopes``).

    op = operation_for("PATCH", "/users/abc")
    op.granular            # ("user:update:user:admin",)
    op.allowed({"user:write:admin"})   # True: the classic scope covers it
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_USER_READ_MACRO = ("user:read:admin", "user:write:admin", "user:read", "user:write")
_USER_WRITE_MACRO = ("user:write:admin", "user:write")
_GROUP_READ_MACRO = ("group:read:admin", "group:write:admin")
_GROUP_WRITE_MACRO = ("group:write:admin",)


@dataclass(frozen=True)
class Operation:
    """One API operation and the scopes that open it."""

    method: str
    template: str  # path relative to /v2, {params} in braces
    granular: tuple[str, ...]  # what Zoom names in a 4711 answer
    macro: tuple[str, ...] = ()

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(self.granular) | frozenset(self.macro)

    def allowed(self, scopes: Iterable[str]) -> bool:
        return not self.accepted.isdisjoint(scopes)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/users", ("user:read:list_users:admin",), _USER_READ_MACRO),
    Operation("POST", "/users", ("user:write:user:admin",), _USER_WRITE_MACRO),
    Operation("GET", "/users/summary", ("user:read:summary:admin",), _USER_READ_MACRO),
    Operation("GET", "/users/email", ("user:read:email:admin",), _USER_READ_MACRO),
    Operation("POST", "/users/features", ("user:write:feature:admin",), _USER_WRITE_MACRO),
    Operation("GET", "/users/{userId}", ("user:read:user:admin",), _USER_READ_MACRO),
    Operation("PATCH", "/users/{userId}", ("user:update:user:admin",), _USER_WRITE_MACRO),
    Operation("DELETE", "/users/{userId}", ("user:delete:user:admin",), _USER_WRITE_MACRO),
    Operation("PUT", "/users/{userId}/status", ("user:update:status:admin",), _USER_WRITE_MACRO),
    Operation("GET", "/users/{userId}/settings", ("user:read:settings:admin",), _USER_READ_MACRO),
    Operation("PATCH", "/users/{userId}/settings", ("user:update:settings:admin",), _USER_WRITE_MACRO),
    Operation("GET", "/groups", ("group:read:list_groups:admin",), _GROUP_READ_MACRO),
    Operation("POST", "/groups", ("group:write:group:admin",), _GROUP_WRITE_MACRO),
    Operation("GET", "/groups/{groupId}", ("group:read:group:admin",), _GROUP_READ_MACRO),
    Operation("PATCH", "/groups/{groupId}", ("group:update:group:admin",), _GROUP_WRITE_MACRO),
    Operation("DELETE", "/groups/{groupId}", ("group:delete:group:admin",), _GROUP_WRITE_MACRO),
    Operation("GET", "/groups/{groupId}/members", ("group:read:list_members:admin",), _GROUP_READ_MACRO),
    Operation("POST", "/groups/{groupId}/members", ("group:write:member:admin",), _GROUP_WRITE_MACRO),
    Operation(
        "DELETE", "/groups/{groupId}/members/{memberId}", ("group:delete:member:admin",), _GROUP_WRITE_MACRO
    ),
    Operation(
        "PATCH", "/groups/{groupId}/members/{memberId}", ("group:update:member:admin",), _GROUP_WRITE_MACRO
    ),
    # Plan usage: classic account:read:admin (billing:master for a master's sub-accounts); the
    # granular name is from secondary sources only (unverified, ZOOM_API.md §10).
    Operation(
        "GET",
        "/accounts/{accountId}/plans/usage",
        ("billing:read:plan_usage:admin",),
        ("account:read:admin", "billing:master"),
    ),
    Operation("GET", "/accounts", ("account:read:list_sub_accounts:master",), ("account:read:admin",)),
    # Switch a user's account (2021 spec: classic user:master); the granular name is a guess.
    Operation("PUT", "/users/{userId}/account", ("user:update:user_account:master",), ("user:master",)),
    # Classic scope from the 2021 spec; the granular name is a guess (unverified).
    Operation(
        "GET",
        "/accounts/{accountId}/managed_domains",
        ("account:read:managed_domain:admin",),
        ("account:read:admin",),
    ),
)

_PATTERNS = [(op, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", op.template) + "$")) for op in OPERATIONS]
_SUB = re.compile(r"^/accounts/[^/]+(?=/(users|groups)(/|$))")


def operation_for(method: str, path: str) -> Operation | None:
    """The operation of a call (``path`` relative to /v2; sub-account prefixes are stripped).
    Fixed segments beat parameters: ``/users/summary`` is not ``/users/{userId}``."""
    path = _SUB.sub("", path.split("?", 1)[0].rstrip("/") or "/")
    method = method.upper()
    found = [op for op, rx in _PATTERNS if op.method == method and rx.match(path)]
    if not found:
        return None
    return min(found, key=lambda op: op.template.count("{"))


#: What each command of the tool needs (granular names; the classic ones cover them too).
#: The README's scope table is written from this.
NEEDED: dict[str, tuple[str, ...]] = {
    "sync": (
        "user:read:list_users:admin",
        "user:read:user:admin",
        "user:read:settings:admin",
        "group:read:list_groups:admin",
        "billing:read:plan_usage:admin",
    ),
    "apply": (
        "user:write:user:admin",
        "user:update:user:admin",
        "user:update:status:admin",
        "user:update:settings:admin",
        "user:write:feature:admin",
        "group:write:group:admin",
        "group:write:member:admin",
    ),
}


def needed_scopes() -> tuple[str, ...]:
    """Every scope the tool needs, in a stable order (sync's, then apply's)."""
    seen: dict[str, None] = {}
    for scopes in NEEDED.values():
        seen.update(dict.fromkeys(scopes))
    return tuple(seen)


def operation_needing(scope: str) -> Operation:
    """The first operation a granular scope opens (what the doctor probes to test it)."""
    for op in OPERATIONS:
        if scope in op.granular:
            return op
    raise KeyError(scope)
