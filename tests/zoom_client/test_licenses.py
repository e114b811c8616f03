"""Licenses as a 2026 account holds them: every plan-usage pool, zoom_one_type (exact above
2**53), type 4, the bulk features endpoint by 30s, and the refusals a rerun cannot fix.

Each test pins the exact HTTP exchange (respx) or the reading of Zoom's exact answer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from zoom_client import AsyncZoomClient, BadRequestError, UserType, ZoomAPIError, ZoomOneType
from zoom_client.models import zoom_one_pool_key

from .conftest import API, TOKEN

SCHOOL_CAMPUS = 18014398509481984  # above 2**53: a float would make it ...984.0 -> wrong digits
STUDENT = 576460752303423488


def body(route: respx.Route, index: int = -1) -> Any:
    request = route.calls[index].request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    return json.loads(request.content)


# ----------------------------------------------------------------------------- plan usage
ZOOM_ONE_ACCOUNT = """{
  "plan_zoom_one_edu_school_campus_plus": [
    {"hosts": 900, "type": "zo_edu_sch_cmp_plus_us_yearly", "usage": 600, "pending": 12}
  ],
  "plan_zoom_one": [
    {"hosts": 50, "type": "zo_edu_sch_cmp_yearly", "usage": 10, "pending": 0},
    {"hosts": 20, "type": "zo_edu_sch_cmp_monthly", "usage": 5, "pending": 1}
  ],
  "plan_zoom_one_edu_student": {"hosts": 5000, "type": "zo_edu_ent_hied_stu_yearly", "usage": 4000,
                                "pending": 3},
  "plan_united": {"hosts": 8, "name": "Zoom Meetings Pro and Zoom Phone Pro Monthly",
                  "type": "pro_zpp_monthly", "usage": 2, "pending": 1},
  "plan_large_meeting": {"hosts": 10, "type": "large500_monthly", "usage": 3},
  "plan_zoom_rooms": {"hosts": 4, "type": "zroom_monthly", "usage": 1},
  "plan_zsched": {"type": "zsched_yearly", "hosts": 88, "usage": 28, "pending": 1},
  "plan_recording": {"free_storage": "2 GB", "plan_storage": "10 GB", "type": "cmr_monthly"}
}"""


async def test_an_account_without_plan_base_reads_every_pool(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/accounts/me/plans/usage").respond(
        200, content=ZOOM_ONE_ACCOUNT, headers={"content-type": "application/json"}
    )
    usage = await client.accounts.plan_usage()
    assert usage.plan_base is None
    assert usage.free_seats == 0
    pools = usage.pools()
    # Known and unknown pools alike; plan_recording has no seats and is not a pool.
    assert sorted(pools) == [
        "plan_large_meeting",
        "plan_united",
        "plan_zoom_one",
        "plan_zoom_one_edu_school_campus_plus",
        "plan_zoom_one_edu_student",
        "plan_zoom_rooms",
        "plan_zsched",
    ]
    assert pools["plan_zsched"][0].hosts == 88
    assert usage.plan_united[0].name == "Zoom Meetings Pro and Zoom Phone Pro Monthly"
    assert sorted(usage.zoom_one_pools()) == [
        "plan_zoom_one",
        "plan_zoom_one_edu_school_campus_plus",
        "plan_zoom_one_edu_student",
    ]
    assert "plan_large_meeting" not in usage.license_pools()
    assert "plan_zsched" in usage.license_pools()  # unknown: shown, never silently dropped
    both = usage.pool("plan_zoom_one")
    assert both is not None
    assert (both.hosts, both.usage, both.pending) == (70, 15, 1)
    plus = usage.pool("plan_zoom_one_edu_school_campus_plus")
    assert plus is not None
    # The two readings of `usage` (ZOOM_API.md §11): pending inside it, or on top of it.
    assert plus.free_seats(pending_in_usage=True) == 300
    assert plus.free_seats(pending_in_usage=False) == 288
    assert usage.pool("plan_webinar") is None


def test_zoom_one_pool_key_names_the_education_pools() -> None:
    assert (
        zoom_one_pool_key(ZoomOneType.EDU_SCHOOL_CAMPUS_PLUS_US_CA) == "plan_zoom_one_edu_school_campus_plus"
    )
    assert zoom_one_pool_key(STUDENT) == "plan_zoom_one_edu_student"
    assert zoom_one_pool_key(SCHOOL_CAMPUS) == "plan_zoom_one"


# ----------------------------------------------------------------------------- users
async def test_get_user_keeps_zoom_one_type_exact_and_role_as_text(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    raw = (
        '{"id": "u1", "email": "a@x.org", "type": 1, "role_id": 0, "role_name": "Owner",'
        f' "zoom_one_type": {STUDENT}, "plan_united_type": "1"}}'
    )
    router.get(f"{API}/users/u1").respond(200, content=raw, headers={"content-type": "application/json"})
    user = await client.users.get("u1")
    assert user.zoom_one_type == STUDENT == ZoomOneType.EDU_ENTERPRISE_STUDENT
    assert user.role_id == "0"
    assert not user.is_member


async def test_unknown_zoom_one_type_is_kept_and_strings_are_read(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users/u1").respond(
        200, json={"id": "u1", "email": "a@x.org", "type": 4, "zoom_one_type": "1152921504606846976"}
    )
    user = await client.users.get("u1")
    assert user.zoom_one_type == 1152921504606846976
    assert user.type is UserType.UNASSIGNED
    assert UserType.UNASSIGNED.label == "Unassigned without Meetings Basic"


async def test_set_zoom_one_type_patches_an_exact_integer(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    route = router.patch(f"{API}/users/u1").respond(204)
    await client.users.set_zoom_one_type("u1", SCHOOL_CAMPUS)
    # The spec types it integer; the raw body must carry every digit.
    assert route.calls.last.request.content == b'{"zoom_one_type":18014398509481984}'
    await client.users.set_zoom_one_type("u1", 0)
    assert body(route) == {"zoom_one_type": 0}


async def test_type_and_zoom_one_type_never_share_a_patch(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    route = router.patch(f"{API}/users/u1").respond(204)
    with pytest.raises(ValueError, match="same PATCH"):
        await client.users.update("u1", type=2, zoom_one_type=SCHOOL_CAMPUS)
    assert route.call_count == 0


async def test_set_type_4_patches_unassigned(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.patch(f"{API}/users/u1").respond(204)
    await client.users.set_type("u1", UserType.UNASSIGNED)
    assert body(route) == {"type": 4}


async def test_create_with_a_zoom_one_license(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/users").respond(
        201, json={"id": "n1", "email": "t@school.ua", "type": 1, "first_name": "T"}
    )
    await client.users.create(email="t@school.ua", type=1, zoom_one_type=SCHOOL_CAMPUS, first_name="T")
    assert body(route) == {
        "action": "create",
        "user_info": {
            "email": "t@school.ua",
            "type": 1,
            "first_name": "T",
            "feature": {"zoom_one_type": SCHOOL_CAMPUS},
        },
    }
    assert b"18014398509481984" in route.calls.last.request.content


# ----------------------------------------------------------------------------- bulk features
async def test_bulk_zoom_one_type_goes_by_30_with_a_string_value(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        users = json.loads(request.content)["users"]
        ids = [u.get("id") or u.get("email") for u in users]
        # The last user of every call has no seat left.
        return httpx.Response(
            201,
            json={
                "success_user_ids": ids[:-1],
                "fail_details": [{"user_ids": ids[-1:], "reason": "Not enough seats"}],
            },
        )

    route = router.post(f"{API}/users/features").mock(side_effect=answer)
    ids = [f"u{i}" for i in range(63)]
    result = await client.users.bulk_zoom_one_type(
        SCHOOL_CAMPUS, user_ids=ids[:-2], emails=["a@x.org", "b@x.org"]
    )
    assert route.call_count == 3
    sizes = [len(body(route, i)["users"]) for i in range(3)]
    assert sizes == [30, 30, 3]
    first = body(route, 0)
    assert first["feature_type"] == "zoom_one_type"
    assert first["feature_value"] == "18014398509481984"  # a string in the spec, every digit kept
    assert body(route, 2)["users"] == [{"id": "u60"}, {"email": "a@x.org"}, {"email": "b@x.org"}]
    assert len(result.success_user_ids) == 60
    assert result.failures() == {
        "u29": "Not enough seats",
        "u59": "Not enough seats",
        "b@x.org": "Not enough seats",
    }


@pytest.mark.parametrize(("capacity", "value"), [(500, "128"), (1000, "256"), (0, "0")])
async def test_bulk_large_meeting_values(
    client: AsyncZoomClient, router: respx.MockRouter, capacity: int, value: str
) -> None:
    route = router.post(f"{API}/users/features").respond(201, json={"success_user_ids": ["u1"]})
    result = await client.users.bulk_large_meeting(capacity, user_ids=["u1"])
    assert body(route) == {"feature_type": "large_meeting", "feature_value": value, "users": [{"id": "u1"}]}
    assert result.failures() == {}


async def test_bulk_refuses_what_zoom_refuses(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/users/features").respond(201, json={})
    with pytest.raises(ValueError, match="capacity"):
        await client.users.bulk_large_meeting(700, user_ids=["u1"])
    with pytest.raises(ValueError, match="set_type for 4"):
        await client.users.bulk_user_type(UserType.UNASSIGNED, user_ids=["u1"])
    with pytest.raises(ValueError, match="non-negative"):
        await client.users.bulk_zoom_one_type(float(SCHOOL_CAMPUS), user_ids=["u1"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        await client.users.bulk_zoom_one_type(SCHOOL_CAMPUS)
    assert route.call_count == 0


async def test_bulk_user_type(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/users/features").respond(201, json={"success_user_ids": ["u1"]})
    await client.users.bulk_user_type(UserType.BASIC, emails=["a@x.org"])
    assert body(route) == {"feature_type": "user_type", "feature_value": "1", "users": [{"email": "a@x.org"}]}


# ----------------------------------------------------------------------------- refusals
BASIC_CAP_TEXT = (
    "Your request to convert the user type of this Licensed user to a basic user was not approved at "
    "this time because your account has reached the permitted maximum number of 9999 basic users. "
    "Please remove existing basic user(s) from your Users list or the Pending Users list before "
    "attempting to convert a paying user to a basic user."
)


async def test_basic_cap_is_permanent_not_a_seat_shortage(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.patch(f"{API}/users/u1").respond(400, json={"code": 3412, "message": BASIC_CAP_TEXT})
    with pytest.raises(BadRequestError) as info:
        await client.users.set_type("u1", UserType.BASIC)
    err = info.value
    assert err.is_basic_cap_reached()
    assert not err.is_seat_exhausted()
    assert err.is_permanent()
    assert err.refusal_reason() == "Basic-user cap reached"


@pytest.mark.parametrize(
    ("code", "message", "basic_cap", "seats"),
    [
        (2033, "You have already reached the maximum basic user limit.", True, False),
        (2039, "Not enough Basic licenses to switch off the Zoom One license.", True, False),
        (
            3412,
            "Your request to convert the user type of this basic user to a Licensed user was not "
            "approved at this time because your account has reached the permitted maximum number "
            "of 10 paying users.",
            False,
            True,
        ),
        (2034, "Your account has reached the maximum number of 10 Licensed users.", False, True),
    ],
)
def test_seat_and_cap_codes(code: int, message: str, basic_cap: bool, seats: bool) -> None:
    err = BadRequestError(message, status=400, code=code, method="PATCH", path="/users/u1")
    assert (err.is_basic_cap_reached(), err.is_seat_exhausted()) == (basic_cap, seats)
    assert err.is_permanent() is basic_cap  # a licensed seat may free up; the Basic cap will not


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (1116, "email domain not in the account's limited domains"),
        (1107, "email domain blocked"),
        (2002, "SSO is not enabled on the account"),
        (2032, "SSO pre-provisioning is not enabled (ssoCreate)"),
        (1009, "the email already holds an active Zoom account elsewhere"),
        (200, "create action not permitted on this account"),
    ],
)
async def test_create_refusals_carry_a_reason(
    client: AsyncZoomClient, router: respx.MockRouter, code: int, reason: str
) -> None:
    route = router.post(f"{API}/users").respond(400, json={"code": code, "message": "refused"})
    with pytest.raises(BadRequestError) as info:
        await client.users.create(email="t@outside.org", action="autoCreate")
    assert route.call_count == 1  # a refusal is not retried
    assert info.value.is_create_refused()
    assert info.value.is_permanent()
    assert info.value.refusal_reason() == reason


def test_code_200_on_plan_usage_is_not_a_create_refusal() -> None:
    err = BadRequestError(
        "Only available for paid account", status=400, code=200, method="GET", path="/accounts/me/plans/usage"
    )
    assert not err.is_create_refused()


async def test_expired_invitation(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users/gone%40x.org").respond(
        400,
        json={
            "code": 1120,
            "message": "A valid invitation to join the Zoom account was not found for this user.",
        },
    )
    with pytest.raises(BadRequestError) as info:
        await client.users.get("gone@x.org")
    assert info.value.is_invitation_expired()
    assert info.value.is_permanent()


async def test_missing_scope_names_the_scopes_and_is_not_a_token_refresh(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users").respond(
        400,
        json={
            "code": 4711,
            "message": "Invalid access token, does not contain scopes:"
            "[user:read:list_users:admin, user:read:admin].",
        },
    )
    with pytest.raises(ZoomAPIError) as info:
        await client.users.list().to_list()
    err = info.value
    assert err.is_missing_scope()
    assert err.missing_scopes == ["user:read:list_users:admin", "user:read:admin"]
    assert err.is_permanent()
    assert not err.is_token_invalid()
    assert router.routes["token"].call_count == 1


def test_missing_scope_under_401_is_read_too() -> None:
    err = ZoomAPIError(
        "Invalid access token, does not contain scopes:[billing:read:plan_usage:admin]",
        status=401,
        code=None,
    )
    assert err.missing_scopes == ["billing:read:plan_usage:admin"]
    assert not err.is_token_invalid()


def test_the_token_answer_lists_the_granted_scopes(sync_client: Any, router: respx.MockRouter) -> None:
    router.routes["token"].mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": TOKEN,
                "expires_in": 3600,
                "scope": "user:read:list_users:admin user:read:admin",
            },
        )
    )
    assert sync_client.granted_scopes is None  # no token yet
    sync_client.fetch_token()
    assert sync_client.granted_scopes == frozenset({"user:read:list_users:admin", "user:read:admin"})
    assert sync_client.token_fetches == 1


async def test_managed_domains(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/accounts/me/managed_domains").respond(
        200,
        json={
            "total_records": 2,
            "domains": [{"domain": "school.ua", "status": "verified"}, {"domain": "x.ua"}],
        },
    )
    domains = await client.accounts.managed_domains()
    assert route.call_count == 1
    assert [(d.domain, d.status) for d in domains] == [("school.ua", "verified"), ("x.ua", None)]
