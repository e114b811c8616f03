"""The shared table of Zoom exchanges: one request, the answer Zoom gives, and the client call
that makes that request.

Each case is played three ways (tests/agreement/test_agreement.py):

1. respx: the client call runs against a mock serving exactly ``example``; the request the
   client sent must match ``method``/``path``/``query``/``body`` and the client's outcome must
   follow the status (a value, or a ZoomAPIError with ``code``);
2. sandbox, raw: the same request sent to the sandbox must answer ``status``, with ``keys`` in
   the JSON (and ``code`` for errors), the same shape as ``example``;
3. sandbox, client: the client call against the sandbox has the same outcome as under respx.

So the mocks the client is tested with and the sandbox cannot drift apart. Client engineers can
import ``CASES`` to mock one exchange with the table's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from zoom_client import AsyncZoomClient
from zoom_client.sandbox import Sandbox

# Fixed ids, so the respx side and the sandbox side name the same objects.
USER = "uAnaAAAAAAAAAAAAAAAAAA"
BASIC = "uBenBBBBBBBBBBBBBBBBBB"
HOST = "uCyCCCCCCCCCCCCCCCCCCC"
GROUP = "gSchool1"
GROUP2 = "gSchool2"
SUB = "subAcct1"

Call = Callable[[AsyncZoomClient], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # relative to /v2, ids already in
    call: Call  # the client call that sends exactly this request
    status: int
    example: dict[str, Any] | None = None  # the answer respx serves (None: no body)
    keys: frozenset[str] = frozenset()  # keys the answer must carry
    code: int | None = None  # Zoom's error code
    query: dict[str, str] = field(default_factory=dict)  # the query the client must send (subset)
    body: dict[str, Any] | None = None  # the JSON body the client must send
    setup: Callable[[Sandbox], None] | None = None  # extra state the sandbox needs for this case
    bad_token: bool = False  # the sandbox is sent an unknown token


def base_state(sb: Sandbox) -> None:
    """Every case starts from: Ana (Licensed), Ben (Basic), Cy (Licensed, holding the only
    Large 500 seat), two groups (Ana in School 1), a sub-account with one user."""
    sb.add_user(email="ana@school.org", type=2, user_id=USER, first_name="Ana")
    sb.add_user(email="ben@school.org", type=1, user_id=BASIC)
    sb.add_user(email="cy@school.org", type=2, user_id=HOST)
    sb.add_user(email="pending@school.org", type=1, status="pending")
    account = sb.account
    account.update_features(HOST, {"large_meeting": True, "large_meeting_capacity": 500})
    account.create_group("School 1", group_id=GROUP)
    account.create_group("School 2", group_id=GROUP2)
    account.add_members(GROUP, [{"id": USER}])
    sb.add_user(email="sub@sub.org", type=1, account_id=SUB)


def _fill_seats(sb: Sandbox) -> None:
    for i in range(sb.account.free_seats()):
        sb.add_user(email=f"filler{i}@school.org", type=2)


USER_KEYS = frozenset({"id", "email", "type", "status", "first_name", "last_name"})
ERROR_KEYS = frozenset({"code", "message"})


def _error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


CASES: list[Case] = [
    Case(
        "list active users",
        "GET",
        "/users",
        lambda z: z.users.list(page_size=300).to_list(),
        200,
        example={
            "page_count": 1,
            "page_number": 1,
            "page_size": 300,
            "total_records": 1,
            "next_page_token": "",
            "users": [{"id": USER, "email": "ana@school.org", "type": 2, "status": "active"}],
        },
        keys=frozenset({"page_size", "total_records", "next_page_token", "users"}),
        query={"status": "active", "page_size": "300"},
    ),
    Case(
        "list pending users (no id)",
        "GET",
        "/users",
        lambda z: z.users.list(status="pending").to_list(),
        200,
        example={
            "page_size": 300,
            "total_records": 1,
            "next_page_token": "",
            "users": [{"email": "pending@school.org", "type": 1, "status": "pending"}],
        },
        keys=frozenset({"page_size", "total_records", "next_page_token", "users"}),
        query={"status": "pending"},
    ),
    Case(
        "get a user by id",
        "GET",
        f"/users/{USER}",
        lambda z: z.users.get(USER),
        200,
        example={
            "id": USER,
            "email": "ana@school.org",
            "type": 2,
            "status": "active",
            "first_name": "Ana",
            "last_name": "",
            "account_id": "acct",
        },
        keys=USER_KEYS,
    ),
    Case(
        "get an unknown user",
        "GET",
        "/users/nobody@school.org",
        lambda z: z.users.get("nobody@school.org"),
        404,
        example=_error(1001, "User does not exist: nobody@school.org."),
        keys=ERROR_KEYS,
        code=1001,
    ),
    Case(
        "create (invite) a user",
        "POST",
        "/users",
        lambda z: z.users.create(email="new@school.org", type=1),
        201,
        example={"id": "uNew", "email": "new@school.org", "type": 1, "first_name": "", "last_name": ""},
        keys=frozenset({"id", "email", "type"}),
        body={"action": "create", "user_info": {"email": "new@school.org", "type": 1}},
    ),
    Case(
        "create an existing email",
        "POST",
        "/users",
        lambda z: z.users.create(email="ana@school.org", type=1, action="autoCreate"),
        409,
        example=_error(1005, "Email ana@school.org has already been used."),
        keys=ERROR_KEYS,
        code=1005,
        body={"action": "autoCreate", "user_info": {"email": "ana@school.org", "type": 1}},
    ),
    Case(
        "create Licensed beyond the seats",
        "POST",
        "/users",
        lambda z: z.users.create(email="late@school.org", type=2, action="autoCreate"),
        400,
        example=_error(2034, "Your request to add a new Licensed user could not be approved ..."),
        keys=ERROR_KEYS,
        code=2034,
        body={"action": "autoCreate", "user_info": {"email": "late@school.org", "type": 2}},
        setup=_fill_seats,
    ),
    Case(
        "license a user",
        "PATCH",
        f"/users/{BASIC}",
        lambda z: z.users.set_type(BASIC, 2),
        204,
        body={"type": 2},
    ),
    Case(
        "license beyond the seats",
        "PATCH",
        f"/users/{BASIC}",
        lambda z: z.users.set_type(BASIC, 2),
        400,
        example=_error(2034, "Your request to convert the plan type of this user to Licensed ..."),
        keys=ERROR_KEYS,
        code=2034,
        body={"type": 2},
        setup=_fill_seats,
    ),
    Case(
        "downgrade a host still holding an add-on",
        "PATCH",
        f"/users/{HOST}",
        lambda z: z.users.set_type(HOST, 1),
        400,
        example=_error(1108, "Permission requirements to change the user type of this user were not met."),
        keys=ERROR_KEYS,
        code=1108,
        body={"type": 1},
    ),
    Case(
        "deactivate",
        "PUT",
        f"/users/{USER}/status",
        lambda z: z.users.deactivate(USER),
        204,
        body={"action": "deactivate"},
    ),
    Case(
        "disassociate",
        "DELETE",
        f"/users/{BASIC}",
        lambda z: z.users.disassociate(BASIC),
        204,
        query={"action": "disassociate"},
    ),
    Case(
        "read settings",
        "GET",
        f"/users/{HOST}/settings",
        lambda z: z.users.get_settings(HOST),
        200,
        example={"feature": {"large_meeting": True, "large_meeting_capacity": 500, "meeting_capacity": 300}},
        keys=frozenset({"feature"}),
    ),
    Case(
        "large meeting on a Basic user",
        "PATCH",
        f"/users/{BASIC}/settings",
        lambda z: z.users.update_features(BASIC, large_meeting=True, large_meeting_capacity=500),
        400,
        example=_error(1108, "Only Licensed or On-prem users can enable the large meeting feature."),
        keys=ERROR_KEYS,
        code=1108,
        body={"feature": {"large_meeting": True, "large_meeting_capacity": 500}},
    ),
    Case(
        "large meeting pool exhausted",
        "PATCH",
        f"/users/{USER}/settings",
        lambda z: z.users.update_features(USER, large_meeting=True, large_meeting_capacity=500),
        400,
        example=_error(200, "You can add max 1 Large 500 users."),
        keys=ERROR_KEYS,
        code=200,
        body={"feature": {"large_meeting": True, "large_meeting_capacity": 500}},
    ),
    Case(
        "bulk license with too few seats",
        "POST",
        "/users/features",
        lambda z: z.users.bulk_features(feature_type="user_type", feature_value=2, user_ids=[BASIC]),
        201,
        example={
            "success_user_ids": [],
            "fail_details": [{"user_ids": [BASIC], "reason": "Not enough seats"}],
        },
        keys=frozenset({"success_user_ids", "fail_details"}),
        body={"feature_type": "user_type", "feature_value": "2", "users": [{"id": BASIC}]},
        setup=_fill_seats,
    ),
    Case(
        "users summary",
        "GET",
        "/users/summary",
        lambda z: z.users.summary(),
        200,
        example={
            "licensed_users_count": 2,
            "basic_users_count": 1,
            "pending_users_count": 1,
            "total_users_count": 4,
        },
        keys=frozenset(
            {"licensed_users_count", "basic_users_count", "pending_users_count", "total_users_count"}
        ),
    ),
    Case(
        "plan usage",
        "GET",
        "/accounts/me/plans/usage",
        lambda z: z.accounts.plan_usage(),
        200,
        example={
            "plan_base": {"type": "monthly", "hosts": 5, "usage": 2, "pending": 0},
            "plan_large_meeting": [{"type": "large500_monthly", "hosts": 1, "usage": 1}],
        },
        keys=frozenset({"plan_base", "plan_large_meeting"}),
    ),
    Case(
        "list groups",
        "GET",
        "/groups",
        lambda z: z.groups.list().to_list(),
        200,
        example={
            "total_records": 2,
            "next_page_token": "",
            "groups": [{"id": GROUP, "name": "School 1", "total_members": 1}],
        },
        keys=frozenset({"groups", "total_records"}),
    ),
    Case(
        "create a group",
        "POST",
        "/groups",
        lambda z: z.groups.create("School 3"),
        201,
        example={"id": "gNew", "name": "School 3", "total_members": 0},
        keys=frozenset({"id", "name", "total_members"}),
        body={"name": "School 3"},
    ),
    Case(
        "create a group whose name is taken",
        "POST",
        "/groups",
        lambda z: z.groups.create("School 1"),
        409,
        example=_error(4132, "Group name School 1 is already in use."),
        keys=ERROR_KEYS,
        code=4132,
        body={"name": "School 1"},
    ),
    Case(
        "get a missing group",
        "GET",
        "/groups/gNone",
        lambda z: z.groups.get("gNone"),
        404,
        example=_error(4130, "A group with this gNone does not exist."),
        keys=ERROR_KEYS,
        code=4130,
    ),
    Case(
        "list members",
        "GET",
        f"/groups/{GROUP}/members",
        lambda z: z.groups.list_members(GROUP).to_list(),
        200,
        example={
            "total_records": 1,
            "next_page_token": "",
            "members": [
                {"id": USER, "email": "ana@school.org", "first_name": "Ana", "last_name": "", "type": 2}
            ],
        },
        keys=frozenset({"members", "total_records", "next_page_token"}),
    ),
    Case(
        "add members",
        "POST",
        f"/groups/{GROUP}/members",
        lambda z: z.groups.add_members(GROUP, user_ids=[BASIC]),
        201,
        example={"ids": BASIC, "added_at": "2026-01-01T00:00:00Z"},
        keys=frozenset({"ids", "added_at"}),
        body={"members": [{"id": BASIC}]},
    ),
    Case(
        "remove a member",
        "DELETE",
        f"/groups/{GROUP}/members/{USER}",
        lambda z: z.groups.remove_member(GROUP, USER),
        204,
    ),
    Case(
        "move a member",
        "PATCH",
        f"/groups/{GROUP}/members/{USER}",
        lambda z: z.groups.move_member(GROUP, USER, target_group_id=GROUP2),
        204,
        body={"action": "move", "target_group_id": GROUP2},
    ),
    Case(
        "list sub-accounts",
        "GET",
        "/accounts",
        lambda z: z.accounts.list().to_list(),
        200,
        example={
            "total_records": 1,
            "next_page_token": "",
            "accounts": [
                {"id": SUB, "account_name": "Sub", "owner_email": "o@sub.org", "account_type": "Education"}
            ],
        },
        keys=frozenset({"accounts", "total_records"}),
    ),
    Case(
        "a sub-account's users",
        "GET",
        f"/accounts/{SUB}/users",
        lambda z: z.sub_account(SUB).users.list().to_list(),
        200,
        example={
            "total_records": 1,
            "next_page_token": "",
            "page_size": 300,
            "users": [{"id": "uSub", "email": "sub@sub.org", "type": 1}],
        },
        keys=frozenset({"users", "total_records", "next_page_token"}),
    ),
    Case(
        "an unknown or expired token",
        "GET",
        "/users/summary",
        lambda z: z.users.summary(),
        401,
        example=_error(124, "Invalid access token."),
        keys=ERROR_KEYS,
        code=124,
        bad_token=True,
    ),
]
