"""ZoomClient: the blocking face runs the same loop (same shapes, retries, errors, token)."""

from __future__ import annotations

import httpx
import pytest
import respx

from zoom_client import NotFoundError, Paginator, User, ZoomClient, ZoomConnectionError

from .conftest import API, TOKEN, FakeClock


def test_sync_list_walks_pages(sync_client: ZoomClient, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/users").mock(
        side_effect=[
            httpx.Response(
                200, json={"users": [{"id": "1", "email": "a@x", "type": 2}], "next_page_token": "p2"}
            ),
            httpx.Response(
                200, json={"users": [{"id": "2", "email": "b@x", "type": 1}], "next_page_token": "p3"}
            ),
            httpx.Response(200, json={"users": [{"email": "c@x", "type": 1}], "next_page_token": ""}),
        ]
    )
    paginator = sync_client.users.list(status="pending")
    assert isinstance(paginator, Paginator)
    assert [u.email for u in paginator] == ["a@x", "b@x", "c@x"]
    assert [c.request.url.params["status"] for c in route.calls] == ["pending"] * 3
    assert [c.request.url.params.get("next_page_token") for c in route.calls] == [None, "p2", "p3"]


def test_sync_pages_and_calls(sync_client: ZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/groups").respond(200, json={"groups": [{"id": "g1", "name": "0421"}]})
    router.get(f"{API}/users/u1").respond(200, json={"id": "u1", "email": "a@x", "type": 2})
    patch = router.patch(f"{API}/accounts/sa1/users/u1").respond(204)
    assert [len(p.items) for p in sync_client.groups.list().iter_pages()] == [1]
    assert sync_client.users.get("u1") == User(id="u1", email="a@x", type=2)
    sub = sync_client.sub_account("sa1")
    sub.users.set_type("u1", 1)
    assert patch.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert sync_client.token_fetches == 1
    assert sync_client.limiter.counts["Light"] == 1  # get user; the sub-account paces its own
    assert sub.limiter.counts["Light"] == 1


def test_sync_errors_and_backoff_are_the_async_ones(
    sync_client: ZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{API}/users/u1").respond(404, json={"code": 1001, "message": "User does not exist: u1"})
    with pytest.raises(NotFoundError) as info:
        sync_client.users.get("u1")
    assert info.value.is_user_missing()
    router.get(f"{API}/users/summary").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(ZoomConnectionError):
        sync_client.users.summary()
    assert len(clock.sleeps) == 3  # recorded through the sync sleep, never slept


def test_sync_delete_guard(sync_client: ZoomClient) -> None:
    with pytest.raises(ValueError, match="permanently"):
        sync_client.users.delete("u1")


async def test_sync_client_works_inside_a_running_event_loop(
    settings: object, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users/summary").respond(200, json={"total_users_count": 4})
    with ZoomClient(settings, transport=httpx.MockTransport(router.handler)) as zoom:  # type: ignore[arg-type]
        assert zoom.users.summary().total_users_count == 4


def test_close_is_idempotent(settings: object, router: respx.MockRouter) -> None:
    zoom = ZoomClient(settings, transport=httpx.MockTransport(router.handler))  # type: ignore[arg-type]
    zoom.close()
    zoom.close()
