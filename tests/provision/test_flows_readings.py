"""Seats counted from the users listed, under both readings of plan usage's `usage` (issue 12, ask 2).

Zoom does not document whether a pool's `usage` already counts the pending invitations it also
reports as `pending`. The sandbox plays both; counted as usage + pending, the second reading left
seats unused for ever ("690 of 350 in use"). Every test here runs under both readings, through
sandbox -> sync -> plan -> apply.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from models import AccountSnapshot
from provision.core.policy import Policy
from tests.provision.apply_kit import converge, database, fresh_plan, roster_change, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

DOMAIN = "school.example"
READINGS = [pytest.param(False, id="pending-apart"), pytest.param(True, id="pending-in-usage")]
POLICY = Policy(create_action="create", grace_days=0, use_groups=False, addons={})


def _people(n: int) -> list[tuple[str, str, str]]:
    return [(f"t{i:02d}@{DOMAIN}", "0801", "teacher") for i in range(n)]


def _recorded_reading(engine: object) -> str | None:
    with Session(engine) as session:  # type: ignore[arg-type]
        last = session.exec(
            select(AccountSnapshot).order_by(AccountSnapshot.id.desc())  # type: ignore[union-attr]
        ).first()
        return last.pending_reading if last else None


def _seats_taken(sandbox: Sandbox) -> int:
    return sum(1 for u in sandbox.users() if u["type"] == 2 and u["status"] in ("active", "pending"))


@pytest.mark.parametrize("pending_in_usage", READINGS)
async def test_invitations_hold_one_seat_each_and_every_seat_is_used(
    pending_in_usage: bool, database_url: str
) -> None:
    sandbox = Sandbox(SandboxConfig(seats=10, pending_in_usage=pending_in_usage))
    engine = database(database_url)
    people = _people(12)
    seed(engine, {"0801": 100}, people)
    for email, _, _ in people[:4]:
        sandbox.add_user(email=email, type=2)  # already licensed
    for email, _, _ in people[10:]:
        sandbox.add_user(email=email, type=1)  # on Zoom as Basic: waiting for a seat

    # 6 free seats: six invitations go out licensed (pending until accepted).
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete
    assert plan.summary.totals.seats_free_before == 6
    assert _seats_taken(sandbox) == 10

    # Now the pool is full, with 6 invitations pending: Zoom's usage reads 4 or 10 by the reading.
    plan = await fresh_plan(engine, sandbox, POLICY)
    expected = "pending_in_usage" if pending_in_usage else "pending_apart"
    assert _recorded_reading(engine) == expected
    totals = plan.summary.totals
    assert (totals.seats_used, totals.seats_pending, totals.seats_free_before) == (4, 6, 0)
    assert totals.pending_reading == expected
    assert [w.email for w in plan.waiting] == [people[10][0], people[11][0]]

    # Two licensed people leave: exactly two seats free up and both waiting people get them
    # (counting the invitations twice gave nobody a seat under the second reading).
    roster_change(engine, leave=[people[0][0], people[1][0]])
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete, result.failures
    licensed = {u["email"] for u in sandbox.users() if u["type"] == 2}
    assert {people[10][0], people[11][0]} <= licensed
    assert _seats_taken(sandbox) == 10
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []
