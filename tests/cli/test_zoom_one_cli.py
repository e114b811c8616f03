"""The CLI on a Zoom One for Education account without plan_base (issue 12, ask 1): the policy's
`license` drives sync, plan, apply and reconcile; a product the account lacks is refused."""

from __future__ import annotations

from pathlib import Path

import click
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import payload
from tests.provision.apply_kit import database, seed
from zoom_client import ZoomOneType
from zoom_client.sandbox import Sandbox, SandboxConfig

STATE = Path("sandbox-state.json")  # where --sandbox finds the account (the test's working folder)
CAMPUS = int(ZoomOneType.EDU_SCHOOL_CAMPUS)


def run(db: str, policy: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--sandbox", "--policy", str(policy), *args])


def code(result: Result) -> int:
    if isinstance(result.exception, click.exceptions.Exit):
        return result.exception.exit_code
    return result.exit_code


def test_sync_plan_apply_reconcile_on_a_school_campus_account(tmp_path: Path, sqlite_url: str) -> None:
    seed(database(sqlite_url), {"0421": 10}, [(f"t{i}@school.ua", "0421", "teacher") for i in range(4)])
    sandbox = Sandbox(SandboxConfig(plan_base=False, zoom_one_seats={CAMPUS: 3}))
    sandbox.add_user(email="t0@school.ua", type=1)
    sandbox.save(STATE)
    policy = tmp_path / "policy.toml"
    policy.write_text('license = "School & Campus"\ngrace_days = 0\nuse_groups = false\n[addons]\n')

    synced = run(sqlite_url, policy, "sync", "--json")
    assert code(synced) == 0, synced.output
    data = payload(synced.stdout)
    seats = data["seats"]
    assert (seats["pool"], seats["purchased"], seats["free"]) == ("plan_zoom_one", 3, 3)
    assert data["per_user_reads"] == {"zoom_one_type": 0}  # nobody of ours lists Licensed yet

    applied = run(sqlite_url, policy, "apply", "--yes", "--json")
    assert code(applied) == 0, applied.output
    sandbox = Sandbox.load(STATE)
    holders = {u["email"] for u in sandbox.users() if u["zoom_one_type"] == CAMPUS}
    assert len(holders) == 3  # every seat, never one more
    assert "t0@school.ua" in holders  # the Basic user got the product, not type 2 from a plan_base

    sandbox.accept_invitations()
    sandbox.set_zoom_one_type("t0@school.ua", 0)  # taken away by hand
    sandbox.save(STATE)
    found = run(sqlite_url, policy, "reconcile", "--json")
    assert code(found) == 3, found.output
    fixed = run(sqlite_url, policy, "reconcile", "--fix", "--yes", "--json")
    assert code(fixed) == 0, fixed.output
    assert Sandbox.load(STATE).find_user("t0@school.ua")["zoom_one_type"] == CAMPUS  # type: ignore[index]

    # Managing Zoom Meetings on this account cannot work: refused for good, naming its pools.
    meetings = tmp_path / "meetings.toml"
    meetings.write_text('license = "meetings"\n')
    refused = run(sqlite_url, meetings, "sync")
    assert code(refused) == 2
    message = " ".join(refused.stderr.split())  # the console wraps long lines
    assert 'no plan_base pool for license "meetings"; the account has: ' in message
    assert "plan_zoom_one" in message
    assert "a rerun of sync will not change this" in message
