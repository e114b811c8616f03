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
    assert "a rerun helps once the database answers" in " ".join(result.output.split())


def test_a_database_that_does_not_answer_is_tried_once_by_a_question() -> None:
    """`provision school` reads through the driver alone; a server that does not answer must not
    be tried again through the engine (the operator would wait out the timeout twice)."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()  # a server that hangs up before it speaks

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    url = f"postgresql+psycopg://ops@127.0.0.1:{port}/provision?sslmode=disable&connect_timeout=2"
    try:
        result = CliRunner().invoke(app, ["--db", url, "school", "0421"])
    finally:
        listener.close()
    assert result.exit_code == 1, result.output
    assert "a rerun helps once the database answers" in " ".join(result.output.split())
    assert len(accepted) == 1


def test_a_database_that_refuses_the_credentials_says_a_rerun_will_not_help(postgres_url: str) -> None:
    """A server that answers "no such role" is the operator's to fix: exit 2, and no rerun advice."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(username="no_such_role_provision", password="pw")
    result = CliRunner().invoke(app, ["--db", url.render_as_string(hide_password=False), "schools"])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert 'role "no_such_role_provision" does not exist' in flat
    assert "a rerun will not help" in flat
    assert "pw@" not in flat
