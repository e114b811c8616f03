"""The CLI answers --help, and maps errors to the documented exit codes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from provision.cli import app, exit_code_for
from provision.errors import InputError, UnsafePlanError


def test_root_help_lists_the_program() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Zoom licenses" in result.output


def test_exit_codes_follow_design() -> None:
    assert exit_code_for(InputError("x")) == 2
    assert exit_code_for(UnsafePlanError("x")) == 1
    assert exit_code_for(RuntimeError("x")) == 1


def test_bad_usage_exits_2_with_usage_not_internal_error() -> None:
    runner = CliRunner()
    bad = (["nosuch"], ["audit", "export", "x.xlsx", "--format", "pdf"], ["apply", "--concurrency", "0"])
    for argv in bad:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert "internal error" not in result.output
        assert "Usage:" in result.output


def test_a_database_we_cannot_use_safely_is_a_clear_error_exit_2(tmp_path: Path) -> None:
    # Tables of ours but no schema version: refused (never recreated), and said plainly.
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE institution (id INTEGER PRIMARY KEY, code TEXT)")
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", "schools"])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM institution").fetchone() == (0,)


def test_an_unreachable_database_is_named_not_an_internal_error() -> None:
    # Nothing listens on port 1; the password must not be echoed back.
    url = "postgresql+psycopg://ops:s3cret-pw@127.0.0.1:1/provision?connect_timeout=2"
    result = CliRunner().invoke(app, ["--db", url, "schools"])
    assert result.exit_code == 1, result.output
    assert "error: database error (postgresql+psycopg://ops:***@127.0.0.1:1/provision" in result.output
    assert "internal error" not in result.output
    assert "s3cret-pw" not in result.output
