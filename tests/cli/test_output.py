"""Output for people and for programs: 80 columns, pipes, --output table|json|csv, --quiet, one envelope."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from models import Institution, Membership, Person, session_scope
from models.db import dispose_engines, open_database
from provision.cli import app
from provision.demo.flow import run_demo
from tests.cli.envelope import envelope

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("demo")
    result = run_demo(directory, actor="tester")
    db = f"sqlite:///{result.database}"
    with session_scope(open_database(db)) as s:
        emails = sorted(
            s.scalars(
                select(Person.email)
                .join(Membership, Membership.person_id == Person.id)
                .join(Institution, Institution.id == Membership.institution_id)
                .where(Institution.code == "0421")
            )
        )
    dispose_engines()
    return {"db": db, "state": str(result.sandbox_state), "emails": emails, "dir": directory}


def _piped(demo: dict[str, Any], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "PROVISION_", "TTY_"))}
    environ.update(COLUMNS="80", PROVISION_SANDBOX_STATE=demo["state"], **env)
    return subprocess.run(
        [sys.executable, "-c", "from provision.cli import main; main()", "--db", demo["db"], *args],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_piped_at_80_columns_every_header_and_value_is_whole(demo: dict[str, Any]) -> None:
    expected = {
        ("schools",): ["code", "name", "region", "quota", "licensed", "pending", "waiting", "utilization"],
        ("school", "0421"): ["email", "name", "role", "primary", "license", "add-ons", "why waiting"],
        ("--sandbox", "plan", "--details"): [
            "School",
            "Name",
            "Quota",
            "Now",
            "After",
            "+",
            ">",
            "-",
            "~",
            "!",
        ],
    }
    for args, headers in expected.items():
        result = _piped(demo, *args)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        header_line = next(line for line in lines if line.split("\t")[: len(headers)] == headers)
        width = len(header_line.split("\t"))
        rows = [line.split("\t") for line in lines if line.count("\t") == width - 1 and line != header_line]
        assert rows, args
        assert all(all("…" not in cell for cell in row) for row in rows), args  # nothing cut
        if args[0] == "school":
            assert sorted(r[0] for r in rows) == demo["emails"]  # every email whole
            waiting = [r for r in rows if r[6]]
            assert waiting
            assert all(r[6].startswith("waiting: ") and r[6].endswith(")") for r in waiting)
        if args[0] == "schools":
            assert "Одеська загальноосвітня школа I-III ступенів №77" in [r[1] for r in rows]
        if "plan" in args:
            schools = [r for r in rows if r[0].isdigit()]
            assert len(schools) == 12
            assert all(cell.isdigit() for r in schools for cell in r[2:])  # every figure and symbol column


@pytest.mark.slow
def test_every_other_table_is_plain_lines_in_a_pipe(demo: dict[str, Any]) -> None:
    """Cron and pipes read sync, reconcile, accounts and doctor too: no box, no wrapped cell."""
    expected = {
        ("accounts",): ["account", "schools", "seats", "basic", "creates today", "synced"],
        ("--sandbox", "sync"): ["what", "count"],
        ("--sandbox", "reconcile"): ["drift", "count"],
        ("--sandbox", "doctor"): ["ok", "check", "found"],
    }
    for args, headers in expected.items():
        result = _piped(demo, *args)
        assert result.returncode in (0, 3), result.stderr
        assert not set("│┃━─┏┗╇") & set(result.stdout), (args, result.stdout)
        lines = result.stdout.splitlines()
        at = lines.index("\t".join(headers))
        rows = [line.split("\t") for line in lines[at + 1 :] if "\t" in line]
        assert rows, args
        assert all(len(row) == len(headers) for row in rows), args
    accounts = _piped(demo, "accounts").stdout
    assert "main\t12\t" in accounts  # the main account's row, whole on one line


@pytest.mark.slow
def test_a_narrow_terminal_stacks_rows_instead_of_cutting(demo: dict[str, Any]) -> None:
    result = _piped(demo, "school", "0421", TTY_COMPATIBLE="1", NO_COLOR="1")
    assert result.returncode == 0, result.stderr
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # the terminal's bold and dim
    assert "…" not in out
    for email in demo["emails"]:
        assert f"email: {email}" in out
    assert "why waiting: waiting: " in out


def test_output_csv_and_quiet(demo: dict[str, Any]) -> None:
    result = runner.invoke(app, ["--db", demo["db"], "schools", "--output", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["code", "name", "region"]
    assert len(rows) == 1 + 12 + 1  # the schools and the total
    assert "database" not in result.stdout
    quiet = runner.invoke(app, ["--db", demo["db"], "--quiet", "school", "0421"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""  # no header
    assert "licensed of" not in quiet.stdout  # no summary line: the table only
    assert quiet.stdout.splitlines()[0].startswith("email\tname")
    dispose_engines()


def test_every_command_json_is_the_same_envelope(demo: dict[str, Any], tmp_path: Path) -> None:
    email = demo["emails"][0]
    commands = {
        "schools": ["schools"],
        "school": ["school", "0421"],
        "person": ["person", email],
        "waiting": ["waiting", "--school", "0421"],
        "plan": ["--sandbox", "plan"],
        "sync": ["--sandbox", "sync"],
        "reconcile": ["--sandbox", "reconcile"],
        "policy show": ["policy", "show"],
        "db current": ["db", "current"],
        "audit export": ["audit", "export", str(tmp_path / "a.xlsx")],
        "apply": ["--sandbox", "apply", "--yes"],
    }
    env = {"PROVISION_SANDBOX_STATE": demo["state"]}
    for name, args in commands.items():
        for flag in (["--json"], ["--output", "json"]):
            if flag[0] == "--output" and name not in ("schools", "school", "person", "waiting", "plan"):
                continue  # --output is on the listing commands; --json on every command
            result = runner.invoke(app, ["--db", demo["db"], *args, *flag], env=env)
            assert result.exit_code in (0, 3), (args, result.output)
            document = envelope(result.stdout)
            assert document["command"] == name
            assert document["database"] == demo["db"], args
            assert document["account"] == ("sandbox" if "--sandbox" in args else "not configured")
    error = runner.invoke(app, ["--db", demo["db"], "school", "9999", "--json"])
    assert error.exit_code == 2
    assert set(envelope(error.stdout)["error"]) == {"type", "message", "exit_code"}
    dispose_engines()
