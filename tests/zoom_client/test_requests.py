"""The exact HTTP shape of every call: method, path, query, JSON body and Authorization."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from zoom_client import (
    AsyncZoomClient,
    CreateAction,
    PlanUsage,
    User,
    UserStatus,
    UserType,
    ZoomError,
    ZoomRequestError,
)

from .conftest import API, OAUTH, SECRET, TOKEN


def sent(route: respx.Route) -> httpx.Request:
    assert route.call_count == 1, f"expected one call, got {route.call_count}"
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    return request


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


async def test_token_request_is_account_credentials_with_basic_auth(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users/summary").respond(200, json={"total_users_count": 3})
    await client.users.summary()
    token_call = router.routes["token"].calls.last.request
    assert token_call.method == "POST"
    assert str(token_call.url).split("?")[0] == OAUTH
    assert dict(token_call.url.params) == {"grant_type": "account_credentials", "account_id": "acct-123"}
    expected = base64.b64encode(f"client-abc:{SECRET}".encode()).decode()
    assert token_call.headers["authorization"] == f"Basic {expected}"


async def test_list_users_first_page_query(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/users").respond(
        200, json={"users": [{"id": "u1", "email": "a@x.org", "type": 2}]}
    )
    users = [u async for u in client.users.list(status=UserStatus.INACTIVE, role_id="2")]
    request = sent(route)
    assert dict(request.url.params) == {"status": "inactive", "page_size": "300", "role_id": "2"}
    assert users == [User(id="u1", email="a@x.org", type=2)]


async def test_get_user_by_email_is_url_encoded(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(url__regex=rf"^{API}/users/[^/?]+$").respond(
        200, json={"id": "u1", "email": "a+b@x.org", "type": 1, "language": "uk-UA", "unknown_new": 1}
    )
    user = await client.users.get("a+b@x.org")
    request = sent(route)
    assert request.url.raw_path == b"/v2/users/a%2Bb@x.org"
    assert user.type is UserType.BASIC
    assert user.language == "uk-UA"


@pytest.mark.parametrize("action", list(CreateAction))
async def test_create_user_body_for_each_action(
    client: AsyncZoomClient, router: respx.MockRouter, action: CreateAction
) -> None:
    route = router.post(f"{API}/users").respond(
        201, json={"id": "new1", "email": "t@school.ua", "first_name": "Olena", "last_name": "K", "type": 2}
    )
    user = await client.users.create(email="t@school.ua", action=action, first_name="Olena", last_name="K")
    request = sent(route)
    assert body(request) == {
        "action": action.value,
        "user_info": {"email": "t@school.ua", "type": 2, "first_name": "Olena", "last_name": "K"},
    }
    assert user.id == "new1"


async def test_update_sends_only_given_fields(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.patch(f"{API}/users/u1").respond(204)
    await client.users.update("u1", first_name="Ana", dept="Math")
    assert body(sent(route)) == {"first_name": "Ana", "dept": "Math"}


async def test_update_without_fields_is_refused(client: AsyncZoomClient) -> None:
    with pytest.raises(ZoomRequestError, match="at least one field"):
        await client.users.update("u1")


async def test_set_type(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.patch(f"{API}/users/u1").respond(204)
    await client.users.set_type("u1", UserType.BASIC)
    assert body(sent(route)) == {"type": 1}


@pytest.mark.parametrize("action", ["activate", "deactivate"])
async def test_status_changes(client: AsyncZoomClient, router: respx.MockRouter, action: str) -> None:
    route = router.put(f"{API}/users/u1/status").respond(204)
    await getattr(client.users, action)("u1")
    assert body(sent(route)) == {"action": action}


async def test_disassociate(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.delete(f"{API}/users/u1").respond(204)
    await client.users.disassociate("u1")
    request = sent(route)
    assert dict(request.url.params) == {"action": "disassociate"}
    assert request.content == b""


async def test_delete_needs_explicit_flag(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.delete(f"{API}/users/u1").respond(204)
    with pytest.raises(ValueError, match="permanently=True"):
        await client.users.delete("u1")
    assert route.call_count == 0
    await client.users.delete("u1", permanently=True)
    assert dict(sent(route).url.params) == {"action": "delete"}


async def test_get_settings_reads_features_keeps_other_sections(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API}/users/u1/settings").respond(
        200,
        json={
            "feature": {"large_meeting": True, "large_meeting_capacity": 500, "meeting_capacity": 300},
            "in_meeting": {"chat": True},
        },
    )
    settings = await client.users.get_settings("u1")
    sent(route)
    assert settings.feature.large_meeting is True
    assert settings.feature.large_meeting_capacity == 500
    assert settings.model_extra == {"in_meeting": {"chat": True}}


async def test_update_features(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.patch(f"{API}/users/u1/settings").respond(204)
    await client.users.update_features("u1", large_meeting=True, large_meeting_capacity=1000)
    assert body(sent(route)) == {"feature": {"large_meeting": True, "large_meeting_capacity": 1000}}


async def test_update_features_rejects_capacity_zoom_does_not_sell(client: AsyncZoomClient) -> None:
    with pytest.raises(ValueError, match="large_meeting_capacity"):
        await client.users.update_features("u1", large_meeting=True, large_meeting_capacity=700)


async def test_bulk_features_returns_per_user_failures(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/users/features").respond(
        201,
        json={
            "success_user_ids": ["u1"],
            "fail_details": [{"user_ids": ["u2"], "reason": "Not enough seats"}],
        },
    )
    result = await client.users.bulk_features(
        feature_type="user_type", feature_value=2, user_ids=["u1", "u2"], emails=["c@x.org"]
    )
    assert body(sent(route)) == {
        "feature_type": "user_type",
        "feature_value": "2",
        "users": [{"id": "u1"}, {"id": "u2"}, {"email": "c@x.org"}],
    }
    assert result.success_user_ids == ["u1"]
    assert result.fail_details[0].user_ids == ["u2"]
    assert result.fail_details[0].reason == "Not enough seats"


async def test_bulk_features_refuses_more_than_30(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/users/features").respond(201, json={})
    with pytest.raises(ValueError, match="at most 30"):
        await client.users.bulk_features(
            feature_type="user_type", feature_value=1, user_ids=[f"u{i}" for i in range(31)]
        )
    assert route.call_count == 0


async def test_summary(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/users/summary").respond(
        200,
        json={
            "licensed_users_count": 5,
            "basic_users_count": 7,
            "pending_users_count": 1,
            "total_users_count": 13,
        },
    )
    summary = await client.users.summary()
    assert sent(route).url.params == httpx.QueryParams()
    assert (summary.licensed_users_count, summary.total_users_count) == (5, 13)


@pytest.mark.parametrize(
    "plan_base",
    [
        {"type": "monthly", "hosts": 100, "usage": 90, "pending": 4},
        [{"type": "monthly", "hosts": 100, "usage": 90, "pending": 4}],
    ],
    ids=["object", "one-element-array"],
)
async def test_plan_usage_accepts_object_or_array(
    client: AsyncZoomClient, router: respx.MockRouter, plan_base: Any
) -> None:
    route = router.get(f"{API}/accounts/me/plans/usage").respond(
        200,
        json={
            "plan_base": plan_base,
            "plan_large_meeting": [
                {"type": "large500_monthly", "hosts": 10, "usage": 3},
                {"type": "large1000_monthly", "hosts": 2, "usage": 2},
            ],
            "plan_recording": {"free_storage": "5 GB"},
        },
    )
    usage = await client.accounts.plan_usage()
    sent(route)
    assert isinstance(usage, PlanUsage)
    assert usage.free_seats == 6
    pool = usage.large_meeting_pool(500)
    assert pool is not None
    assert (pool.hosts, pool.usage) == (10, 3)
    assert usage.large_meeting_pool(1000).free == 0  # type: ignore[union-attr]


async def test_free_seats_never_negative(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/accounts/me/plans/usage").respond(
        200, json={"plan_base": {"hosts": 10, "usage": 10, "pending": 3}}
    )
    assert (await client.accounts.plan_usage()).free_seats == 0


async def test_list_sub_accounts(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/accounts").respond(
        200,
        json={
            "accounts": [
                {
                    "id": "sa1",
                    "account_name": "District 4",
                    "owner_email": "o@x.org",
                    "account_type": "Education",
                }
            ]
        },
    )
    accounts = await client.accounts.list().to_list()
    assert dict(sent(route).url.params) == {"page_size": "300"}
    assert accounts[0].account_name == "District 4"


async def test_groups_calls(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    lst = router.get(f"{API}/groups").respond(
        200, json={"groups": [{"id": "g1", "name": "0421", "total_members": 3}]}
    )
    get = router.get(f"{API}/groups/g1").respond(200, json={"id": "g1", "name": "0421", "total_members": 3})
    create = router.post(f"{API}/groups").respond(201, json={"id": "g2", "name": "0422", "total_members": 0})
    delete = router.delete(f"{API}/groups/g2").respond(204)
    members = router.get(f"{API}/groups/g1/members").respond(
        200, json={"members": [{"id": "u1", "email": "a@x.org", "type": 2}]}
    )
    add = router.post(f"{API}/groups/g1/members").respond(
        201, json={"ids": "u1,u2", "added_at": "2026-01-01T00:00:00Z"}
    )
    remove = router.delete(f"{API}/groups/g1/members/a@x.org").respond(204)
    move = router.patch(f"{API}/groups/g1/members/u1").respond(204)

    assert [g.name for g in await client.groups.list().to_list()] == ["0421"]
    assert dict(sent(lst).url.params) == {"page_size": "300"}
    assert (await client.groups.get("g1")).total_members == 3
    sent(get)
    assert (await client.groups.create("0422")).id == "g2"
    assert body(sent(create)) == {"name": "0422"}
    await client.groups.delete("g2")
    sent(delete)
    assert [m.email for m in await client.groups.list_members("g1").to_list()] == ["a@x.org"]
    assert dict(sent(members).url.params) == {"page_size": "300"}
    assert await client.groups.add_members("g1", user_ids=["u1"], emails=["b@x.org"]) == ["u1", "u2"]
    assert body(sent(add)) == {"members": [{"id": "u1"}, {"email": "b@x.org"}]}
    await client.groups.remove_member("g1", "a@x.org")
    sent(remove)
    await client.groups.move_member("g1", "u1", target_group_id="g9")
    assert body(sent(move)) == {"action": "move", "target_group_id": "g9"}


async def test_sub_account_calls_live_under_accounts_prefix(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    users = router.get(f"{API}/accounts/sa1/users").respond(200, json={"users": []})
    patch = router.patch(f"{API}/accounts/sa1/users/u1").respond(204)
    status = router.put(f"{API}/accounts/sa1/users/u1/status").respond(204)
    groups = router.get(f"{API}/accounts/sa1/groups").respond(200, json={"groups": []})
    add = router.post(f"{API}/accounts/sa1/groups/g1/members").respond(201, json={"ids": "u1"})
    sub = client.sub_account("sa1")
    assert await sub.users.list(status="pending").to_list() == []
    assert dict(sent(users).url.params) == {"status": "pending", "page_size": "300"}
    await sub.users.set_type("u1", 2)
    assert body(sent(patch)) == {"type": 2}
    await sub.users.deactivate("u1")
    sent(status)
    await sub.groups.list().to_list()
    sent(groups)
    await sub.groups.add_members("g1", user_ids=["u1"])
    sent(add)
    # Zoom counts rate limits per account: the sub-account's calls are paced by its own limiter.
    assert sub.limiter.counts["Medium"] == 3  # list users, list groups, add members
    assert client.limiter.counts["Medium"] == 0
    assert client.sub_account("sa1") is sub  # one limiter per account, however often it is asked for


async def test_a_sub_account_reads_its_own_seats_with_the_masters_token(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    usage = router.get(f"{API}/accounts/sa1/plans/usage").respond(
        200, json={"plan_base": {"type": "monthly", "hosts": 7, "usage": 2}}
    )
    own = router.get(f"{API}/accounts/me/plans/usage").respond(
        200, json={"plan_base": {"type": "monthly", "hosts": 50, "usage": 9}}
    )
    assert (await client.sub_account("sa1").accounts.plan_usage()).plan_base.hosts == 7  # type: ignore[union-attr]
    assert (await client.accounts.plan_usage()).plan_base.hosts == 50  # type: ignore[union-attr]
    sent(usage)
    sent(own)
    assert client.token_fetches == 1  # a second token could invalidate the first (ZOOM_API.md §3.1)


@pytest.mark.parametrize("bad", ["", "  "])
async def test_empty_path_parameter_is_refused(client: AsyncZoomClient, bad: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        await client.users.get(bad)


async def test_path_parameter_cannot_escape_its_segment(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    route = router.get(url__regex=rf"^{API}/users/.+$").respond(
        200, json={"id": "x", "email": "e@x", "type": 1}
    )
    await client.users.get("../accounts/me?x=1")
    assert route.calls.last.request.url.raw_path == b"/v2/users/..%2Faccounts%2Fme%3Fx%3D1"


@pytest.mark.parametrize(
    ("call", "field", "limit"),
    [
        (
            lambda c: c.users.create(email="a@x.org", last_name="Шевченко-Квітка-Основ'яненко" * 3),
            "last_name",
            64,
        ),
        (lambda c: c.users.create(email="a@x.org", first_name="Олександра" * 7), "first_name", 64),
        (lambda c: c.users.create(email="a" * 125 + "@x.org"), "email", 128),
        (lambda c: c.users.update("u1", last_name="Х" * 65), "last_name", 64),
    ],
)
async def test_a_body_over_zooms_limits_is_a_permanent_zoom_error_and_nothing_is_sent(
    client: AsyncZoomClient, router: respx.MockRouter, call: Any, field: str, limit: int
) -> None:
    create = router.post(f"{API}/users").respond(201, json={"id": "u1", "email": "a@x.org", "type": 1})
    update = router.patch(f"{API}/users/u1").respond(204)
    with pytest.raises(ZoomError) as caught:  # a ZoomError, never pydantic's ValidationError
        await call(client)
    err = caught.value
    assert isinstance(err, ZoomRequestError)
    assert err.is_permanent() is True
    assert err.field == field
    assert f"at most {limit}" in str(err)
    assert "rerun" in str(err)
    assert "Шевченко" not in str(err)
    assert "Олександра" not in str(err)  # names are personal data: the length, not the value
    assert create.call_count == 0
    assert update.call_count == 0
