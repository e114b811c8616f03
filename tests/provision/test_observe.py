"""Observe: the snapshot is replaced whole, and nonsense seat figures stop the run before any write."""

from __future__ import annotations

import pytest
import respx
from sqlalchemy import func, select
from sqlmodel import Session

from models import AccountSnapshot, ZoomUserSnapshot
from provision.errors import InputError, SeatLimitError
from provision.run.observe import sync
from tests.provision.apply_kit import database, open_client
from zoom_client import AsyncZoomClient, ZoomOneType, ZoomSettings

API = "https://api.zoom.test/v2"
OAUTH = "https://zoom.test/oauth/token"


def _rows(engine: object) -> dict[str, ZoomUserSnapshot]:
    with Session(engine) as session:  # type: ignore[arg-type]
        return {r.email: r for r in session.execute(select(ZoomUserSnapshot)).scalars()}


async def test_sync_reads_every_status_and_who_holds_a_large_meeting_add_on(database_url: str) -> None:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    engine = database(database_url)
    sandbox = Sandbox(SandboxConfig(seats=10, large_meeting_seats={500: 3, 1000: 0}))
    sandbox.add_user(email="lic@school.example", type=2)
    sandbox.add_user(email="big@school.example", type=2)
    sandbox.add_user(email="basic@school.example", type=1)
    sandbox.add_user(email="off@school.example", type=1, status="inactive")
    async with open_client(sandbox) as client:
        await client.users.update_features(
            sandbox.find_user("big@school.example")["id"], large_meeting=True, large_meeting_capacity=500
        )
        await client.users.create(email="invited@school.example", type=1, action="create")
        seen: list[str] = []
        result = await sync(engine, client, progress=lambda stage, done, total: seen.append(stage))

    rows = _rows(engine)
    assert set(rows) == {
        "lic@school.example",
        "big@school.example",
        "basic@school.example",
        "off@school.example",
        "invited@school.example",
    }
    assert rows["off@school.example"].status == "inactive"
    assert rows["invited@school.example"].status == "pending"
    assert rows["big@school.example"].large_meeting is True
    assert rows["big@school.example"].large_meeting_capacity == 500
    assert rows["lic@school.example"].large_meeting is False
    assert result.licensed == 2
    assert result.seats_purchased == 10
    assert result.addons["large_meeting_500"] == {"hosts": 3, "usage": 1}
    assert "users" in seen


def _zoom(plan_usage: dict[str, object]) -> respx.MockRouter:
    router = respx.mock(assert_all_called=False)
    router.post(OAUTH).respond(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
    users = [
        {"id": f"u{i}", "email": f"u{i}@school.example", "type": 2, "status": "active"} for i in range(3)
    ]
    router.get(f"{API}/users", params={"status": "active"}).respond(
        200, json={"users": users, "page_size": 300, "total_records": 3, "next_page_token": ""}
    )
    router.get(f"{API}/users").respond(200, json={"users": [], "page_size": 300, "total_records": 0})
    router.get(f"{API}/accounts/me/plans/usage").respond(200, json=plan_usage)
    router.get(f"{API}/groups").respond(200, json={"groups": [], "total_records": 0})
    return router


@pytest.mark.parametrize(
    ("plan_usage", "words"),
    [
        ({"plan_base": {"type": "monthly", "hosts": 0, "usage": 0}}, "0 purchased"),
        ({"plan_base": {"type": "monthly", "hosts": 2, "usage": 5}}, "2 purchased seats but 5 in use"),
        ({"plan_base": {"type": "monthly", "hosts": 2, "usage": 1}}, "3 licensed users"),
    ],
)
async def test_nonsense_plan_usage_stops_sync_before_anything_is_written(
    sqlite_url: str, plan_usage: dict[str, object], words: str
) -> None:
    engine = database(sqlite_url)
    settings = ZoomSettings(account_id="a", client_id="c", client_secret="s", api_url=API, oauth_url=OAUTH)
    with _zoom(plan_usage):
        async with AsyncZoomClient(settings) as client:
            with pytest.raises(SeatLimitError) as caught:
                await sync(engine, client)
    assert words in str(caught.value)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(ZoomUserSnapshot)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(AccountSnapshot)).scalar_one() == 0


@pytest.mark.parametrize(
    ("plan_usage", "product", "words"),
    [
        ({}, None, "no plan_base pool for license \"meetings\"; the account has: none."),
        (
            {"plan_zoom_one_edu_student": {"hosts": 5, "usage": 0}, "plan_whiteboard": {"hosts": 1}},
            None,
            "no plan_base pool for license \"meetings\"; the account has: plan_whiteboard, "
            "plan_zoom_one_edu_student.",
        ),
        (
            {"plan_base": {"hosts": 5, "usage": 3}},
            ZoomOneType.EDU_SCHOOL_CAMPUS,
            f"no plan_zoom_one pool for zoom_one_type {int(ZoomOneType.EDU_SCHOOL_CAMPUS)}; "
            "the account has: plan_base.",
        ),
    ],
)
async def test_a_product_the_account_lacks_is_a_permanent_error_naming_its_pools(
    sqlite_url: str, plan_usage: dict[str, object], product: int | None, words: str
) -> None:
    engine = database(sqlite_url)
    settings = ZoomSettings(account_id="a", client_id="c", client_secret="s", api_url=API, oauth_url=OAUTH)
    with _zoom(plan_usage):
        async with AsyncZoomClient(settings) as client:
            with pytest.raises(InputError) as caught:
                await sync(engine, client, product=product)
    assert words in str(caught.value)
    assert "a rerun of sync will not change this" in str(caught.value)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(AccountSnapshot)).scalar_one() == 0


async def test_progress_counts_user_pages(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    settings = ZoomSettings(account_id="a", client_id="c", client_secret="s", api_url=API, oauth_url=OAUTH)
    events: list[tuple[str, int, int | None]] = []
    with _zoom({"plan_base": {"type": "monthly", "hosts": 10, "usage": 3}}):
        async with AsyncZoomClient(settings) as client:
            result = await sync(engine, client, progress=lambda *e: events.append(e))
    assert ("users", 3, None) in events
    assert result.users == {"active": 3}
    assert result.seats_used == 3
