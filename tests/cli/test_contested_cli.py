"""A contested user as the operator meets it: `provision sync`, `apply --yes`, the SAML mapping sets the
license back (twice; the sandbox's other writer, kept in its state file between commands), then
`plan` and `reconcile` in table and JSON, and `apply` sends nothing more."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from models import AuditEvent, make_engine
from tests.cli.envelope import payload
from tests.provision.apply_kit import database, seed
from zoom_client.sandbox import OtherWriter, Sandbox, SandboxConfig

STATE = Path("sandbox-state.json")  # the default state file, in the test's working directory
SAML = "saml@school.ua"


def run(db: str, policy: Path, *args: str) -> Result:
    from provision.cli import app

    return CliRunner().invoke(
        app, ["--db", db, "--sandbox", "--policy", str(policy), "--actor", "ops", *args]
    )


def code(result: Result) -> int:
    if isinstance(result.exception, click.exceptions.Exit):
        return result.exception.exit_code
    return result.exit_code


def ok(db: str, policy: Path, *args: str) -> Result:
    result = run(db, policy, *args)
    assert code(result) == 0, f"{args}: {result.output}"
    return result


@pytest.fixture
def contested(sqlite_url: str, tmp_path: Path) -> tuple[str, Path]:
    """Two teachers already on Zoom as Basic, licensed by `apply`; the first one's license set back
    after each of two applies."""
    engine = database(sqlite_url)
    seed(engine, {"0421": 5}, [(e, "0421", "teacher") for e in (SAML, "t2@school.ua")])
    sandbox = Sandbox(SandboxConfig(seats=10))
    for email in (SAML, "t2@school.ua"):
        sandbox.add_user(email=email, type=1)
    sandbox.add_other_writer(OtherWriter(field="type", value=1, emails={SAML}))
    sandbox.save(STATE)
    policy = tmp_path / "policy.toml"
    policy.write_text("use_groups = false\n[addons]\n", encoding="utf-8")
    for _ in range(2):
        ok(sqlite_url, policy, "sync")
        ok(sqlite_url, policy, "apply", "--yes")
    ok(sqlite_url, policy, "sync")
    assert len(Sandbox.load(STATE).writer_log) == 2
    return sqlite_url, policy


def test_plan_and_reconcile_report_both_sides_and_apply_leaves_it_alone(contested: tuple[str, Path]) -> None:
    db, policy = contested

    human = ok(db, policy, "plan")
    assert "Contested (1)" in human.stdout
    assert SAML in human.stdout
    assert "we set 2 (Licensed)" in human.stdout
    assert "Zoom showed 1 (Basic)" in human.stdout
    assert 'left alone (policy contested = "report")' in human.stdout

    data = payload(ok(db, policy, "plan", "--json").stdout)
    [item] = data["contested"]
    assert (item["email"], item["ours"], item["theirs"], item["setbacks"]) == (SAML, 2, 1, 2)
    assert item["ours_at"] <= item["seen_at"]  # theirs seen at the sync after our change
    assert data["counts"]["contested"] == 1
    assert data["actions"] == []

    applied = ok(db, policy, "apply", "--yes")
    assert "Nothing to apply: 1 contested users are left alone" in applied.stdout
    assert Sandbox.load(STATE).find_user(SAML)["type"] == 1  # type: ignore[index]
    assert len(Sandbox.load(STATE).writer_log) == 2  # nothing more sent for the writer to undo

    report = run(db, policy, "reconcile", "--json")
    assert code(report) == 3, report.output
    drift = payload(report.stdout)
    [found] = drift["kinds"]["contested"]
    assert (found["email"], found["ours"], found["theirs"], found["left_alone"]) == (SAML, 2, 1, True)
    assert drift["kinds"]["changed_by_hand"] == []
    table = run(db, policy, "reconcile")
    assert code(table) == 3
    assert "contested" in table.stdout
    assert f"{SAML} [0421]: type set back 2 times in a row" in table.stdout

    with Session(make_engine(db)) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "contested")).all()
        licenses = session.exec(
            select(AuditEvent).where(AuditEvent.person_email == SAML, AuditEvent.action == "license")
        ).all()
    assert [(e.person_email, e.result, e.actor) for e in events] == [(SAML, "left_alone", "ops")]
    assert len(licenses) == 2  # our two changes; nothing sent since


def test_enforce_sets_it_again_and_still_reports(contested: tuple[str, Path]) -> None:
    db, policy = contested
    policy.write_text('use_groups = false\ncontested = "enforce"\n[addons]\n', encoding="utf-8")

    data = payload(ok(db, policy, "plan", "--json").stdout)
    [item] = data["contested"]
    assert item["left_alone"] is False
    assert [(a["kind"], a["email"]) for a in data["actions"]] == [("license", SAML)]

    ok(db, policy, "apply", "--yes")
    sandbox = Sandbox.load(STATE)
    assert len(sandbox.writer_log) == 3  # set again, and set back again at the next request
    assert sandbox.find_user(SAML)["type"] == 1  # type: ignore[index]


def test_a_policy_with_account_tables_still_reports_the_contest(contested: tuple[str, Path]) -> None:
    # An [accounts] table plans account by account and merges the parts: the merge kept the
    # waiting, the grace and the figures, and dropped the contested users.
    db, policy = contested
    policy.write_text(
        "use_groups = false\n[addons]\n[accounts.main]\nmax_revoke_count = 50\n", encoding="utf-8"
    )
    data = payload(ok(db, policy, "plan", "--json").stdout)
    [item] = data["contested"]
    assert (item["email"], item["left_alone"]) == (SAML, True)
    assert data["counts"]["contested"] == 1
    assert SAML not in {a["email"] for a in data["actions"]}
