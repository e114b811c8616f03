"""Who did it: `--actor`, else PROVISION_ACTOR, else user@host, on imports, changes and exports."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from models import AuditEvent, ImportBatch, session_scope
from models.db import dispose_engines, open_database
from provision.cli import app
from tests.importers.conftest import SCHOOLS, write_xlsx


def _import_schools(db: str, tmp_path: Path, *prefix: str, extra: int = 0) -> None:
    rows = [*SCHOOLS, *([f"9{i:03}", f"School {i}", "Львів", "school", 3] for i in range(extra))]
    path = write_xlsx(tmp_path / f"schools{extra}.xlsx", {"schools": rows})
    result = CliRunner().invoke(app, ["--db", db, *prefix, "import", "schools", str(path)])
    assert result.exit_code == 0, result.output


def _actors(db: str) -> tuple[list[str], list[tuple[str, str]]]:
    with session_scope(open_database(db)) as session:
        batches = list(session.scalars(select(ImportBatch.actor).order_by(ImportBatch.id)))
        events = [(e.actor, e.action) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    dispose_engines()
    return batches, events


def test_import_records_user_at_host_then_env_then_option(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import_schools(sqlite_url, tmp_path)
    monkeypatch.setenv("PROVISION_ACTOR", "olena@ministry")
    _import_schools(sqlite_url, tmp_path, extra=1)
    _import_schools(sqlite_url, tmp_path, "--actor", "nightly", extra=2)
    batches, _ = _actors(sqlite_url)
    host = socket.gethostname().split(".")[0]
    assert batches == [f"{getpass.getuser()}@{host}", "olena@ministry", "nightly"]


def test_export_is_audited_with_actor_and_filters(sqlite_url: str, tmp_path: Path) -> None:
    _import_schools(sqlite_url, tmp_path)
    first = tmp_path / "a.xlsx"
    args = [
        "--db",
        sqlite_url,
        "--actor",
        "auditor@court",
        "audit",
        "export",
        str(first),
        "--since",
        "2026-01-01",
    ]
    assert CliRunner().invoke(app, args).exit_code == 0
    _, events = _actors(sqlite_url)
    assert events[-1] == ("auditor@court", "export")
    second = tmp_path / "b.xlsx"
    assert CliRunner().invoke(app, ["--db", sqlite_url, "audit", "export", str(second)]).exit_code == 0
    changes = list(load_workbook(second)["Changes"].iter_rows(min_row=2, values_only=True))
    row = next(r for r in changes if r[2] == "export")
    assert row[1] == "auditor@court"
    assert "2026-01-01" in row[8]  # After
    assert "a.xlsx" in row[8]
