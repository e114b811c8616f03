"""Whole flows: rosters -> sync -> plan -> apply against the in-process sandbox, on SQLite and PostgreSQL.

Each flow ends with Zoom in the desired state (a fresh sync + plan finds nothing to do), the
seats never exceeded (Zoom refused no write for lack of seats) and every action audited once.
"""

from __future__ import annotations

import pytest

from provision.core.policy import Policy
from provision.run.apply import ApplyIncomplete
from tests.provision.apply_kit import (
    assert_audited_once,
    assert_no_seat_refusal,
    converge,
    database,
    fresh_plan,
    licensed_emails,
    operations,
    roster_change,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})


def people(code: str, teachers: int, students: int = 0, staff: int = 0) -> list[tuple[str, str, str]]:
    rows = [(f"t{i}.{code}@school.example", code, "teacher") for i in range(teachers)]
    rows += [(f"s{i}.{code}@school.example", code, "student") for i in range(students)]
    rows += [(f"f{i}.{code}@school.example", code, "staff") for i in range(staff)]
    return rows


async def test_first_rollout_licenses_every_entitled_person_of_several_schools(database_url: str) -> None:
    engine = database(database_url)
    roster = people("0101", 4, students=3) + people("0102", 3, staff=2) + people("0103", 2)
    seed(engine, {"0101": 10, "0102": 10, "0103": 10}, roster)
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=50))
    # Two teachers are already on Zoom as Basic users: adopted and licensed, not created again.
    sandbox.add_user(email="t0.0101@school.example", type=1)
    sandbox.add_user(email="t1.0102@school.example", type=1)

    plan, result = await converge(engine, sandbox, POLICY)

    assert result.complete
    entitled = {email for email, _, role in roster if role != "student"}
    assert licensed_emails(sandbox) == entitled
    assert {u["email"] for u in sandbox.users()} == entitled  # students get no account
    counts = plan.counts()
    assert counts["create"] == len(entitled) - 2
    assert counts["license"] == 2
    assert counts["adopt"] == 2
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []
    assert_audited_once(engine)
    assert_no_seat_refusal(sandbox)


async def test_second_roster_unlicenses_leavers_and_licenses_newcomers(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0201": 10, "0202": 10}, people("0201", 4) + people("0202", 3))
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=8))
    await converge(engine, sandbox, POLICY)
    assert len(licensed_emails(sandbox)) == 7

    roster_change(
        engine,
        leave=["t0.0201@school.example", "t1.0202@school.example"],
        join=[("new1.0201@school.example", "0201", "teacher"), ("new2.0202@school.example", "0202", "staff")],
    )
    plan, result = await converge(engine, sandbox, POLICY)

    assert result.complete
    assert plan.counts()["unlicense"] == 2
    assert plan.counts()["create"] == 2
    # Leavers are downgraded to Basic, never deleted.
    assert sandbox.find_user("t0.0201@school.example")["type"] == 1
    assert sandbox.find_user("t1.0202@school.example")["type"] == 1
    assert {"new1.0201@school.example", "new2.0202@school.example"} <= licensed_emails(sandbox)
    assert sandbox.licensed_count() == 7 <= 8
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []
    assert_audited_once(engine)
    assert_no_seat_refusal(sandbox)


async def test_seats_running_out_between_plan_and_apply_are_never_exceeded(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0301": 20}, people("0301", 6))
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=5))
    for i in range(6):
        sandbox.add_user(email=f"t{i}.0301@school.example", type=1)

    from provision.run.apply import apply_plan
    from provision.run.observe import sync
    from tests.provision.apply_kit import open_client, plan_now

    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        assert plan.counts()["license"] == 5
        assert len(plan.waiting) == 1
        # Someone licenses an outsider by hand after the plan was made: one seat fewer than planned.
        sandbox.add_user(email="outsider@school.example", type=2)
        with pytest.raises(ApplyIncomplete) as caught:
            await apply_plan(engine, client, plan, actor="test")

    # No seat is left for the rest of this plan: blocked, and a rerun is not what is advised.
    assert "1 changes blocked" in str(caught.value)
    assert "free or buy seats" in str(caught.value)
    assert "run `provision apply` again" not in str(caught.value)
    assert caught.value.result.finished
    assert sandbox.licensed_count() == 5  # 4 of ours + the outsider: never beyond the seats
    blocked = [op for op in operations(engine) if op.state == "blocked"]
    assert len(blocked) == 1
    # Our own cap refused it before Zoom had to ("Not enough seats" would name Zoom).
    assert blocked[0].error == "waiting: account seats: no free licensed seat left"
    # Blocked is settled: the plan is not left unfinished, so a new plan can run.
    from provision.store import journal

    assert journal.unfinished(engine) == []
    assert_no_seat_refusal(sandbox)
    assert_audited_once(engine)


async def test_school_quota_and_role_priority_decide_who_waits(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0401": 3}, [*people("0401", 3, staff=2), ("boss.0401@school.example", "0401", "admin")])
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=50))
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete
    licensed = licensed_emails(sandbox)
    assert len(licensed) == 3
    assert "boss.0401@school.example" in licensed
    assert len(plan.waiting) == 3
    assert all("quota" in w.reason for w in plan.waiting)
    assert_audited_once(engine)


async def test_admins_get_the_large_meeting_add_on_within_the_pool(database_url: str) -> None:
    engine = database(database_url)
    policy = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={"admin": 500})
    seed(
        engine, {"0501": 10}, [("a1@school.example", "0501", "admin"), ("a2@school.example", "0501", "admin")]
    )
    sandbox = Sandbox(
        SandboxConfig(managed_domains=["school.example"], seats=10, large_meeting_seats={500: 1, 1000: 0})
    )
    for email in ("a1@school.example", "a2@school.example"):
        sandbox.add_user(email=email, type=2)
    try:
        await converge(engine, sandbox, policy)
    except ApplyIncomplete:
        pass  # the second admin may wait for a pool seat
    holders = [
        u for u in sandbox.users() if u.get("large_meeting") or u.get("feature", {}).get("large_meeting")
    ]
    assert len(holders) == 1
    assert_no_seat_refusal(sandbox)
    assert_audited_once(engine)


async def test_protected_users_are_never_touched(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0601": 10}, people("0601", 3))
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=10))
    await converge(engine, sandbox, POLICY)
    protected = Policy(
        create_action="autoCreate",
        grace_days=0,
        use_groups=False,
        addons={},
        protected_emails=["t0.0601@school.example"],
    )
    roster_change(engine, leave=["t0.0601@school.example", "t1.0601@school.example"])
    plan, result = await converge(engine, sandbox, protected)
    assert result.complete
    assert "t0.0601@school.example" in plan.protected
    assert sandbox.find_user("t0.0601@school.example")["type"] == 2
    assert sandbox.find_user("t1.0601@school.example")["type"] == 1
    assert_audited_once(engine)
