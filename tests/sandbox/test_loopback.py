"""The same sandbox served by uvicorn on a real loopback port, and saved/loaded as JSON."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from zoom_client import AsyncZoomClient, ZoomClient
from zoom_client.errors import BadRequestError, ZoomConnectionError, ZoomTimeoutError
from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig
from zoom_client.sandbox.serve import LoopbackServer

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


@pytest.fixture
def served() -> Iterator[LoopbackServer]:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seats=3, large_meeting_seats={500: 1}))
    with sb.serve() as server:
        yield server


async def test_every_resource_over_a_real_port(served: LoopbackServer) -> None:
    sb = served.sandbox
    async with AsyncZoomClient(served.settings()) as zoom:
        group = await zoom.groups.create("School A")
        users = [await zoom.users.create(email=f"l{i}@s.org", type=1, action="autoCreate") for i in range(4)]
        await zoom.groups.add_members(group.id, user_ids=[u.id for u in users])
        for user in users[:3]:
            await zoom.users.set_type(user.id, 2)
        with pytest.raises(BadRequestError) as err:
            await zoom.users.set_type(users[3].id, 2)
        assert err.value.code == 2034
        await zoom.users.update_features(users[0].id, large_meeting=True, large_meeting_capacity=500)
        assert (await zoom.users.get_settings(users[0].id)).feature.large_meeting
        bulk = await zoom.users.bulk_features(
            feature_type="user_type", feature_value=1, user_ids=[users[1].id]
        )
        assert bulk.success_user_ids == [users[1].id]
        await zoom.users.deactivate(users[2].id)
        await zoom.users.disassociate(users[3].id)
        assert [m.email async for m in zoom.groups.list_members(group.id)] == [
            "l0@s.org",
            "l1@s.org",
            "l2@s.org",
        ]
        usage = await zoom.accounts.plan_usage()
        assert (usage.plan_base.usage, usage.large_meeting_pool(500).usage) == (1, 1)
        assert (await zoom.users.summary()).total_users_count == 3
        sb.clock.advance(sb.config.token_ttl + 5)
        assert (await zoom.users.get("l0@s.org")).type == 2  # new token fetched after a 401
        assert zoom.token_fetches == 2


async def test_concurrent_clients_are_served_consistently(served: LoopbackServer) -> None:
    sb = served.sandbox
    sb.config.seats = 40
    sb.account.seats = 40
    for i in range(60):
        sb.add_user(email=f"c{i}@s.org")
    async with AsyncZoomClient(served.settings()) as zoom:
        ids = [u.id async for u in zoom.users.list(page_size=50)]

        async def license(uid: str) -> bool:
            try:
                await zoom.users.set_type(uid, 2)
            except BadRequestError:
                return False
            return True

        results = await asyncio.gather(*(license(uid) for uid in ids))
    assert results.count(True) == 40  # never a seat more than purchased, under 60 concurrent PATCHes
    assert sb.licensed_count() == 40


def test_dropped_connection_over_the_wire_after_the_write(served: LoopbackServer) -> None:
    sb = served.sandbox
    user = sb.add_user(email="w@s.org")
    sleeps: list[float] = []
    with ZoomClient(served.settings(max_retries=1), sleep=sleeps.append) as zoom:
        zoom.users.summary()
        sb.faults = FaultConfig(drop_after_write_rate=1.0)
        with pytest.raises(ZoomConnectionError):
            zoom.users.set_type(user["id"], 2)
    assert sb.licensed_count() == 1


def test_a_dead_server_refuses_then_revives(served: LoopbackServer) -> None:
    sb = served.sandbox
    sb.faults = FaultConfig(die_after_writes=1)
    with ZoomClient(served.settings(max_retries=0), sleep=lambda s: None, rng=random.Random(1)) as zoom:
        zoom.users.create(email="one@s.org", type=1, action="autoCreate")
        with pytest.raises(ZoomConnectionError):
            zoom.users.create(email="two@s.org", type=1, action="autoCreate")
        sb.revive()
        zoom.users.create(email="three@s.org", type=1, action="autoCreate")
    assert sorted(u["email"] for u in sb.users()) == ["one@s.org", "three@s.org"]


async def test_state_survives_save_and_load(tmp_path: Path) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seats=3, sub_accounts={"sub-1": 2}, seed=9))
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport()) as zoom:
        group = await zoom.groups.create("Saved school")
        user = await zoom.users.create(email="s@s.org", type=2, action="autoCreate")
        await zoom.users.create(email="p@s.org", type=2, action="create")
        await zoom.groups.add_members(group.id, user_ids=[user.id])
        await zoom.users.update_features(user.id, large_meeting=True, large_meeting_capacity=500)
        await zoom.sub_account("sub-1").users.create(email="sub@s.org", type=2, action="autoCreate")
    sb.clock.advance(100)
    path = tmp_path / "sandbox.json"
    sb.save(path)
    again = Sandbox.load(path)
    assert again.plan_usage() == sb.plan_usage()
    assert again.users() == sb.users()
    assert again.licensed_count(account_id="sub-1") == 1
    assert again.clock.offset >= 100
    async with AsyncZoomClient(again.settings(), transport=again.async_transport()) as zoom:
        assert [g.name async for g in zoom.groups.list()] == ["Saved school"]
        assert [u.email async for u in zoom.users.list(status="pending")] == ["p@s.org"]
        more = await zoom.users.create(email="more@s.org", type=2, action="autoCreate")
        assert more.id != user.id
        with pytest.raises(BadRequestError):
            await zoom.users.create(email="full@s.org", type=2, action="autoCreate")


def test_a_timeout_over_the_wire_happens_after_the_write(served: LoopbackServer) -> None:
    sb = served.sandbox
    user = sb.add_user(email="slow@s.org")
    with ZoomClient(served.settings(max_retries=0, timeout=0.3), sleep=lambda s: None) as zoom:
        zoom.users.summary()
        sb.faults = FaultConfig(timeout_rate=1.0, timeout_seconds=0.6)
        with pytest.raises(ZoomTimeoutError):
            zoom.users.set_type(user["id"], 2)
    assert sb.licensed_count() == 1


def test_saved_state_keeps_the_faults_in_force(tmp_path: Path) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seed=4))
    sb.faults = FaultConfig(error_rate=0.25, die_after_writes=7)
    sb.save(tmp_path / "s.json")
    again = Sandbox.load(tmp_path / "s.json")
    assert (again.faults.error_rate, again.faults.die_after_writes) == (0.25, 7)
