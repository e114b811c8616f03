"""Helpers for the whole-flow tests of sync -> plan -> apply against the in-process sandbox."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from models import AuditEvent, Institution, Membership, Operation, Person, init_db, make_engine
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.run.apply import ApplyResult, apply_plan
from provision.run.observe import sync
from provision.store.planning import make_plan
from zoom_client import AsyncZoomClient

LICENSED = 2


def fast_sleep(cap: float = 0.02) -> Callable[[float], Awaitable[None]]:
    """Backoff waits shortened (never skipped), so retry paths run without slowing the suite."""

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, cap))

    return sleep


def database(url: str) -> Engine:
    engine = make_engine(url)
    init_db(engine)
    return engine


def seed(engine: Engine, schools: dict[str, int], people: Iterable[tuple[str, str, str]]) -> None:
    """schools: code -> seats; people: (email, school code, role), each primary at that school."""
    with Session(engine) as session:
        ids: dict[str, int] = {}
        for code, seats in schools.items():
            inst = Institution(code=code, name=f"School {code}", seats=seats)
            session.add(inst)
            session.flush()
            assert inst.id is not None
            ids[code] = inst.id
        for email, code, role in people:
            add_person(session, ids[code], email, role)
        session.commit()


def add_person(session: Session, institution_id: int, email: str, role: str) -> None:
    person = Person(email=email, given_name=email.split("@")[0], family_name="Test")
    session.add(person)
    session.flush()
    assert person.id is not None
    session.add(Membership(person_id=person.id, institution_id=institution_id, role=role, is_primary=True))


def roster_change(
    engine: Engine,
    *,
    leave: Iterable[str] = (),
    join: Iterable[tuple[str, str, str]] = (),
    days_ago: int = 60,
) -> None:
    """People leave (left long enough ago to be past the grace period) and new ones join."""
    left_at = datetime.now(UTC) - timedelta(days=days_ago)
    with Session(engine) as session:
        for email in leave:
            person = session.exec(select(Person).where(Person.email == email)).scalar_one()  # type: ignore[call-overload]
            for m in session.exec(select(Membership).where(Membership.person_id == person.id)).scalars():  # type: ignore[call-overload]
                m.active = False
                m.left_at = left_at
        codes = {i.code: i.id for i in session.exec(select(Institution)).scalars()}  # type: ignore[call-overload]
        for email, code, role in join:
            add_person(session, codes[code], email, role)
        session.commit()


def open_client(sandbox: Any, **settings: Any) -> AsyncZoomClient:
    return AsyncZoomClient(
        sandbox.settings(**settings), transport=sandbox.async_transport(), sleep=fast_sleep()
    )


def plan_now(engine: Engine, policy: Policy, *, force: bool = True) -> Plan:
    with Session(engine) as session:
        plan = make_plan(session, policy, force=force, actor="test")
        session.commit()
    return plan


async def sync_and_plan(engine: Engine, client: AsyncZoomClient, policy: Policy) -> Plan:
    await sync(engine, client, product=policy.zoom_one_type)
    return plan_now(engine, policy)


async def converge(
    engine: Engine, sandbox: Any, policy: Policy, *, concurrency: int = 8, **client_settings: Any
) -> tuple[Plan, ApplyResult]:
    """sync, plan, apply: the operator's loop, once."""
    async with open_client(sandbox, **client_settings) as client:
        plan = await sync_and_plan(engine, client, policy)
        result = await apply_plan(engine, client, plan, actor="test", concurrency=concurrency)
    return plan, result


async def fresh_plan(engine: Engine, sandbox: Any, policy: Policy) -> Plan:
    """What a new sync + plan finds to do (empty when Zoom matches the rosters)."""
    async with open_client(sandbox) as client:
        return await sync_and_plan(engine, client, policy)


def operations(engine: Engine) -> list[Operation]:
    with Session(engine) as session:
        return list(session.exec(select(Operation)).scalars())  # type: ignore[call-overload]


def audit_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent)).scalars())  # type: ignore[call-overload]


def assert_audited_once(engine: Engine) -> None:
    """Every finished operation has exactly one audit event with its result; no event without one."""
    ops = {op.id: op for op in operations(engine)}
    events = audit_events(engine)
    succeeded = Counter(e.operation_id for e in events if e.result == "succeeded")
    for op in ops.values():
        if op.state == "succeeded":
            assert succeeded[op.id] == 1, f"{op.kind} {op.email}: {succeeded[op.id]} success events"
        else:
            assert succeeded[op.id] == 0
    for event in events:
        assert event.operation_id in ops
        assert event.actor == "test"


def licensed_emails(sandbox: Any) -> set[str]:
    return {u["email"] for u in sandbox.users() if int(u["type"]) == LICENSED}


def assert_no_seat_refusal(sandbox: Any) -> None:
    """Apply never asked for more seats than were free: Zoom refused no write for it."""
    refused = [r for r in sandbox.request_log if r.status == 400 and r.method != "GET"]
    assert refused == [], refused[:5]
