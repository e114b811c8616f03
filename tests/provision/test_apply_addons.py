"""Large Meeting add-ons given and taken back through POST /users/features (`large_meeting`, 30
users a call), with the settings PATCH left as the fallback for a user the bulk call failed for.

Each test runs sandbox -> sync -> plan -> apply and counts the sandbox's calls per endpoint."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from provision.core.policy import Policy
from provision.run.apply import ApplyIncomplete, apply_plan
from provision.run.observe import sync
from tests.provision.apply_kit import (
    assert_audited_once,
    converge,
    database,
    fresh_plan,
    open_client,
    operations,
    plan_now,
    roster_change,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy(
    create_action="autoCreate", grace_days=0, use_groups=False, addons={"admin": 500, "staff": 1000}
)
SETTINGS_PATH = re.compile(r"^/users/[^/]+/settings$")


def writes(sandbox: Sandbox) -> Counter[str]:
    """Calls that change something, per endpoint (each user's settings path counted as one)."""
    counts: Counter[str] = Counter()
    for r in sandbox.request_log:
        if r.method in ("POST", "PATCH", "PUT", "DELETE") and r.path != "/oauth/token":
            path = "/users/{id}/settings" if SETTINGS_PATH.match(r.path) else r.path
            counts[f"{r.method} {path}"] += 1
    return counts


def capacities(sandbox: Sandbox, emails: list[str]) -> dict[str, int | None]:
    by_email = {u["email"]: u for u in sandbox.users()}
    return {
        e: by_email[e]["feature"]["large_meeting_capacity"]
        if by_email[e]["feature"]["large_meeting"]
        else None
        for e in emails
    }


def licensed_staff(
    engine: object, sandbox: Sandbox, admins: int, staff: int = 0
) -> tuple[list[str], list[str]]:
    """Admins and staff of one school, already licensed on Zoom, none with an add-on yet."""
    a = [f"admin{i}@school.example" for i in range(admins)]
    s = [f"staff{i}@school.example" for i in range(staff)]
    seed(engine, {"1001": 1000}, [(e, "1001", "admin") for e in a] + [(e, "1001", "staff") for e in s])  # type: ignore[arg-type]
    for email in a + s:
        sandbox.add_user(email=email, type=2)
    return a, s


async def test_add_ons_are_given_30_users_a_call_without_a_settings_patch(sqlite_url: str) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(seats=200, large_meeting_seats={500: 100, 1000: 100}))
    admins, staff = licensed_staff(engine, sandbox, 65, 10)

    _, result = await converge(engine, sandbox, POLICY)

    assert result.complete, result.failures
    assert result.counts["add_addon"]["succeeded"] == 75
    # 65 at 500 (three calls: 30, 30, 5) and 10 at 1000 (one call): a call carries one capacity.
    assert writes(sandbox) == Counter({"POST /users/features": 4})
    assert set(capacities(sandbox, admins).values()) == {500}
    assert set(capacities(sandbox, staff).values()) == {1000}
    assert_audited_once(engine)
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []  # Zoom now matches the rosters


async def test_leavers_lose_the_add_on_in_bulk_before_the_license(database_url: str) -> None:
    engine = database(database_url)
    sandbox = Sandbox(SandboxConfig(seats=200, large_meeting_seats={500: 100, 1000: 100}))
    admins, staff = licensed_staff(engine, sandbox, 40, 20)
    await converge(engine, sandbox, POLICY)
    sandbox.request_log.clear()

    roster_change(engine, leave=admins[:25] + staff[:15])  # 40 leave: 25 holding 500, 15 holding 1000
    _, result = await converge(engine, sandbox, POLICY)

    assert result.complete, result.failures
    assert result.counts["remove_addon"]["succeeded"] == 40
    assert result.counts["unlicense"]["succeeded"] == 40
    # Add-ons off: one value (0) for both capacities, so 40 users take two calls, not three;
    # then the downgrades, two more. No settings PATCH at all.
    assert writes(sandbox) == Counter({"POST /users/features": 4})
    gone = capacities(sandbox, admins[:25] + staff[:15])
    assert set(gone.values()) == {None}
    kept = capacities(sandbox, admins[25:] + staff[15:])
    assert sorted(Counter(kept.values()).items()) == [(500, 15), (1000, 5)]
    leavers = {u["email"]: u["type"] for u in sandbox.users()}
    assert {leavers[e] for e in admins[:25] + staff[:15]} == {1}
    assert_audited_once(engine)


async def test_a_user_the_bulk_call_failed_for_meets_zoom_alone_through_the_settings_patch(
    sqlite_url: str,
) -> None:
    engine = database(sqlite_url)
    sandbox = Sandbox(SandboxConfig(seats=200, large_meeting_seats={500: 100}))
    admins, _ = licensed_staff(engine, sandbox, 35)
    policy = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={"admin": 500})
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, policy)
        # Another writer downgrades one admin between our sync and our apply: Zoom refuses his
        # add-on, in the bulk answer with a sentence only, in the PATCH with its code (1108).
        sandbox.set_user_type(admins[7], 1)
        sandbox.request_log.clear()
        with pytest.raises(ApplyIncomplete) as raised:
            await apply_plan(engine, client, plan, actor="test")

    result = raised.value.result
    assert result.counts["add_addon"] == {
        "succeeded": 34,
        "failed": 1,
        "blocked": 0,
        "dropped": 0,
        "pending": 0,
    }
    assert [(f["email"], f["zoom_code"]) for f in result.failures] == [(admins[7], 1108)]
    assert writes(sandbox) == Counter({"POST /users/features": 2, "PATCH /users/{id}/settings": 1})
    assert capacities(sandbox, [admins[7]]) == {admins[7]: None}
    assert set(capacities(sandbox, admins[:7] + admins[8:]).values()) == {500}
    failed = [op for op in operations(engine) if op.state == "failed"]
    assert [(op.email, op.zoom_code) for op in failed] == [(admins[7], 1108)]
