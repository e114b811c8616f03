"""Another writer through the production path: sandbox -> sync -> plan -> apply -> (SAML mapping sets
the license back) -> sync -> plan -> apply -> (set back again) -> sync/reconcile.

Issue 12 (ask 6): a managed user whose license someone else sets back after two of our changes in
a row is contested: plan and reconcile report both values and times, and under policy contested =
"report" (the default) nothing more is sent for them, while "enforce" keeps setting it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from models import AuditEvent
from provision.core.kinds import DriftKind
from provision.core.policy import Policy
from provision.run.reconcile import ReconcileResult, reconcile
from tests.provision.apply_kit import (
    audit_events,
    converge,
    database,
    fresh_plan,
    licensed_emails,
    open_client,
    operations,
    roster_change,
    seed,
)
from zoom_client.sandbox import OtherWriter, Sandbox, SandboxConfig

SAML, T2, T3, NEW = "saml@school.ua", "t2@school.ua", "t3@school.ua", "z.new@school.ua"
REPORT = Policy(addons={}, use_groups=False, grace_days=0)
ENFORCE = Policy(addons={}, use_groups=False, grace_days=0, contested="enforce")


def _account(engine: Engine) -> Sandbox:
    """Three seats; three teachers already on Zoom as Basic, a fourth (last in line) waits. The
    SAML mapping sets the first teacher's type back to Basic after each change by the API."""
    seed(engine, {"0421": 4}, [(e, "0421", "teacher") for e in (SAML, T2, T3, NEW)])
    sandbox = Sandbox(SandboxConfig(seats=3))
    for email in (SAML, T2, T3):
        sandbox.add_user(email=email, type=1)
    sandbox.add_other_writer(OtherWriter(field="type", value=1, emails={SAML}))
    return sandbox


def _run_reconcile(engine: Engine, sandbox: Sandbox, policy: Policy) -> ReconcileResult:
    async def go() -> ReconcileResult:
        async with open_client(sandbox) as client:
            return await reconcile(engine, client, policy, actor="nightly")

    return asyncio.run(go())


def _license_events(engine: Engine, email: str) -> list[AuditEvent]:
    return [
        e
        for e in audit_events(engine)
        if e.person_email == email and e.action == "license" and e.result == "succeeded"
    ]


def _set_back_twice(engine: Engine, sandbox: Sandbox, policy: Policy) -> None:
    first, _ = asyncio.run(converge(engine, sandbox, policy))  # adopt + license the three teachers
    assert {a.email for a in first.actions if a.kind == "license"} == {SAML, T2, T3}
    assert licensed_emails(sandbox) == {T2, T3}  # SAML mapping set the first one back
    second, _ = asyncio.run(converge(engine, sandbox, policy))  # we set it again: once is no contest
    assert [(a.kind, a.email) for a in second.actions] == [("license", SAML)]
    assert second.contested == []
    assert len(sandbox.writer_log) == 2
    assert licensed_emails(sandbox) == {T2, T3}


def _assert_both_sides(item: dict[str, Any], engine: Engine, *, left_alone: bool) -> None:
    """Ours from our first two license changes (the audit log), theirs seen after the second."""
    first, last = _license_events(engine, SAML)[:2]
    assert item["email"] == SAML
    assert item["institution_code"] == "0421"
    assert (item["field"], item["ours"], item["theirs"], item["setbacks"]) == ("type", 2, 1, 2)
    assert datetime.fromisoformat(item["ours_at"]) == last.at.replace(microsecond=0)
    assert datetime.fromisoformat(item["first_at"]) == first.at.replace(microsecond=0)
    seen = datetime.fromisoformat(item["seen_at"])
    assert seen >= last.at.replace(microsecond=0)  # seen after our last change: theirs came later
    assert item["left_alone"] is left_alone
    assert "we set 2 (Licensed)" in item["detail"]
    assert "Zoom showed 1 (Basic)" in item["detail"]


def test_set_back_twice_is_contested_reported_and_left_alone(database_url: str) -> None:
    engine = database(database_url)
    sandbox = _account(engine)
    _set_back_twice(engine, sandbox, REPORT)
    ops_before = len(operations(engine))

    plan, result = asyncio.run(converge(engine, sandbox, REPORT))

    [item] = plan.contested
    _assert_both_sides(item, engine, left_alone=True)
    assert plan.counts()["contested"] == 1
    # Nothing for the contested teacher; the seat they do not use goes to the one waiting.
    assert [(a.kind, a.email) for a in plan.actions] == [("create", NEW)]
    assert result.complete
    assert {op.email for op in operations(engine)[ops_before:]} == {NEW}
    assert len(sandbox.writer_log) == 2  # no third change of ours for the writer to undo
    assert sandbox.find_user(SAML)["type"] == 1  # type: ignore[index]
    assert len(_license_events(engine, SAML)) == 2

    # Reconcile reports it under its own kind, not as a change by hand, and it is an alert.
    sandbox.accept_invitations()
    found = _run_reconcile(engine, sandbox, REPORT)
    [drift_item] = found.drift.kinds[DriftKind.CONTESTED]
    _assert_both_sides(drift_item, engine, left_alone=True)
    assert found.drift.kinds[DriftKind.CHANGED_BY_HAND] == []
    assert found.exit_code == 3
    assert found.drift.to_data()["counts"]["contested"] == 1

    # The audit log says once whom we left alone, with theirs (before) and ours (after).
    again = _run_reconcile(engine, sandbox, REPORT)
    assert again.drift.counts["contested"] == 1
    [event] = [e for e in audit_events(engine) if e.action == "contested"]
    assert (event.person_email, event.result, event.actor) == (SAML, "left_alone", "nightly")
    assert event.before is not None
    assert event.after is not None
    assert (event.before["type"], event.after["type"]) == (1, 2)
    assert event.after["set_at"] == drift_item["ours_at"]
    assert event.before["seen_at"] == drift_item["seen_at"]
    assert len(sandbox.writer_log) == 2


def test_enforce_keeps_setting_it_and_still_reports(database_url: str) -> None:
    engine = database(database_url)
    sandbox = _account(engine)
    _set_back_twice(engine, sandbox, ENFORCE)

    plan, _ = asyncio.run(converge(engine, sandbox, ENFORCE))

    [item] = plan.contested
    _assert_both_sides(item, engine, left_alone=False)
    assert [(a.kind, a.email) for a in plan.actions] == [("license", SAML)]
    assert len(sandbox.writer_log) == 3  # set again, and set back again
    found = _run_reconcile(engine, sandbox, ENFORCE)
    [drift_item] = found.drift.kinds[DriftKind.CONTESTED]
    assert (drift_item["setbacks"], drift_item["left_alone"]) == (3, False)
    [event] = [e for e in audit_events(engine) if e.action == "contested"]
    assert event.result == "enforced"


def test_resolved_when_the_value_stays_ours(database_url: str) -> None:
    engine = database(database_url)
    sandbox = _account(engine)
    _set_back_twice(engine, sandbox, REPORT)
    assert asyncio.run(fresh_plan(engine, sandbox, REPORT)).contested != []

    # The mapping is fixed and the user is licensed again at the IdP (a hand change in Zoom).
    for writer in sandbox._writers:
        writer.enabled = False
    sandbox.set_user_type(SAML, 2)
    plan = asyncio.run(fresh_plan(engine, sandbox, REPORT))

    assert plan.contested == []
    assert _run_reconcile(engine, sandbox, REPORT).drift.kinds[DriftKind.CONTESTED] == []


def test_resolved_when_the_roster_changes(database_url: str) -> None:
    engine = database(database_url)
    sandbox = _account(engine)
    _set_back_twice(engine, sandbox, REPORT)

    roster_change(engine, leave=[SAML])  # the rosters no longer want a license for them
    plan = asyncio.run(fresh_plan(engine, sandbox, REPORT))

    assert plan.contested == []
    assert all(a.email != SAML for a in plan.actions)  # already Basic: nothing to take back
    assert _run_reconcile(engine, sandbox, REPORT).drift.counts["contested"] == 0


def test_a_revoke_set_back_twice_keeps_its_seat_and_is_left_alone(database_url: str) -> None:
    """Moodle's recycling gives the license back to someone who left the roster."""
    engine = database(database_url)
    seed(engine, {"0421": 4}, [(e, "0421", "teacher") for e in (SAML, T2, T3)])
    sandbox = Sandbox(SandboxConfig(seats=3))
    for email in (SAML, T2, T3):
        sandbox.add_user(email=email, type=1)
    asyncio.run(converge(engine, sandbox, REPORT))
    assert licensed_emails(sandbox) == {SAML, T2, T3}
    sandbox.add_other_writer(OtherWriter(field="type", value=2, emails={SAML}, name="Moodle recycling"))
    roster_change(engine, leave=[SAML])
    for _ in range(2):
        plan, _ = asyncio.run(converge(engine, sandbox, REPORT))
        assert [(a.kind, a.email) for a in plan.actions] == [("unlicense", SAML)]
        assert licensed_emails(sandbox) == {SAML, T2, T3}

    roster_change(engine, join=[(NEW, "0421", "teacher")])

    plan = asyncio.run(fresh_plan(engine, sandbox, REPORT))

    [item] = plan.contested
    assert (item["ours"], item["theirs"], item["ours_action"], item["left_alone"]) == (
        1,
        2,
        "unlicense",
        True,
    )
    # The seat they hold is counted as used: the newcomer waits instead of being created into it.
    assert plan.actions == []
    assert [w.email for w in plan.waiting] == [NEW]
    assert plan.summary.totals.seats_free_after == 0
