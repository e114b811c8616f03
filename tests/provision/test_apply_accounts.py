"""One apply works every account of its plan at once, each through its own path, budget and seats."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import pytest

from provision.core.actions import TO_LICENSED
from provision.core.plan import Action, ActionKind, Plan
from provision.run.apply import ApplyIncomplete, apply_plan
from tests.provision.apply_kit import assert_audited_once, database
from zoom_client import AsyncZoomClient
from zoom_client.sandbox import Sandbox, SandboxConfig

EAST, WEST = "subeast001", "subwest001"


def _licensing(sandbox: Sandbox, counts: dict[str, int]) -> Plan:
    actions = []
    for account, n in counts.items():
        for i in range(n):
            user = sandbox.add_user(email=f"p{i}.{account}@s.example", type=1, account_id=account)
            actions.append(
                Action(
                    ActionKind.LICENSE,
                    user["email"],
                    "0801",
                    "test",
                    zoom_id=user["id"],
                    payload=TO_LICENSED,
                    before={"type": 1},
                    after={"type": 2},
                    account=account,
                )
            )
    return Plan(actions=actions, fingerprint=f"by-hand-{time.time_ns()}")


def test_each_account_gets_its_own_seats_and_calls(database_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(seats=50, sub_accounts={EAST: 5, WEST: 40}, rate_limits=True))
    engine = database(database_url)
    plan = _licensing(sandbox, {EAST: 8, WEST: 35})

    async def run() -> ApplyIncomplete:
        async with AsyncZoomClient(sandbox.settings(), transport=sandbox.async_transport()) as zoom:
            try:
                await apply_plan(engine, zoom, plan, actor="test")
            except ApplyIncomplete as exc:
                assert zoom.sub_account(EAST).limiter is not zoom.sub_account(WEST).limiter
                return exc
        raise AssertionError("east has 5 seats for 8 people: the apply cannot be complete")

    incomplete = asyncio.run(run())
    # East: its 5 seats, the other 3 wait (blocked); west: all 35; the main account untouched.
    assert sandbox.licensed_count(account_id=EAST) == 5
    assert sandbox.licensed_count(account_id=WEST) == 35
    assert sandbox.licensed_count() == 0
    assert incomplete.result.blocked == 3
    assert all("seat" in f["error"] for f in incomplete.result.failures)
    assert {f["email"].split(".")[1].split("@")[0] for f in incomplete.result.failures} == {EAST}
    writes = [r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users/features")]
    assert {r.path for r in writes} == {
        f"/accounts/{EAST}/users/features",
        f"/accounts/{WEST}/users/features",
    }
    assert not [r for r in sandbox.request_log if r.status == 429]
    assert_audited_once(engine)


def test_an_apply_over_thirty_accounts_holds_them_all_at_once(database_url: str) -> None:
    # One account lock (one connection, on PostgreSQL) per account, outside the engine's pool of
    # 15: thirty accounts at once must not starve the journal of connections.
    accounts = {f"sub{i:07d}": 2 for i in range(30)}
    sandbox = Sandbox(SandboxConfig(seats=5, sub_accounts=accounts))
    engine = database(database_url)
    plan = _licensing(sandbox, accounts)

    async def run() -> None:
        async with AsyncZoomClient(sandbox.settings(), transport=sandbox.async_transport()) as zoom:
            result = await asyncio.wait_for(apply_plan(engine, zoom, plan, actor="test"), timeout=60)
            assert result.complete

    asyncio.run(run())
    assert all(sandbox.licensed_count(account_id=account) == 2 for account in accounts)


@pytest.mark.parametrize(
    ("charged_to", "mode", "refusals"),
    [
        ("own", "auto", 0),  # each sub-account at its own ceiling, never refused
        ("master", "auto", None),  # a few refusals, then paced together within the master's budget
        ("master", "master", 0),  # told so: never refused
    ],
)
def test_sub_accounts_keep_within_whichever_budget_zoom_charges(
    sqlite_url: str, charged_to: Literal["own", "master"], mode: str, refusals: int | None
) -> None:
    """Undocumented (ZOOM_API.md §4): a master's call to /accounts/{sub}/… may draw on the
    sub-account's budget or on the master's. The sandbox plays both; the apply finishes under each,
    every change done once, and within the master's budget under the second once it shows."""
    accounts = {EAST: 2400, WEST: 2400}
    config = SandboxConfig(tier="pro", seats=5, sub_accounts=accounts, rate_limits=True)
    config.sub_account_budget = charged_to
    sandbox = Sandbox(config)
    engine = database(sqlite_url)  # the journal is not the point: one database is enough
    plan = _licensing(sandbox, accounts)  # 80 bulk calls each: Pro's Medium budget is 20 a second

    async def run() -> bool:
        settings = sandbox.settings(sub_account_budget=mode)
        async with AsyncZoomClient(settings, transport=sandbox.async_transport()) as zoom:
            result = await asyncio.wait_for(apply_plan(engine, zoom, plan, actor="test"), timeout=60)
            assert result.complete
            return zoom.sub_account(EAST).limiter is zoom.sub_account(WEST).limiter

    shared = asyncio.run(run())
    assert all(sandbox.licensed_count(account_id=a) == n for a, n in accounts.items())
    assert_audited_once(engine)
    refused = [r for r in sandbox.request_log if r.status == 429]
    if refusals is None:
        assert 3 <= len(refused) <= 12, len(refused)  # the evidence, and calls already on their way
    else:
        assert len(refused) == refusals
    assert shared == (charged_to == "master")
