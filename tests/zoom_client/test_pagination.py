"""Pagination over next_page_token: every page, the same query each time, pages for progress."""

from __future__ import annotations

import httpx
import pytest
import respx

from zoom_client import AsyncZoomClient, Page, User, ZoomResponseError

from .conftest import API


def paged(pages: list[list[str]]) -> respx.MockRouter:
    """A side effect serving ``pages`` of emails, chained by next_page_token t1, t2, …"""

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("next_page_token")
        index = 0 if token is None else int(token[1:])
        nxt = f"t{index + 1}" if index + 1 < len(pages) else ""
        users = [{"id": f"id-{e}", "email": e, "type": 2, "status": "pending"} for e in pages[index]]
        return httpx.Response(
            200,
            json={
                "users": users,
                "next_page_token": nxt,
                "page_size": 2,
                "total_records": sum(map(len, pages)),
            },
        )

    return handler  # type: ignore[return-value]


async def test_walks_every_page_keeping_status_filter(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    pages = [["a@x", "b@x"], ["c@x", "d@x"], ["e@x", "f@x"], ["g@x"]]
    route = router.get(f"{API}/users").mock(side_effect=paged(pages))
    emails = [u.email async for u in client.users.list(status="pending", page_size=2, role_id="r1")]
    assert emails == ["a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x"]
    assert route.call_count == 4
    queries = [dict(call.request.url.params) for call in route.calls]
    for i, query in enumerate(queries):
        assert query.pop("next_page_token", None) == (f"t{i}" if i else None)
        assert query == {"status": "pending", "page_size": "2", "role_id": "r1"}


async def test_iter_pages_yields_pages_with_totals(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users").mock(side_effect=paged([["a@x"], ["b@x"], ["c@x"]]))
    pages = [page async for page in client.users.list().iter_pages()]
    assert len(pages) == 3
    assert all(isinstance(p, Page) and p.total_records == 3 for p in pages)
    assert pages[0].next_page_token == "t1"
    assert pages[-1].next_page_token is None
    assert isinstance(pages[1].items[0], User)


async def test_pending_users_without_id_are_kept(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users").respond(
        200, json={"users": [{"email": "p@x", "type": 1, "status": "pending"}], "next_page_token": ""}
    )
    users = await client.users.list(status="pending").to_list()
    assert users[0].id is None
    assert users[0].email == "p@x"


async def test_repeated_token_stops_with_an_error(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users").respond(200, json={"users": [], "next_page_token": "same"})
    with pytest.raises(ZoomResponseError, match="repeated next_page_token"):
        await client.users.list().to_list()


async def test_item_not_matching_model_is_a_response_error(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users").respond(200, json={"users": [{"id": "u1"}]})  # no email
    with pytest.raises(ZoomResponseError, match="email"):
        await client.users.list().to_list()


def test_page_size_bounds(client: AsyncZoomClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        client.users.list(page_size=0)
    with pytest.raises(ValueError, match="page_size"):
        client.users.list(page_size=2001)
