"""`provision sync`: the account into the snapshot, a summary, --json, and clear refusals."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from models import AccountSnapshot, ZoomUserSnapshot, make_engine
from provision.cli import app
from tests.cli.envelope import payload
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()


def _state(tmp_path: Path, sandbox: Sandbox) -> None:
    sandbox.save(tmp_path / "sandbox-state.json")


def test_sync_json_counts_users_of_every_status_and_the_seats(tmp_path: Path, sqlite_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(seats=30, large_meeting_seats={500: 2, 1000: 0}))
    sandbox.add_user(email="a@school.example", type=2)
    sandbox.add_user(email="b@school.example", type=1)
    sandbox.add_user(email="c@school.example", type=1, status="inactive")
    _state(tmp_path, sandbox)

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync", "--json"])

    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["users"]["active"] == 2
    assert data["users"]["inactive"] == 1
    assert data["licensed"] == 1
    assert data["seats"]["purchased"] == 30
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(ZoomUserSnapshot)).scalar_one() == 3
        assert session.execute(select(func.count()).select_from(AccountSnapshot)).scalar_one() == 1


def test_sync_replaces_the_previous_snapshot(tmp_path: Path, sqlite_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(seats=30))
    sandbox.add_user(email="gone@school.example", type=1)
    _state(tmp_path, sandbox)
    assert runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"]).exit_code == 0
    sandbox = Sandbox(SandboxConfig(seats=30))
    sandbox.add_user(email="new@school.example", type=1)
    _state(tmp_path, sandbox)

    result = runner.invoke(app, ["--db", sqlite_url, "--sandbox", "sync"])

    assert result.exit_code == 0, result.output
    assert "seats purchased" in result.stdout
    with Session(make_engine(sqlite_url)) as session:
        emails = session.execute(select(ZoomUserSnapshot.email)).scalars().all()
    assert emails == ["new@school.example"]


def test_sync_without_credentials_or_sandbox_says_what_to_set(sqlite_url: str) -> None:
    result = runner.invoke(app, ["--db", sqlite_url, "sync"])
    assert result.exit_code == 2
    assert "ZOOM_ACCOUNT_ID" in result.stderr
    assert "--sandbox" in result.stderr
