"""The CLI on a Zoom One for Education account without plan_base (issue 12, ask 1): the policy's
`license` drives sync, plan, apply and reconcile; a product the account lacks is refused."""

from __future__ import annotations

from pathlib import Path

import click
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import payload
from tests.importers.conftest import write_xlsx
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


def test_a_leavers_license_zoom_will_not_take_back_keeps_its_seat(tmp_path: Path, database_url: str) -> None:
    """Zoom One at the Basic-user cap: switching the product off would make a Basic user too many,
    and Zoom refuses (2039). The leaver keeps the license and the seat: the plan does not promise
    it to the next in line (whose license Zoom would refuse for want of a seat), counts it in the
    school's figures, and lists it as kept; reconcile shows it without an alert."""
    sandbox = Sandbox(SandboxConfig(plan_base=False, zoom_one_seats={CAMPUS: 2}, basic_ceiling=2))
    for other in ("b0@other.ua", "b1@other.ua"):
        sandbox.add_user(email=other, type=1)  # the account's two Basic users: the cap is reached
    sandbox.save(STATE)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'license = "School & Campus"\ngrace_days = 0\nuse_groups = false\nbasic_cap = 2\n[addons]\n'
    )
    write_xlsx(tmp_path / "schools.xlsx", {"schools": [["code", "name", "seats"], ["0421", "Ліцей", 10]]})
    assert code(run(database_url, policy, "import", "schools", str(tmp_path / "schools.xlsx"))) == 0
    header = ["Email", "ПІБ", "Посада"]

    def roster(*emails: str) -> None:
        rows = [[email, f"Вчитель {email[:2]}", "вчитель"] for email in emails]
        write_xlsx(tmp_path / "0421.xlsx", {"0421": [header, *rows]})
        assert code(run(database_url, policy, "import", "roster", str(tmp_path / "0421.xlsx"))) == 0

    roster("t0@school.ua", "t1@school.ua")
    assert code(run(database_url, policy, "sync")) == 0
    assert code(run(database_url, policy, "apply", "--yes")) == 0
    sandbox = Sandbox.load(STATE)
    sandbox.accept_invitations()
    sandbox.save(STATE)

    roster("t1@school.ua", "t2@school.ua")  # t0 leaves, t2 joins: both seats are taken
    assert code(run(database_url, policy, "sync")) == 0
    shown = run(database_url, policy, "plan")
    assert code(shown) == 0, shown.output
    assert "kept (teacher)" in shown.stdout
    plan = payload(run(database_url, policy, "plan", "--json").stdout)
    assert [(k["email"], k["institution_code"]) for k in plan["kept"]] == [("t0@school.ua", "0421")]
    assert "2039" in plan["kept"][0]["reason"]
    assert [w["email"] for w in plan["waiting"]] == ["t2@school.ua"]
    assert "2 of 2 in use" in plan["waiting"][0]["reason"]
    assert plan["actions"] == []
    figures = plan["summary"]["schools"]["0421"]
    assert (figures["licensed_after"], figures["waiting"]) == (2, 1)
    assert plan["summary"]["totals"]["seats_free_after"] == 0

    applied = run(database_url, policy, "apply", "--yes")
    assert code(applied) == 0, applied.output  # nothing Zoom would refuse is sent
    holders = {u["email"] for u in Sandbox.load(STATE).users() if u["zoom_one_type"] == CAMPUS}
    assert holders == {"t0@school.ua", "t1@school.ua"}
    found = run(database_url, policy, "reconcile", "--json")
    assert code(found) == 0, found.output
    [kept] = payload(found.stdout)["kinds"]["license_kept"]
    assert kept["email"] == "t0@school.ua"
