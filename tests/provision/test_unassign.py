"""revoke = "unassign": a leaver's license goes to type 4 by PATCH (never the bulk endpoint, which
refuses 4), is audited and snapshotted as such, counts as a revocation, and leaves nothing to do."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditEvent
from provision.core.policy import Policy
from provision.errors import UnsafePlanError
from provision.run.apply_session import apply_session
from provision.run.observe import sync
from tests.provision.apply_kit import (
    assert_audited_once,
    converge,
    database,
    fresh_plan,
    open_client,
    plan_now,
    roster_change,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

UNASSIGN = Policy(revoke="unassign", grace_days=0, use_groups=False, addons={}, create_action="autoCreate")
TEACHERS = [f"t{i}@school.example" for i in range(3)]


def _licensed_then_one_leaves(url: str) -> tuple[Engine, Sandbox]:
    engine = database(url)
    sandbox = Sandbox(SandboxConfig(seats=10))
    seed(engine, {"0901": 10}, [(e, "0901", "teacher") for e in TEACHERS])
    for email in TEACHERS:
        sandbox.add_user(email=email, type=1)
    return engine, sandbox


async def test_a_leaver_is_unassigned_by_patch_and_a_fresh_plan_is_empty(database_url: str) -> None:
    engine, sandbox = _licensed_then_one_leaves(database_url)
    await converge(engine, sandbox, UNASSIGN)
    assert {u["email"] for u in sandbox.users() if u["type"] == 2} == set(TEACHERS)
    roster_change(engine, leave=[TEACHERS[0]])
    sandbox.request_log.clear()

    plan, result = await converge(engine, sandbox, UNASSIGN)

    assert [(a.kind.value, a.email) for a in plan.actions] == [("unassign", TEACHERS[0])]
    assert result.complete
    users = {u["email"]: u for u in sandbox.users()}
    assert {email: u["type"] for email, u in users.items()} == {
        TEACHERS[0]: 4,
        TEACHERS[1]: 2,
        TEACHERS[2]: 2,
    }
    writes = [(r.method, r.path) for r in sandbox.request_log if r.method in ("PATCH", "POST", "PUT")]
    assert [w for w in writes if w[1] != "/oauth/token"] == [("PATCH", f"/users/{users[TEACHERS[0]]['id']}")]
    assert (await fresh_plan(engine, sandbox, UNASSIGN)).actions == []
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "unassign")).one()
    assert (event.person_email, event.result, event.before["type"], event.after["type"]) == (
        TEACHERS[0],
        "succeeded",
        2,
        4,
    )
    assert_audited_once(engine)


async def test_unassigning_counts_against_the_revocation_thresholds(database_url: str) -> None:
    engine, sandbox = _licensed_then_one_leaves(database_url)
    await converge(engine, sandbox, UNASSIGN)
    roster_change(engine, leave=TEACHERS[:2])
    strict = UNASSIGN.model_copy(update={"max_revoke_count": 1})
    async with open_client(sandbox) as client:
        await sync(engine, client)
        with (
            apply_session(engine, actor="test", policy=strict) as session,
            pytest.raises(UnsafePlanError, match="revokes 2 licenses"),
        ):
            session.choose()
    assert {u["email"] for u in sandbox.users() if u["type"] == 2} == set(TEACHERS)
    assert [a.kind.value for a in plan_now(engine, UNASSIGN).actions] == ["unassign", "unassign"]
