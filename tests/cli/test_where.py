"""Where am I: database and Zoom account on every command, --version, flags, the sandbox's own file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.db import dispose_engines
from provision import __version__
from provision.cli import app
from tests.cli.envelope import envelope

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"provision {__version__}"


def test_help_shows_flags_as_flags_and_they_parse_as_flags(tmp_path: Path) -> None:
    for argv in (["--help"], ["import", "roster", "--help"], ["plan", "--help"]):
        result = runner.invoke(app, argv, env={"COLUMNS": "100"})
        assert result.exit_code == 0
        assert "<bool>" not in result.output, argv
    assert runner.invoke(app, ["--sandbox", "db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["--sandbox", "schools"])
    assert result.exit_code == 0, result.output
    assert "total" in result.stdout
    dispose_engines()


def test_sandbox_keeps_its_own_database(tmp_path: Path) -> None:
    assert runner.invoke(app, ["--sandbox", "db", "upgrade"]).exit_code == 0
    assert (tmp_path / "provision-sandbox.db").exists()
    assert not (tmp_path / "provision.db").exists()
    result = runner.invoke(app, ["--sandbox", "schools"])
    assert f"database sqlite:///{tmp_path / 'provision-sandbox.db'} · zoom sandbox" in result.stderr
    # A real command in the same folder sees no sandbox record: there is no real database yet.
    real = runner.invoke(app, ["schools"])
    assert real.exit_code == 2
    assert f"no database at {tmp_path / 'provision.db'}" in real.stderr
    assert not (tmp_path / "provision.db").exists()
    # An explicit --db is obeyed, sandbox or not.
    explicit = tmp_path / "shared.db"
    assert runner.invoke(app, ["--sandbox", "--db", f"sqlite:///{explicit}", "db", "upgrade"]).exit_code == 0
    assert explicit.exists()
    dispose_engines()


def test_query_from_another_folder_names_the_database_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["school", "0421"])
    assert result.exit_code == 2
    assert f"no database at {elsewhere / 'provision.db'}" in result.stderr
    assert "unknown school" not in result.output
    assert list(elsewhere.iterdir()) == []


def test_header_and_envelope_name_the_account_and_mask_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", "acc-ministry-1")
    url = "postgresql+psycopg://ops:s3cret-pw@127.0.0.1:1/provision?connect_timeout=2"
    human = runner.invoke(app, ["--db", url, "schools"])
    assert "database postgresql+psycopg://ops:***@127.0.0.1:1/provision" in human.stderr
    assert "zoom acc-ministry-1" in human.stderr
    machine = runner.invoke(app, ["--db", url, "schools", "--json"])
    assert machine.exit_code == 1
    document = envelope(machine.stdout)
    assert document["command"] == "schools"
    assert document["account"] == "acc-ministry-1"
    assert document["sandbox"] is False
    assert document["database"].startswith("postgresql+psycopg://ops:***@")
    assert document["error"]["exit_code"] == 1
    assert "s3cret-pw" not in human.output + machine.output
    assert "database " not in machine.stderr  # no header beside JSON


def test_every_json_names_the_sandbox_and_the_sub_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--sandbox", "db", "upgrade", "--json"])
    document = envelope(result.stdout)
    assert (document["command"], document["account"], document["sandbox"]) == ("db upgrade", "sandbox", True)
    assert document["database"] == f"sqlite:///{tmp_path / 'provision-sandbox.db'}"
    dispose_engines()
