"""The reports on a Zoom One for Education account (issue 12, ask 1 follow-up): `schools`,
`school`, `person` and the audit export say who holds the policy's product, from the snapshot's
zoom_one_type, under both ways an account may list its holders (type 2, or Basic: ZOOM_API.md §11)."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import payload
from tests.provision.apply_kit import database, seed
from zoom_client import ZoomOneType
from zoom_client.sandbox import Sandbox, SandboxConfig

STATE = Path("sandbox-state.json")  # where --sandbox finds the account (the test's working folder)
CAMPUS = int(ZoomOneType.EDU_SCHOOL_CAMPUS)
TEACHERS = [f"t{i}@school.ua" for i in range(4)]


def run(db: str, policy: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--sandbox", "--policy", str(policy), *args])


def code(result: Result) -> int:
    if isinstance(result.exception, click.exceptions.Exit):
        return result.exception.exit_code
    return result.exit_code


@pytest.mark.parametrize("listed_licensed", [True, False], ids=["listed-licensed", "listed-basic"])
def test_reports_read_holders_of_the_managed_product_as_licensed(
    listed_licensed: bool, tmp_path: Path, sqlite_url: str
) -> None:
    seed(database(sqlite_url), {"0421": 10}, [(e, "0421", "teacher") for e in TEACHERS])
    config = SandboxConfig(
        plan_base=False, zoom_one_seats={CAMPUS: 3}, zoom_one_reports_licensed=listed_licensed
    )
    sandbox = Sandbox(config)
    sandbox.add_user(email="t0@school.ua", type=1)
    sandbox.save(STATE)
    policy = tmp_path / "policy.toml"
    policy.write_text('license = "School & Campus"\ngrace_days = 0\nuse_groups = false\n[addons]\n')

    assert code(synced := run(sqlite_url, policy, "sync", "--json")) == 0, synced.output
    assert code(planned := run(sqlite_url, policy, "plan", "--json")) == 0, planned.output
    assert code(applied := run(sqlite_url, policy, "apply", "--yes", "--json")) == 0, applied.output
    sandbox = Sandbox.load(STATE)
    sandbox.accept_invitations()
    sandbox.save(STATE)
    holders = {u["email"] for u in sandbox.users() if u["zoom_one_type"] == CAMPUS}
    assert len(holders) == 3
    assert "t0@school.ua" in holders
    # How Zoom lists them is the reading under test: Licensed, or Basic.
    listed = {u["email"]: u["type"] for u in sandbox.users() if u["email"] in holders}
    assert set(listed.values()) == {2 if listed_licensed else 1}
    assert code(synced := run(sqlite_url, policy, "sync", "--json")) == 0, synced.output
    waiter = next(e for e in TEACHERS if e not in holders)

    schools = run(sqlite_url, policy, "schools", "--json")
    assert code(schools) == 0, schools.output
    row = payload(schools.stdout)["schools"][0]
    assert (row["institution_code"], row["licensed"], row["pending"]) == ("0421", 3, 0)

    school = run(sqlite_url, policy, "school", "0421", "--json")
    assert code(school) == 0, school.output
    states = {m["email"]: m["license"] for m in payload(school.stdout)["members"]}
    assert states == {**{e: "licensed" for e in holders}, waiter: "not on Zoom"}

    person = run(sqlite_url, policy, "person", "t0@school.ua", "--json")
    assert code(person) == 0, person.output
    assert payload(person.stdout)["license"] == "licensed"

    exported = run(sqlite_url, policy, "audit", "export", str(tmp_path / "audit.csv"))
    assert code(exported) == 0, exported.output
    with (tmp_path / "audit-licenses.csv").open(newline="", encoding="utf-8-sig") as f:
        licenses = {r["Email"]: r["State"] for r in csv.DictReader(f)}
    assert {e: licenses[e] for e in holders} == {e: "licensed" for e in holders}

    # The same snapshot under "meetings" reads Zoom's own type: what the list says.
    meetings = tmp_path / "meetings.toml"
    meetings.write_text('license = "meetings"\n')
    raw = run(sqlite_url, meetings, "person", "t0@school.ua", "--json")
    assert payload(raw.stdout)["license"] == ("licensed" if listed_licensed else "basic")
