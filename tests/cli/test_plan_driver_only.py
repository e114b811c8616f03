"""`provision plan` reads and records through the database driver alone: SQLAlchemy, SQLModel and
Alembic are never loaded (a 100,000-person plan must not wait for them), and what it records is
what `provision apply` reads back. SQLite and PostgreSQL, each command in a fresh interpreter.

Checked on sys.modules (never timed here: bench/plan/run.py measures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from models import PlanRecord, make_engine, session_scope
from provision.cli import app
from provision.core.plan import Plan
from provision.store.journal import load_plan
from tests.cli.envelope import payload
from tests.cli.loaded import RUN_AND_LIST
from tests.cli.test_apply_cli import _setup
from tests.cli.test_lazy_imports import packages
from zoom_client.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
# Any of these loaded means the plan fell back to the engine's path.
ENGINE_STACK = ("sqlalchemy", "sqlmodel", "alembic", "models.db", "models.tables")

runner = CliRunner()


def plan_in_a_fresh_interpreter(url: str, out: Path, tmp_path: Path) -> tuple[int, set[str]]:
    listed = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, str(listed), "--db", url, "plan", "--out", str(out)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    data = json.loads(listed.read_text())
    return data["exit"], set(data["modules"])


def test_plan_records_and_saves_without_loading_the_engine(database_url: str, tmp_path: Path) -> None:
    _setup(tmp_path, database_url)
    assert runner.invoke(app, ["--db", database_url, "--sandbox", "sync"]).exit_code == 0
    out = tmp_path / "plan.json"

    code, modules = plan_in_a_fresh_interpreter(database_url, out, tmp_path)

    assert code in (0, None)
    assert packages(modules, ENGINE_STACK) == []
    saved = orjson.loads(out.read_bytes())
    assert [a["kind"] for a in saved["actions"]] == ["license"] * 3 + ["adopt"] * 3
    # The PlanRecord holds the file's text, as the engine reads it back.
    with session_scope(make_engine(database_url)) as s:
        record = s.execute(select(PlanRecord)).scalar_one()
        assert record.fingerprint == saved["fingerprint"]
        assert record.data == saved


def test_apply_reads_back_the_plan_the_driver_recorded(database_url: str, tmp_path: Path) -> None:
    _setup(tmp_path, database_url)
    assert runner.invoke(app, ["--db", database_url, "--sandbox", "sync"]).exit_code == 0
    out = tmp_path / "plan.json"
    code, _ = plan_in_a_fresh_interpreter(database_url, out, tmp_path)
    assert code in (0, None)
    from_file = Plan.from_data(orjson.loads(out.read_bytes()))

    # What a resumed apply runs without the file: the same plan.
    assert load_plan(make_engine(database_url), from_file.fingerprint).to_data() == from_file.to_data()
    result = runner.invoke(app, ["--db", database_url, "--sandbox", "apply", str(out), "--yes", "--json"])

    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["complete"] is True
    assert data["counts"]["license"]["succeeded"] == 3
    assert Sandbox.load(tmp_path / "sandbox-state.json").licensed_count() == 3
