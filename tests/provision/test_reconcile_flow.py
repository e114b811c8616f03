"""Reconcile against the sandbox: drift made by hand in Zoom is found, fixed, and clean afterwards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from models import AuditEvent, DriftReport
from models.errors import LockedError
from models.locks import operation_lock
from provision.core.kinds import DriftKind
from provision.core.policy import Policy
from provision.errors import UnsafePlanError
from provision.reports.export import drift_table
from provision.run.reconcile import ReconcileResult, reconcile
from tests.provision.apply_kit import converge, database, licensed_emails, open_client, roster_change, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy()
TEACHERS = [f"t{i}@school.ua" for i in range(1, 5)]


def run_reconcile(engine: Engine, sandbox: Any, policy: Policy = POLICY, **options: Any) -> ReconcileResult:
    async def go() -> ReconcileResult:
        async with open_client(sandbox) as client:
            return await reconcile(engine, client, policy, actor="nightly", **options)

    return asyncio.run(go())


@pytest.fixture
def rolled_out(database_url: str) -> tuple[Engine, Sandbox]:
    """One school (quota 3) of four teachers and a student, rolled out and invitations accepted.

    On SQLite and PostgreSQL (the nightly job's shared store)."""
    engine = database(database_url)
    seed(
        engine,
        {"0421": 3},
        [*((t, "0421", "teacher") for t in TEACHERS), ("s1@school.ua", "0421", "student")],
    )
    sandbox = Sandbox(SandboxConfig(seats=10))
    asyncio.run(converge(engine, sandbox, POLICY))
    sandbox.accept_invitations()
    return engine, sandbox


def reports(engine: Engine) -> list[DriftReport]:
    with Session(engine) as session:
        return list(session.execute(select(DriftReport).order_by(DriftReport.id)).scalars())


def test_after_a_rollout_reconcile_is_clean_and_stored(rolled_out: tuple[Engine, Sandbox]) -> None:
    engine, sandbox = rolled_out

    result = run_reconcile(engine, sandbox)

    assert result.clean, result.drift.counts
    assert result.exit_code == 0
    [stored] = reports(engine)
    assert stored.clean
    assert stored.actor == "nightly"
    assert stored.data["seats"]["purchased"] == 10
    assert stored.data["waiting"] == 1  # the fourth teacher: the school's quota is 3


def test_changes_by_hand_are_found_then_fixed_and_clean_afterwards(
    rolled_out: tuple[Engine, Sandbox],
) -> None:
    engine, sandbox = rolled_out
    holders = sorted(licensed_emails(sandbox))
    downgraded = holders[0]
    sandbox.set_user_type(downgraded, 1)  # an admin in Zoom's web portal
    sandbox.add_user(email="visitor@elsewhere.org", type=2)
    roster_change(engine, leave=[holders[1]])  # left the roster 60 days ago, still licensed

    found = run_reconcile(engine, sandbox)

    assert found.exit_code == 3
    kinds = found.drift.kinds
    [hand] = kinds["changed_by_hand"]
    assert hand["email"] == downgraded
    assert hand["field"] == "type"
    assert hand["actual"] == "1 (Basic)"
    assert hand["set_by"] == "test"  # who applied it (apply_kit's actor)
    assert hand["set_action"] in ("create", "license")
    assert downgraded in {i["email"] for i in kinds["entitled_not_licensed"]}
    assert [i["email"] for i in kinds["licensed_not_entitled"]] == [holders[1]]
    assert [i["email"] for i in kinds["unmanaged_licensed"]] == ["visitor@elsewhere.org"]
    # The audit export reads the stored report.
    with Session(engine) as session:
        table = drift_table(session)
    assert table is not None
    assert table.clean is False
    assert {row[0] for row in table.rows} >= {
        "changed_by_hand",
        "licensed_not_entitled",
        "unmanaged_licensed",
    }

    fixed = run_reconcile(engine, sandbox, fix=True)

    assert fixed.found.alerts > 0
    assert fixed.applied is not None
    assert fixed.applied.complete
    assert fixed.clean, fixed.drift.counts
    assert fixed.exit_code == 0
    now_licensed = licensed_emails(sandbox)
    assert downgraded in now_licensed
    assert holders[1] not in now_licensed
    assert "visitor@elsewhere.org" in now_licensed  # never ours: reported, never changed
    assert len(now_licensed - {"visitor@elsewhere.org"}) == 3  # the quota still holds
    with Session(engine) as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.actor == "nightly")).scalars().all()
    assert {(e.action, e.person_email) for e in events} >= {
        ("license", downgraded),
        ("unlicense", holders[1]),
    }
    assert reports(engine)[-1].clean

    assert run_reconcile(engine, sandbox).clean


def test_fix_refuses_an_unsafe_plan_unless_forced(rolled_out: tuple[Engine, Sandbox]) -> None:
    engine, sandbox = rolled_out
    holders = sorted(licensed_emails(sandbox))
    roster_change(engine, leave=holders[:2])
    strict = Policy(max_revoke_count=1)

    with pytest.raises(UnsafePlanError):
        run_reconcile(engine, sandbox, strict, fix=True)
    assert licensed_emails(sandbox) >= set(holders[:2])  # nothing applied
    assert reports(engine)[-1].clean is False  # but what was found is on record

    assert run_reconcile(engine, sandbox, strict, fix=True, force=True).clean


def test_fix_waits_for_no_one_a_running_apply_holds_the_lock(rolled_out: tuple[Engine, Sandbox]) -> None:
    engine, sandbox = rolled_out
    sandbox.set_user_type(sorted(licensed_emails(sandbox))[0], 1)

    with operation_lock(engine, "apply"), pytest.raises(LockedError):
        run_reconcile(engine, sandbox, fix=True)


def test_a_declined_fix_changes_nothing(rolled_out: tuple[Engine, Sandbox]) -> None:
    engine, sandbox = rolled_out
    victim = sorted(licensed_emails(sandbox))[0]
    sandbox.set_user_type(victim, 1)
    shown: list[int] = []

    result = run_reconcile(
        engine, sandbox, fix=True, confirm=lambda plan: shown.append(len(plan.actions)) or False
    )

    assert shown == [1]
    assert result.declined
    assert result.exit_code == 3
    assert victim not in licensed_emails(sandbox)


def test_unused_licenses_are_reclaim_candidates_that_fix_leaves_to_a_person(
    rolled_out: tuple[Engine, Sandbox],
) -> None:
    engine, sandbox = rolled_out
    idle = sorted(licensed_emails(sandbox))[0]
    sandbox.set_last_login(idle, datetime.now(UTC) - timedelta(days=200))

    result = run_reconcile(engine, sandbox, fix=True)

    assert [i["email"] for i in result.drift.kinds["inactive"]] == [idle]
    assert "200 days ago" in result.drift.kinds["inactive"][0]["detail"]
    assert result.plan is not None
    assert result.plan.is_empty  # nothing to apply: reclaiming is an operator's decision
    assert result.applied is None
    assert result.exit_code == 3
    assert idle in licensed_emails(sandbox)
    assert run_reconcile(engine, sandbox, Policy(inactive_days=365)).clean


def test_adopt_and_unlicense_in_one_apply_leave_no_false_changed_by_hand(database_url: str) -> None:
    """Licensed Zoom users on the roster as students are adopted and downgraded in the same apply.

    Adopt (the last kind applied) records what it saw (Licensed); the downgrade is our last real
    change. Reconcile compares Zoom with that change: nothing by hand, until someone really does it.
    """
    engine = database(database_url)
    students = [f"s{i}@school.ua" for i in range(1, 4)]
    seed(engine, {"0421": 3}, [(s, "0421", "student") for s in students])
    sandbox = Sandbox(SandboxConfig(seats=10))
    for email in students:
        sandbox.add_user(email=email, type=2)

    plan, result = asyncio.run(converge(engine, sandbox, POLICY))
    assert result.complete
    assert plan.counts()["adopt"] == 3
    assert plan.counts()["unlicense"] == 3
    assert licensed_emails(sandbox) == set()

    clean = run_reconcile(engine, sandbox)
    assert clean.drift.counts["changed_by_hand"] == 0, clean.drift.kinds

    sandbox.set_user_type(students[1], 2)  # now someone does change one by hand
    found = run_reconcile(engine, sandbox)
    by_hand = [item["email"] for item in found.drift.kinds[DriftKind.CHANGED_BY_HAND]]
    assert by_hand == [students[1]]
