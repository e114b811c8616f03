"""`provision db upgrade` / `db current`: create, upgrade, report the revision, refuse a foreign database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import SQLModel
from typer.testing import CliRunner

from models.db import dispose_engines, head_revision, make_engine
from provision.cli import app
from tests.cli.envelope import payload


@pytest.fixture(autouse=True)
def _release_engines() -> Iterator[None]:
    yield
    dispose_engines()  # before the PostgreSQL schema is dropped


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_upgrade_creates_then_reports_nothing_to_do(database_url: str) -> None:
    code, out = _run("--db", database_url, "db", "current", "--json")
    assert code == 0, out
    assert payload(out)["revision"] is None

    code, out = _run("--db", database_url, "db", "upgrade")
    assert code == 0, out
    assert f"created the schema at revision {head_revision()}" in out

    code, out = _run("--db", database_url, "db", "upgrade", "--json")
    assert code == 0, out
    data = payload(out)
    assert data["before"] == data["after"] == data["head"] == head_revision()
    assert data["changed"] is False

    code, out = _run("--db", database_url, "db", "current")
    assert code == 0, out
    assert f"revision {head_revision()} (up to date)" in out


def test_default_database_is_a_file_in_the_working_directory(tmp_path: object) -> None:
    code, out = _run("db", "upgrade", "--json")  # the autouse fixture chdir'ed to tmp_path
    assert code == 0, out
    assert payload(out)["database"] == "sqlite:///provision.db"
    assert (tmp_path / "provision.db").exists()  # type: ignore[operator]


def test_db_current_does_not_create_a_missing_sqlite_file(sqlite_url: str, tmp_path: object) -> None:
    code, out = _run("--db", sqlite_url, "db", "current")
    assert code == 0, out
    assert "revision none" in out
    assert not (tmp_path / "provision.db").exists()  # type: ignore[operator]


def test_a_database_with_unversioned_tables_is_refused(sqlite_url: str) -> None:
    SQLModel.metadata.create_all(make_engine(sqlite_url))
    code, out = _run("--db", sqlite_url, "db", "upgrade")
    assert code == 2, out
    assert "no schema version" in " ".join(out.split())  # the console wraps the list of tables


def test_the_password_never_appears_when_the_server_is_unreachable() -> None:
    code, out = _run("--db", "postgresql://ops:s3cr3t-pw@127.0.0.1:9/prov", "db", "upgrade", "--json")
    assert code == 1, out
    assert "s3cr3t-pw" not in out
    assert "cannot open the database" in out
