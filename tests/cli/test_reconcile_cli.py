"""`provision reconcile` as cron runs it: exit 0 clean, 3 on drift, --json parsed, --fix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from provision.core.policy import Policy
from tests.cli.envelope import payload
from tests.provision.apply_kit import converge, database, licensed_emails, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

STATE = Path("sandbox-state.json")  # the default state file, in the test's working directory


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, "--sandbox", "--actor", "cron", *args])


def code(result: Result) -> int:
    if isinstance(result.exception, click.exceptions.Exit):
        return result.exception.exit_code
    return result.exit_code


@pytest.fixture
def db(sqlite_url: str) -> str:
    """Three teachers licensed through the tool; the sandbox state saved where `--sandbox` finds it."""
    engine = database(sqlite_url)
    seed(engine, {"0421": 5}, [(f"t{i}@school.ua", "0421", "teacher") for i in range(3)])
    sandbox = Sandbox(SandboxConfig(seats=10))
    asyncio.run(converge(engine, sandbox, Policy()))
    sandbox.accept_invitations()
    sandbox.save(STATE)
    return sqlite_url


def by_hand(downgrade: str) -> None:
    sandbox = Sandbox.load(STATE)
    sandbox.set_user_type(downgrade, 1)
    sandbox.save(STATE)


def test_clean_account_exits_0_with_json(db: str) -> None:
    result = run(db, "reconcile", "--json")

    assert code(result) == 0, result.output
    data = payload(result.stdout)
    assert data["clean"] is True
    assert data["alerts"] == 0
    assert data["seats"]["purchased"] == 10
    assert data["seats"]["licensed_users"] == 3


def test_drift_exits_3_and_names_the_change(db: str) -> None:
    by_hand("t1@school.ua")

    result = run(db, "reconcile", "--json")

    assert code(result) == 3, result.output
    data = payload(result.stdout)
    assert data["clean"] is False
    assert data["counts"]["changed_by_hand"] == 1
    [item] = data["kinds"]["changed_by_hand"]
    assert item["email"] == "t1@school.ua"
    assert item["actual"] == "1 (Basic)"
    assert data["kinds"]["entitled_not_licensed"][0]["fix"] == "license"

    human = run(db, "reconcile")
    assert code(human) == 3
    assert "changed by hand" in human.stdout
    assert "t1@school.ua" in human.stdout
    assert "drift found" in human.stdout


def test_fix_without_yes_and_no_terminal_is_refused(db: str) -> None:
    by_hand("t1@school.ua")

    result = run(db, "reconcile", "--fix")

    assert code(result) == 2
    assert "--yes" in result.stderr
    assert "t1@school.ua" not in licensed_emails(Sandbox.load(STATE))


def test_fix_yes_repairs_then_exits_0_and_stays_clean(db: str) -> None:
    by_hand("t1@school.ua")

    result = run(db, "reconcile", "--fix", "--yes", "--json")

    assert code(result) == 0, result.output
    data = payload(result.stdout)
    assert data["clean"] is True
    assert data["fix"]["found"]["changed_by_hand"] == 1
    assert data["fix"]["applied"]["succeeded"] >= 1
    assert "t1@school.ua" in licensed_emails(Sandbox.load(STATE))
    assert code(run(db, "reconcile")) == 0


def test_no_snapshot_source_is_a_clear_error(sqlite_url: str) -> None:
    assert CliRunner().invoke(app, ["--db", sqlite_url, "db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(app, ["--db", sqlite_url, "reconcile", "--json"])

    assert code(result) == 2
    assert "credentials" in json.loads(result.stdout)["error"]["message"]
