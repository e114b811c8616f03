"""apply_plan's own rules: bulk licensing, re-reading unconfirmed work, stale and competing plans,
downgrades before upgrades, the lock."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session

from models import Operation
from models.errors import LockedError
from models.locks import operation_lock
from provision.core.policy import Policy
from provision.errors import InputError
from provision.run.apply import apply_plan
from provision.run.apply_session import PlanSource, apply_session
from provision.run.observe import sync
from provision.store import journal
from tests.provision.apply_kit import (
    assert_audited_once,
    assert_no_seat_refusal,
    database,
    licensed_emails,
    open_client,
    operations,
    plan_now,
    roster_change,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})


def _teachers(
    engine: object, sandbox: Sandbox, count: int, *, on_zoom: bool = True, code: str = "1001"
) -> list[str]:
    emails = [f"t{i}.{code}@school.example" for i in range(count)]
    seed(engine, {code: 1000}, [(e, code, "teacher") for e in emails])  # type: ignore[arg-type]
    if on_zoom:
        for email in emails:
            sandbox.add_user(email=email, type=1)
    return emails


async def test_licenses_go_through_the_bulk_endpoint_30_users_a_call(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100))
    emails = _teachers(engine, sandbox, 65)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        result = await apply_plan(engine, client, plan_now(engine, POLICY), actor="test")
    assert result.counts["license"]["succeeded"] == 65
    writes = [r for r in sandbox.request_log if r.method in ("POST", "PATCH") and r.path != "/oauth/token"]
    assert [r.path for r in writes] == ["/users/features"] * 3
    assert licensed_emails(sandbox) == set(emails)
    assert_audited_once(engine)


async def test_unconfirmed_operations_are_read_back_not_resent(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100))
    emails = _teachers(engine, sandbox, 6)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        # A previous run journaled everything, sent three licenses, and died before the answers.
        ops, _ = journal.prepare(engine, plan)
        async with journal.Journal(engine, "test", plan.fingerprint, ops):
            pass
        licensed_before = [op for op in ops if op.action.kind.value == "license"][:3]
        with Session(engine) as session, session.begin():
            session.execute(
                update(Operation)
                .where(Operation.id.in_([op.id for op in licensed_before]))  # type: ignore[union-attr]
                .values(state="sent", attempts=1)
            )
        for op in licensed_before:
            sandbox.set_user_type(op.action.email, 2)  # Zoom did act on them
        sandbox.request_log.clear()
        with apply_session(engine, actor="test", policy=POLICY) as session:
            chosen = session.choose()  # `provision apply` without a plan file: finish that plan
            assert (chosen.source, chosen.plan.fingerprint) == (PlanSource.RESUME, plan.fingerprint)
            result = await session.run(client, chosen)
    assert result.resumed
    assert result.reread == 3
    assert result.complete
    bulk = [r for r in sandbox.request_log if r.path == "/users/features"]
    assert len(bulk) == 1  # only the other three were sent
    assert licensed_emails(sandbox) == set(emails)
    assert_audited_once(engine)
    assert all(op.attempts == 1 for op in operations(engine) if op.kind == "license")


async def test_a_stale_plan_file_is_refused_before_any_write(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100))
    _teachers(engine, sandbox, 3)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        sandbox.add_user(email="someone@school.example", type=1)
        await sync(engine, client)  # the snapshot moved on
        sandbox.request_log.clear()
        with (
            apply_session(engine, actor="test", policy=POLICY) as session,
            pytest.raises(InputError, match="stale"),
        ):
            session.choose(plan)
    assert [r for r in sandbox.request_log if r.method != "GET"] == []
    assert operations(engine) == []


async def test_another_unfinished_plan_must_be_finished_first(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100))
    _teachers(engine, sandbox, 3)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        first = plan_now(engine, POLICY)
        ops, _ = journal.prepare(engine, first)
        async with journal.Journal(engine, "test", first.fingerprint, ops):
            pass
        roster_change(engine, join=[("late.1001@school.example", "1001", "teacher")])
        second = plan_now(engine, POLICY)
        with apply_session(engine, actor="test", policy=POLICY) as session:
            with pytest.raises(InputError, match="without a plan file"):
                session.choose(second)
            with pytest.raises(InputError, match="without a plan file"):
                session.choose(resume=False)  # reconcile --fix: a fresh plan, never over an unfinished one
            assert session.choose().plan.fingerprint == first.fingerprint


async def test_seats_freed_by_downgrades_are_reused_in_the_same_run(database_url: str) -> None:
    engine = database(database_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=3))
    emails = _teachers(engine, sandbox, 3)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        await apply_plan(engine, client, plan_now(engine, POLICY), actor="test")
        assert sandbox.licensed_count() == 3
        roster_change(engine, leave=[emails[0]], join=[("new.1001@school.example", "1001", "teacher")])
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        result = await apply_plan(engine, client, plan, actor="test")
    assert result.complete
    assert licensed_emails(sandbox) == {*emails[1:], "new.1001@school.example"}
    assert_no_seat_refusal(sandbox)


async def test_apply_is_refused_while_another_holds_the_lock(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=10))
    _teachers(engine, sandbox, 2)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        with (
            operation_lock(engine, "apply"),
            pytest.raises(LockedError),
            apply_session(engine, actor="test", policy=POLICY) as session,
        ):
            await session.run(client, session.choose(plan))
    assert licensed_emails(sandbox) == set()


async def test_a_run_killed_while_journaling_is_completed_from_the_full_plan(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100))
    emails = _teachers(engine, sandbox, 8)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        ops, resumed = journal.prepare(engine, plan)
        assert not resumed
        with engine.begin() as conn:  # only the first half reached the journal before the kill
            journal._insert(conn, plan.fingerprint, ops[: len(ops) // 2])
        assert len(operations(engine)) == len(ops) // 2
        with apply_session(engine, actor="test", policy=POLICY) as session:
            result = await session.run(client, session.choose())
    assert result.resumed
    assert result.complete
    assert len(operations(engine)) == len(ops)
    assert licensed_emails(sandbox) == set(emails)
    assert_audited_once(engine)
