"""Tokens: fetched once and shared, refreshed before expiry and once on 401/124; JWT legacy."""

from __future__ import annotations

import asyncio
import logging

import httpx
import jwt
import pytest
import respx

from zoom_client import AsyncZoomClient, AuthenticationError, ZoomAuthError, ZoomSettings

from .conftest import API, OAUTH, SECRET, TOKEN, TOKEN2, FakeClock


def token_sequence(router: respx.MockRouter, *tokens: str, expires_in: int = 3600) -> respx.Route:
    return router.routes["token"].mock(
        side_effect=[httpx.Response(200, json={"access_token": t, "expires_in": expires_in}) for t in tokens]
    )


async def test_one_token_for_fifty_concurrent_requests(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # the fetch is in flight while the other 49 tasks arrive
        return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 3600})

    router.routes["token"].mock(side_effect=slow_token)
    route = router.get(url__regex=rf"^{API}/users/u\d+$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={"id": r.url.path.rsplit("/", 1)[1], "email": "e@x", "type": 1}
        )
    )
    users = await asyncio.gather(*(client.users.get(f"u{i}") for i in range(50)))
    assert [u.id for u in users] == [f"u{i}" for i in range(50)]
    assert router.routes["token"].call_count == 1
    assert route.call_count == 50
    assert {c.request.headers["authorization"] for c in route.calls} == {f"Bearer {TOKEN}"}


async def test_token_refreshed_five_minutes_before_expiry(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    token_sequence(router, TOKEN, TOKEN2)
    route = router.get(f"{API}/users/summary").respond(200, json={})
    await client.users.summary()
    clock.now += 3600 - 301  # still more than five minutes left: reuse
    await client.users.summary()
    clock.now += 2  # now inside the last five minutes: refresh before Zoom refuses it
    await client.users.summary()
    assert [c.request.headers["authorization"] for c in route.calls] == [
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN2}",
    ]
    assert router.routes["token"].call_count == 2


@pytest.mark.parametrize("code", [124, None])
async def test_401_refreshes_once_and_repeats(
    client: AsyncZoomClient, router: respx.MockRouter, code: int | None
) -> None:
    token_sequence(router, TOKEN, TOKEN2)
    refusal = {"code": code, "message": "Invalid access token."} if code else {}
    route = router.patch(f"{API}/users/u1").mock(
        side_effect=[httpx.Response(401, json=refusal), httpx.Response(204)]
    )
    await client.users.set_type("u1", 2)
    assert [c.request.headers["authorization"] for c in route.calls] == [
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN2}",
    ]
    assert client.token_fetches == 2


async def test_second_401_is_raised_not_looped(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    token_sequence(router, TOKEN, TOKEN2, "t3")
    route = router.get(f"{API}/users/summary").respond(
        401, json={"code": 124, "message": "Invalid access token."}
    )
    with pytest.raises(AuthenticationError) as info:
        await client.users.summary()
    assert info.value.code == 124
    assert route.call_count == 2
    assert router.routes["token"].call_count == 2


async def test_concurrent_401s_refresh_only_once(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    token_sequence(router, TOKEN, TOKEN2, "t3")
    router.get(f"{API}/users/me").respond(200, json={"id": "me", "email": "a@x", "type": 2})
    await client.users.get("me")  # TOKEN is now cached

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.005)  # all ten are in flight together
        # Zoom revoked TOKEN meanwhile: every task gets a 401 with it, all at once.
        if request.headers["authorization"] == f"Bearer {TOKEN}":
            return httpx.Response(401, json={"code": 124, "message": "Access token is expired."})
        return httpx.Response(200, json={})

    route = router.get(f"{API}/users/summary").mock(side_effect=handler)
    await asyncio.gather(*(client.users.summary() for _ in range(10)))
    assert client.token_fetches == 2
    assert route.call_count == 20


@pytest.mark.parametrize(
    ("status", "payload", "hint"),
    [
        (
            400,
            {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
            "ZOOM_CLIENT_SECRET",
        ),
        (401, {"code": 4717, "message": "App has been disabled"}, "disabled"),
        (400, {"reason": "Bad Request", "error": "invalid_request"}, "ZOOM_ACCOUNT_ID"),
    ],
)
async def test_token_refusal_is_auth_error_without_secret(
    client: AsyncZoomClient,
    router: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    status: int,
    payload: dict[str, object],
    hint: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    router.routes["token"].respond(status, json=payload)
    api = router.get(f"{API}/users/summary").respond(200, json={})
    with pytest.raises(ZoomAuthError) as info:
        await client.users.summary()
    assert hint in str(info.value)
    assert api.call_count == 0
    assert router.routes["token"].call_count == 1  # a refusal is not retried
    for text in (str(info.value), repr(info.value), caplog.text):
        assert SECRET not in text
        assert "Basic " not in text


async def test_token_endpoint_5xx_is_retried(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.routes["token"].mock(
        side_effect=[
            httpx.Response(503, text="<html>busy</html>"),
            httpx.Response(200, json={"access_token": TOKEN, "expires_in": 3600}),
        ]
    )
    router.get(f"{API}/users/summary").respond(200, json={})
    await client.users.summary()
    assert len(clock.sleeps) == 1
    assert 0.375 <= clock.sleeps[0] <= 0.5


async def test_legacy_jwt_signs_locally(router: respx.MockRouter, clock: FakeClock) -> None:
    settings = ZoomSettings(
        auth="jwt",
        jwt_api_key="key-1",
        jwt_api_secret="jwt-secret-value-of-thirty-two-bytes!",
        api_url=API,
        oauth_url=OAUTH,
    )
    route = router.get(f"{API}/users/summary").respond(200, json={})
    async with AsyncZoomClient(
        settings, transport=httpx.MockTransport(router.async_handler), sleep=clock.sleep, clock=clock
    ) as zoom:
        await zoom.users.summary()
        await zoom.users.summary()
    assert router.routes["token"].call_count == 0
    tokens = {c.request.headers["authorization"].removeprefix("Bearer ") for c in route.calls}
    assert len(tokens) == 1
    claims = jwt.decode(tokens.pop(), "jwt-secret-value-of-thirty-two-bytes!", algorithms=["HS256"])
    assert claims["iss"] == "key-1"
    assert "exp" in claims


async def test_missing_scope_401_is_not_refreshed(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/users/summary").respond(
        401,
        json={
            "code": 4700,
            "message": "Invalid access token, does not contain scopes:[user:read:summary:admin]",
        },
    )
    with pytest.raises(AuthenticationError, match="scopes"):
        await client.users.summary()
    assert route.call_count == 1
    assert client.token_fetches == 1
