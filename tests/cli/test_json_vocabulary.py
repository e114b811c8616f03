"""Every command's JSON: one envelope, and the same name for the same thing (docs/interfaces.md §6).

Walks every command of the CLI that takes --json (a new one must be added to COMMANDS, or this
fails), on the demo's own data, and reads each document as a program would: the account's seats
are always `seats: {purchased, used, pending, free}`, a school's code is always `institution_code`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from models.db import dispose_engines
from provision.cli import app
from provision.demo.flow import run_demo
from tests.cli.envelope import envelope
from tests.importers.conftest import write_xlsx

runner = CliRunner()
SEAT_KEYS = {"purchased", "used", "pending", "free"}
# 3: reconcile found drift; 2: the roster has a row to fix (reported, not committed)
# 2: workers are refused on SQLite (the demo's database): the refusal is an envelope too
EXITS = {"reconcile": {0, 3}, "import roster": {2}, "worker": {2}}
# Names this vocabulary replaced (docs/interfaces.md lists the renames): none may come back.
# ("school" as an object, the `school` command's, is a school; as a string it was a code.)
RETIRED = {"code", "seats_purchased", "seats_used", "seats_pending", "seats_free_before"}


def _commands_taking(option: str) -> set[str]:
    """Every leaf command of the CLI that takes `option`, as `provision` names it ("import roster")."""
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        elif any(option in p.opts for p in command.params):
            found.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("demo")
    result = run_demo(directory, actor="tester")
    dispose_engines()
    return {"db": f"sqlite:///{result.database}", "state": str(result.sandbox_state), "dir": directory}


def _commands(demo: dict[str, Any], tmp: Path) -> dict[str, list[str]]:
    roster = write_xlsx(
        tmp / "roster-0421.xlsx",
        {"0421": [["Email", "Name", "Role"], ["n.new@g421.lviv.edu.ua", "Нова Наталія", "вчитель"]]}
        | {"0142": [["Email", "Name", "Role"], ["broken@", "Кравчук Олена", "вчитель"]]},
    )
    return {
        "demo": ["demo", "--dir", str(tmp / "demo")],
        "doctor": ["--sandbox", "doctor"],
        "db upgrade": ["db", "upgrade"],
        "db current": ["db", "current"],
        "policy init": ["policy", "init", str(tmp / "policy.toml")],
        "policy show": ["policy", "show"],
        "import schools": ["import", "schools", str(demo["dir"] / "demo-data" / "schools.xlsx"), "--dry-run"],
        "import roster": ["import", "roster", str(roster), "--merge", "--dry-run"],
        "sync": ["--sandbox", "sync"],
        "plan": ["--sandbox", "plan"],
        "apply": ["--sandbox", "apply", "--yes"],
        "worker": ["worker"],
        "reconcile": ["--sandbox", "reconcile"],
        "schools": ["schools"],
        "accounts": ["accounts"],
        "school": ["school", "0421"],
        "person": ["person", "Кравчук Олена"],
        "waiting": ["waiting"],
        "report schools": ["report", "schools", str(tmp / "to-send"), "--school", "0421"],
        "audit export": ["audit", "export", str(tmp / "audit.xlsx")],
    }


def _pairs(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every member of every object in the document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key), item
            yield from _pairs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item, f"{path}[]")


@pytest.mark.slow
def test_every_command_prints_one_envelope_with_the_same_names_for_the_same_things(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    commands = _commands(demo, tmp_path)
    assert set(commands) == _commands_taking("--json")  # a new command with --json joins this walk
    listing = _commands_taking("--output")
    assert {"schools", "school", "person", "waiting", "plan"} <= listing
    env = {"PROVISION_SANDBOX_STATE": demo["state"]}
    seen_seats: set[str] = set()
    seen_codes: set[str] = set()
    for name, args in commands.items():
        result = runner.invoke(app, ["--db", demo["db"], *args, "--json"], env=env)
        dispose_engines()
        assert result.exit_code in EXITS.get(name, {0}), (name, result.output)
        document = envelope(result.stdout)
        assert document["command"] == name
        sandbox = "--sandbox" in args
        assert document["sandbox"] is sandbox
        assert document["account"] == ("sandbox" if sandbox else "not configured")
        if name in listing:  # --output json is --json: the same document
            again = runner.invoke(app, ["--db", demo["db"], *args, "--output", "json"], env=env)
            dispose_engines()
            assert again.exit_code == result.exit_code, (name, again.output)
            other = envelope(again.stdout)
            assert other["command"] == name
            assert set(other["data"]) == set(document["data"]), name
        if name == "worker":
            assert "PostgreSQL" in document["error"]["message"]
        for path, key, value in _pairs(document.get("data")):
            where = f"{name}: {path}.{key}"
            assert key not in RETIRED, where
            assert not (key == "school" and isinstance(value, str)), where
            if key == "seats":
                assert isinstance(value, dict), where
                assert set(value) >= SEAT_KEYS, where
                assert all(isinstance(value[k], int) for k in SEAT_KEYS), where
                seen_seats.add(name)
            if key == "institution_code":
                assert value is None or isinstance(value, str), where
                seen_codes.add(name)
    # the walk met the shared names where an operator meets them
    assert {"sync", "plan", "reconcile", "schools", "accounts", "demo"} <= seen_seats
    assert {"schools", "school", "person", "waiting", "plan", "import roster", "report schools"} <= seen_codes


def test_the_envelope_masks_the_database_password_even_on_an_error() -> None:
    result = runner.invoke(
        app, ["--db", "postgresql+psycopg://ops:hunter2@127.0.0.1:9/x", "schools", "--json"]
    )
    dispose_engines()
    assert result.exit_code == 1
    document = envelope(result.stdout)
    assert "hunter2" not in result.stdout
    assert document["database"] == "postgresql+psycopg://ops:***@127.0.0.1:9/x"
    assert set(document["error"]) == {"type", "message", "exit_code"}
    assert json.loads(result.stdout)["error"]["exit_code"] == 1
