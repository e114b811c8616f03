"""`provision apply`: confirmation rules, --json result, and a rerun that finishes the work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models import Institution, Membership, Person, init_db, make_engine
from provision.cli import app
from tests.cli.envelope import envelope, payload
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()


def _setup(tmp_path: Path, url: str, *, teachers: int = 3, seats: int = 20) -> Sandbox:
    from sqlmodel import Session

    engine = make_engine(url)
    init_db(engine)
    with Session(engine) as session:
        school = Institution(code="0701", name="School 0701", seats=10)
        session.add(school)
        session.flush()
        for i in range(teachers):
            person = Person(email=f"t{i}@school.example", given_name=f"T{i}", family_name="Test")
            session.add(person)
            session.flush()
            session.add(
                Membership(person_id=person.id, institution_id=school.id, role="teacher", is_primary=True)
            )
        session.commit()
    sandbox = Sandbox(SandboxConfig(seats=seats))
    for i in range(teachers):
        sandbox.add_user(email=f"t{i}@school.example", type=1)
    sandbox.save(tmp_path / "sandbox-state.json")
    return sandbox


def test_apply_without_yes_and_without_a_terminal_refuses_with_exit_2(
    tmp_path: Path, sqlite_url: str
) -> None:
    _setup(tmp_path, sqlite_url)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply"])

    assert result.exit_code == 2
    assert "--yes" in result.stderr
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    assert state.licensed_count() == 0  # nothing was sent


def test_apply_yes_json_licenses_and_a_second_apply_has_nothing_to_do(
    tmp_path: Path, sqlite_url: str
) -> None:
    _setup(tmp_path, sqlite_url)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0

    result = runner.invoke(
        app, ["--db", sqlite_url, "--sandbox", "--actor", "ops@ministry", "apply", "--yes", "--json"]
    )

    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["complete"] is True
    assert data["counts"]["license"] == {
        "succeeded": 3,
        "failed": 0,
        "blocked": 0,
        "dropped": 0,
        "pending": 0,
    }
    assert Sandbox.load(tmp_path / "sandbox-state.json").licensed_count() == 3
    again = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply", "--yes"])
    assert again.exit_code == 0, again.output
    assert "Nothing to apply" in again.stdout


def test_apply_of_a_saved_plan_file_refuses_it_once_stale(tmp_path: Path, sqlite_url: str) -> None:
    sandbox = _setup(tmp_path, sqlite_url)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0
    plan_file = tmp_path / "plan.json"
    assert (
        runner.invoke(app, ["--db", sqlite_url, "--sandbox", "plan", "--out", str(plan_file)]).exit_code == 0
    )
    sandbox.add_user(email="late@school.example", type=2)  # the account changed since the plan
    sandbox.save(tmp_path / "sandbox-state.json")
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply", str(plan_file), "--yes"])

    assert result.exit_code == 2
    assert "stale" in result.stderr


def test_apply_out_of_seats_exits_1_blocked_and_does_not_advise_a_rerun(
    tmp_path: Path, sqlite_url: str
) -> None:
    _setup(tmp_path, sqlite_url, teachers=4, seats=10)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0
    # Zoom's daily create budget is not involved here: seats vanish between plan and apply.
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    for i in range(8):
        state.add_user(email=f"outsider{i}@school.example", type=2)
    state.save(tmp_path / "sandbox-state.json")

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply", "--yes", "--json"])

    assert result.exit_code == 1
    document = envelope(result.stdout)
    data = document["data"]
    assert data["counts"]["license"]["succeeded"] == 2
    assert data["counts"]["license"]["blocked"] == 2
    assert data["rerun_helps"] is False
    assert "free or buy seats" in document["error"]["message"]
    assert "run `provision apply` again" not in document["error"]["message"]
    assert Sandbox.load(tmp_path / "sandbox-state.json").licensed_count() == 10


def test_apply_failure_lines_name_each_person_and_the_way_to_finish(tmp_path: Path, sqlite_url: str) -> None:
    _setup(tmp_path, sqlite_url, teachers=3, seats=10)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    for i in range(9):
        state.add_user(email=f"outsider{i}@school.example", type=2)
    state.save(tmp_path / "sandbox-state.json")

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply", "--yes"])

    assert result.exit_code == 1
    assert "waiting: account seats" in result.stdout
    assert result.stdout.count("blocked license") == 2
    assert "2 changes blocked" in result.stderr
    assert "run `provision apply` again" not in result.stderr


def test_apply_of_a_saved_plan_refuses_it_once_the_policy_file_changed(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(tmp_path, sqlite_url)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0
    plan_file = tmp_path / "plan.json"
    assert (
        runner.invoke(app, ["--db", sqlite_url, "--sandbox", "plan", "--out", str(plan_file)]).exit_code == 0
    )
    # The operator narrows the policy after planning: the saved plan would license teachers anyway.
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('licensed_roles = ["admin"]\n', encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy_file))

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "apply", str(plan_file), "--yes"])

    assert result.exit_code == 2
    assert "stale" in result.stderr
    assert Sandbox.load(tmp_path / "sandbox-state.json").licensed_count() == 0
