"""A Zoom One for Education account without plan_base, end to end (issue 12, ask 1).

The policy's `license` names the product; its own plan-usage pool gives the seats; the license
is given and taken back through zoom_one_type (POST /users/features, 30 a call); each of our
users' zoom_one_type is read per user by sync. Sandbox -> sync -> plan -> apply -> reconcile
(a license removed by hand) -> reconcile --fix, under both readings of plan usage's `usage`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlmodel import Session, select

from models import AccountSnapshot
from provision.core.kinds import ActionKind, DriftKind
from provision.core.policy import Policy
from provision.run.apply import ApplyIncomplete, apply_plan
from provision.run.observe import sync
from provision.run.reconcile import reconcile
from tests.provision.apply_kit import (
    assert_audited_once,
    assert_no_seat_refusal,
    converge,
    database,
    fresh_plan,
    open_client,
    plan_now,
    roster_change,
    seed,
)
from zoom_client import ZoomOneType
from zoom_client.sandbox import Sandbox, SandboxConfig

DOMAIN = "school.example"
CAMPUS = int(ZoomOneType.EDU_SCHOOL_CAMPUS)
SEATS = 10
READINGS = [pytest.param(False, id="pending-apart"), pytest.param(True, id="pending-in-usage")]
# Unverified (ZOOM_API.md §11): whether the list shows a Zoom One holder as type 2 or as before.
LISTINGS = [pytest.param(True, id="holders-list-licensed"), pytest.param(False, id="holders-list-basic")]
POLICY = Policy(license="school_campus", create_action="create", grace_days=0, use_groups=False, addons={})


def _account(pending_in_usage: bool, listed_licensed: bool = True) -> Sandbox:
    return Sandbox(
        SandboxConfig(
            plan_base=False,
            zoom_one_seats={CAMPUS: SEATS},
            pending_in_usage=pending_in_usage,
            zoom_one_reports_licensed=listed_licensed,
        )
    )


def _holders(sandbox: Sandbox) -> dict[str, str]:
    """email -> status of everyone holding the School & Campus license on Zoom."""
    return {u["email"]: u["status"] for u in sandbox.users() if int(u.get("zoom_one_type") or 0) == CAMPUS}


def _kinds(actions: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.kind.value] = counts.get(action.kind.value, 0) + 1
    return counts


@pytest.mark.parametrize("listed_licensed", LISTINGS)
@pytest.mark.parametrize("pending_in_usage", READINGS)
async def test_zoom_one_account_without_plan_base_sync_plan_apply_reconcile(
    pending_in_usage: bool, listed_licensed: bool, database_url: str
) -> None:
    sandbox = _account(pending_in_usage, listed_licensed)
    assert "plan_base" not in sandbox.plan_usage()
    engine = database(database_url)
    people = [(f"t{i:02d}@{DOMAIN}", "0801", "teacher") for i in range(14)]
    seed(engine, {"0801": 100}, people)
    for email, _, _ in people[:2]:
        sandbox.add_user(email=email, zoom_one_type=CAMPUS)  # already hold the product
    for email, _, _ in people[2:5]:
        sandbox.add_user(email=email, type=1)  # on Zoom as Basic
    sandbox.add_user(email="outsider@elsewhere.example", zoom_one_type=CAMPUS)  # not ours: one seat

    # 10 seats, 3 held: 7 go out, 3 Basic users get the license in one bulk call, 4 are invited
    # holding it; 5 people wait. No write asks for a seat that is not free.
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete, result.failures
    assert plan.summary.totals.seats_purchased == SEATS
    assert plan.summary.totals.seats_free_before == SEATS - 3
    assert _kinds(plan.actions) == {"adopt": 5, "zoom_one_on": 3, "create": 4}
    assert len(plan.waiting) == 5
    assert_no_seat_refusal(sandbox)
    assert len(_holders(sandbox)) == SEATS
    bulk = [r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users/features")]
    assert len(bulk) == 1  # the three licenses in one call, not three PATCHes
    # The seats recorded after the run: the one plan-usage read carried forward by what the run
    # did to the Zoom One pool (3 licensed, 4 invited), not plan_base's figures.
    with Session(engine) as session:
        last = session.exec(select(AccountSnapshot).order_by(AccountSnapshot.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None
    assert (last.seat_pool, last.seats_used, last.seats_pending) == ("plan_zoom_one", 6, 4)

    # sync read zoom_one_type only for our licensed users, and says so; the pool is the product's.
    async with open_client(sandbox) as client:
        synced = await sync(engine, client, product=POLICY.zoom_one_type)
    data = synced.to_data()
    assert data["seats"]["pool"] == "plan_zoom_one"
    # 2 + 3 + 4 of ours; the outsider too only where holders do not list as Licensed.
    assert data["per_user_reads"] == {"zoom_one_type": 9 if listed_licensed else 10}
    assert data["zoom_one_holders"] == (9 if listed_licensed else 10)
    assert "plan_base" not in data["pools"]
    expected_reading = "pending_in_usage" if pending_in_usage else "pending_apart"
    assert data["seats"]["pending_reading"] == expected_reading
    assert (data["seats"]["licensed_active"], data["seats"]["licensed_pending"]) == (6, 4)
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []

    # Two holders leave: their licenses come back (they stay, as Basic) and two waiting get one.
    sandbox.accept_invitations()
    leavers = [people[0][0], people[5][0]]
    roster_change(engine, leave=leavers)
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete, result.failures
    assert _kinds(plan.actions).get("zoom_one_off") == 2
    holders = _holders(sandbox)
    assert len(holders) == SEATS
    assert not set(leavers) & set(holders)
    left = {u["email"]: u["type"] for u in sandbox.users() if u["email"] in leavers}
    assert left == dict.fromkeys(leavers, 1)
    assert_no_seat_refusal(sandbox)

    # Someone takes a license away by hand: reconcile reports it (exit 3), --fix gives it back.
    sandbox.accept_invitations()
    victim = people[3][0]
    sandbox.set_zoom_one_type(victim, 0)
    async with open_client(sandbox) as client:
        found = await reconcile(engine, client, POLICY, actor="test")
    assert found.exit_code == 3
    flagged = {item["email"] for item in found.drift.kinds.get(DriftKind.ENTITLED_NOT_LICENSED, [])}
    assert victim in flagged
    async with open_client(sandbox) as client:
        fixed = await reconcile(engine, client, POLICY, actor="test", fix=True)
    assert fixed.plan is not None
    assert [(a.kind, a.email) for a in fixed.plan.actions] == [(ActionKind.ZOOM_ONE_ON, victim)]
    assert victim in _holders(sandbox)
    assert len(_holders(sandbox)) == SEATS
    assert fixed.drift.kinds.get(DriftKind.ENTITLED_NOT_LICENSED, []) == []
    assert_no_seat_refusal(sandbox)


async def test_licenses_go_back_thirty_a_call_and_a_refused_user_meets_zoom_alone_by_patch(
    sqlite_url: str,
) -> None:
    sandbox = Sandbox(
        SandboxConfig(plan_base=False, zoom_one_seats={CAMPUS: 50}, large_meeting_seats={500: 5})
    )
    engine = database(sqlite_url)
    people = [(f"t{i:02d}@{DOMAIN}", "0801", "teacher") for i in range(36)]
    seed(engine, {"0801": 100}, people)
    for email, _, _ in people:
        sandbox.add_user(email=email, zoom_one_type=CAMPUS)
    _, result = await converge(engine, sandbox, POLICY)  # adopted: ours from now on
    assert result.complete
    stays = people.pop()[0]
    roster_change(engine, leave=[email for email, _, _ in people])
    async with open_client(sandbox) as client:
        await sync(engine, client, product=POLICY.zoom_one_type)
        plan = plan_now(engine, POLICY)
        assert _kinds(plan.actions) == {"zoom_one_off": 35}
        # Someone gives one leaver a Large Meeting add-on between our sync and our apply: Zoom
        # refuses to take that license back, in the bulk answer and in the PATCH (1108).
        stubborn = people[7][0]
        await client.users.update_features(stubborn, large_meeting=True, large_meeting_capacity=500)
        sandbox.request_log.clear()
        with pytest.raises(ApplyIncomplete) as raised:
            await apply_plan(engine, client, plan, actor="test")

    outcome = raised.value.result
    assert outcome.counts["zoom_one_off"] == {
        "succeeded": 34,
        "failed": 1,
        "blocked": 0,
        "dropped": 0,
        "pending": 0,
    }
    assert [(f["email"], f["zoom_code"]) for f in outcome.failures] == [(stubborn, 1108)]
    writes = Counter(
        f"{r.method} {'/users/{id}' if r.path.count('/') == 2 and r.method == 'PATCH' else r.path}"
        for r in sandbox.request_log
        if r.method in ("POST", "PATCH")
    )
    assert writes == Counter({"POST /users/features": 2, "PATCH /users/{id}": 1})
    assert _holders(sandbox) == {stubborn: "active", stays: "active"}
    assert_audited_once(engine)


@pytest.mark.parametrize("pending_in_usage", READINGS)
async def test_invitations_holding_the_product_are_counted_where_holders_list_as_basic(
    pending_in_usage: bool, sqlite_url: str
) -> None:
    # Nobody has accepted yet and the list shows the invitations as Basic: only plan usage's
    # numbers tell that they hold seats, so sync reads them rather than count them free.
    sandbox = _account(pending_in_usage, listed_licensed=False)
    engine = database(sqlite_url)
    people = [(f"t{i:02d}@{DOMAIN}", "0801", "teacher") for i in range(SEATS + 2)]
    seed(engine, {"0801": 100}, people)
    plan, result = await converge(engine, sandbox, POLICY)
    assert result.complete, result.failures
    assert _kinds(plan.actions) == {"create": SEATS}
    assert set(_holders(sandbox).values()) == {"pending"}
    again = await fresh_plan(engine, sandbox, POLICY)
    assert again.actions == []
    totals = again.summary.totals
    assert (totals.seats_used, totals.seats_pending, totals.seats_free_before) == (0, SEATS, 0)
    assert len(again.waiting) == 2


@pytest.mark.parametrize(
    ("revoke", "kinds", "left_as"),
    [
        ("downgrade", ["zoom_one_off"], {"type": 1, "status": "active"}),
        ("unassign", ["zoom_one_off", "unassign"], {"type": 4, "status": "active"}),
        ("deactivate", ["deactivate"], {"type": 1, "status": "inactive"}),
    ],
)
async def test_a_leaver_loses_the_product_as_policy_revoke_says(
    revoke: str, kinds: list[str], left_as: dict[str, Any], sqlite_url: str
) -> None:
    sandbox = _account(False)
    engine = database(sqlite_url)
    people = [(f"t{i}@{DOMAIN}", "0801", "teacher") for i in range(2)]
    seed(engine, {"0801": 10}, people)
    for email, _, _ in people:
        sandbox.add_user(email=email, zoom_one_type=CAMPUS)
    policy = POLICY.model_copy(update={"revoke": revoke})
    assert (await converge(engine, sandbox, policy))[1].complete
    leaver = people[0][0]
    roster_change(engine, leave=[leaver])
    plan, result = await converge(engine, sandbox, policy)
    assert result.complete, result.failures
    assert [a.kind.value for a in plan.actions] == kinds
    user = sandbox.find_user(leaver)
    assert user is not None  # never deleted
    assert {"type": user["type"], "status": user["status"], "zoom_one_type": user["zoom_one_type"]} == {
        **left_as,
        "zoom_one_type": 0,
    }
    assert set(_holders(sandbox)) == {people[1][0]}
    assert (await fresh_plan(engine, sandbox, policy)).actions == []


@pytest.mark.parametrize("pending_in_usage", READINGS)
async def test_seats_taken_elsewhere_after_the_plan_are_never_asked_for(
    pending_in_usage: bool, sqlite_url: str
) -> None:
    # Apply counts its seats from the Zoom One pool as Zoom shows it when the run starts (not the
    # plan's figures): the creates take the seats left, the licenses wait, and nothing is asked
    # of Zoom that it no longer has.
    sandbox = _account(pending_in_usage)
    engine = database(sqlite_url)
    people = [(f"t{i}@{DOMAIN}", "0801", "teacher") for i in range(5)]
    seed(engine, {"0801": 10}, people)
    for email, _, _ in people[:2]:
        sandbox.add_user(email=email, type=1)  # on Zoom as Basic: licensed in the last phase
    for i in range(SEATS - 5):
        sandbox.add_user(email=f"other{i}@elsewhere.example", zoom_one_type=CAMPUS)
    async with open_client(sandbox) as client:
        await sync(engine, client, product=POLICY.zoom_one_type)
        plan = plan_now(engine, POLICY)
        assert _kinds(plan.actions) == {"adopt": 2, "create": 3, "zoom_one_on": 2}
        # Two seats go to someone else between our plan and our apply: 3 are left, for the creates.
        for i in range(2):
            sandbox.add_user(email=f"late{i}@elsewhere.example", zoom_one_type=CAMPUS)
        sandbox.request_log.clear()
        with pytest.raises(ApplyIncomplete) as raised:
            await apply_plan(engine, client, plan, actor="test")
    result = raised.value.result
    assert result.counts["create"]["succeeded"] == 3
    assert result.counts["zoom_one_on"]["blocked"] == 2
    assert {f["error"] for f in result.failures} == {"waiting: account seats: no free licensed seat left"}
    features = [r for r in sandbox.request_log if r.path.endswith("/users/features")]
    assert features == []  # never asked: no seat was left for them
    assert len(_holders(sandbox)) == SEATS
