"""Apply through Zoom's bad days: 429 storms, 5xx, lost answers, an expiring token, a network cut,
the daily create cap. Each run (or its rerun) ends in the desired state, every action audited once."""

from __future__ import annotations

from typing import Any

import pytest

from provision.core.policy import Policy
from provision.run.apply import ApplyIncomplete, apply_plan
from provision.run.apply_session import apply_session
from provision.run.observe import sync
from provision.store import journal
from tests.provision.apply_kit import (
    assert_audited_once,
    assert_no_seat_refusal,
    database,
    fresh_plan,
    licensed_emails,
    open_client,
    operations,
    plan_now,
    seed,
)
from zoom_client import AsyncZoomClient

POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})


def _school(engine: Any, sandbox: Any, *, existing: int, new: int) -> set[str]:
    emails = [f"t{i}@school.example" for i in range(existing + new)]
    seed(engine, {"0901": 500}, [(e, "0901", "teacher") for e in emails])
    for email in emails[:existing]:
        sandbox.add_user(email=email, type=1)
    return set(emails)


async def _run(engine: Any, client: AsyncZoomClient, policy: Policy = POLICY, **kw: Any) -> Any:
    await sync(engine, client)
    plan = plan_now(engine, policy)
    return plan, await apply_plan(engine, client, plan, actor="test", **kw)


async def _finish(engine: Any, client: AsyncZoomClient) -> Any:
    """What `provision apply` without a plan file does after an interruption: resume that plan."""
    left = journal.unfinished(engine)
    assert len(left) == 1
    with apply_session(engine, actor="test", policy=POLICY) as session:
        chosen = session.choose()
        assert chosen.plan.fingerprint == left[0].fingerprint
        return await session.run(client, chosen)


async def test_a_storm_of_429s_slows_apply_down_but_it_finishes(database_url: str) -> None:
    from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig

    engine = database(database_url)
    sandbox = Sandbox(
        SandboxConfig(
            managed_domains=["school.example"], seats=50, rate_limits=True, faults=FaultConfig(storm_429=0.3)
        )
    )
    wanted = _school(engine, sandbox, existing=35, new=6)
    # Waits shortened: the client's pacing is beaten too, so the sandbox's real limits answer 429 as well.
    async with open_client(sandbox) as client:
        _, result = await _run(engine, client)
    assert result.complete
    assert any(r.status == 429 for r in sandbox.request_log)
    assert licensed_emails(sandbox) == wanted
    assert_audited_once(engine)
    assert_no_seat_refusal(sandbox)


async def test_5xx_and_answers_lost_after_the_write_end_in_the_same_state(database_url: str) -> None:
    from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig

    engine = database(database_url)
    faults = FaultConfig(error_rate=0.15, drop_after_write_rate=0.15)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=80, seed=7))
    wanted = _school(engine, sandbox, existing=45, new=15)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        sandbox.faults = faults
        try:
            await apply_plan(engine, client, plan, actor="test")
        except ApplyIncomplete:
            await _finish_or_retry(engine, client, plan)
        sandbox.faults = type(faults)()
    assert licensed_emails(sandbox) == wanted
    assert len(sandbox.users()) == len(wanted)  # nobody created twice
    assert any(r.status >= 500 for r in sandbox.request_log)
    assert any(r.fault == "drop_after_write" and r.method != "GET" for r in sandbox.request_log)
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []
    assert_audited_once(engine)
    assert_no_seat_refusal(sandbox)


async def _finish_or_retry(engine: Any, client: AsyncZoomClient, plan: Any) -> None:
    # Rerunning the same plan retries its failed operations and re-reads the unconfirmed ones.
    await apply_plan(engine, client, plan, actor="test")


async def test_token_expiring_during_the_run_is_renewed(database_url: str) -> None:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    engine = database(database_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=50, token_ttl=3600))
    wanted = _school(engine, sandbox, existing=10, new=10)
    advanced = False

    def expire(kind: str, done: int, total: int) -> None:
        nonlocal advanced
        if not advanced:
            advanced = True
            sandbox.clock.advance(3700)  # the token the client holds is now expired

    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        result = await apply_plan(engine, client, plan, actor="test", progress=expire, concurrency=2)
    assert result.complete
    assert advanced
    assert any(r.status == 401 for r in sandbox.request_log)
    assert licensed_emails(sandbox) == wanted
    assert_audited_once(engine)


async def test_daily_create_cap_stops_cleanly_and_the_next_day_finishes(database_url: str) -> None:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    engine = database(database_url)
    policy = Policy(create_action="create", grace_days=0, use_groups=False, addons={})
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=50, daily_create_cap=4))
    wanted = _school(engine, sandbox, existing=0, new=7)
    async with open_client(sandbox) as client:
        with pytest.raises(ApplyIncomplete) as caught:
            await _run(engine, client, policy, concurrency=2)
        assert "daily limit" in str(caught.value)
        ops = operations(engine)
        assert sum(op.state == "succeeded" for op in ops) == 4
        assert sum(op.state == "pending" for op in ops) == 3
        assert not any(op.state == "failed" for op in ops)
        sandbox.clock.advance(86_400)
        result = await _finish(engine, client)
    assert result.complete
    assert {u["email"] for u in sandbox.users()} == wanted
    creates = [r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users")]
    assert sum(1 for r in creates if r.status == 201) == 7  # each created exactly once
    assert_audited_once(engine)


async def test_network_cut_mid_run_leaves_unconfirmed_work_that_the_rerun_reads_back(
    database_url: str,
) -> None:
    from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig

    engine = database(database_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=80))
    wanted = _school(engine, sandbox, existing=40, new=12)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        sandbox.faults = FaultConfig(die_after_writes=6)
        with pytest.raises(ApplyIncomplete) as caught:
            await apply_plan(engine, client, plan, actor="test", concurrency=4)
        assert "connection" in str(caught.value)
        sandbox.faults = FaultConfig()
        sandbox.revive()
        result = await _finish(engine, client)
    assert result.complete
    assert licensed_emails(sandbox) == wanted
    assert len(sandbox.users()) == len(wanted)
    assert_audited_once(engine)
