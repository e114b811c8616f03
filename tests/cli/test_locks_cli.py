"""Commands that share state take its lock: a second one is refused naming the holder, or waits.

Each holder is a real process (an apply, a sync or an import stands behind it in production).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app

runner = CliRunner()

_HOLDER = """
import sys, time
from models.db import make_engine
from models.locks import operation_lock, lock_owner
lock_owner.set("olena: provision " + sys.argv[3])
with operation_lock(make_engine(sys.argv[1]), sys.argv[2], shared=sys.argv[4] == "shared"):
    print("held", flush=True)
    time.sleep(float(sys.argv[5]))
"""


def _hold(
    url: str, name: str, command: str, *, shared: bool = False, seconds: float = 60
) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _HOLDER,
            url,
            name,
            command,
            "shared" if shared else "exclusive",
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def holders() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'provision.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    return url


def _schools(tmp_path: Path) -> Path:
    path = tmp_path / "schools.csv"
    path.write_text("code,name,region,seats\n0421,Ліцей 421,Київ,3\n", encoding="utf-8")
    return path


def test_sync_during_an_apply_is_refused_naming_the_apply(db: str, holders: list) -> None:
    holders.append(_hold(db, "apply", "apply"))
    result = runner.invoke(app, ["--db", db, "--sandbox", "sync"])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "olena: provision apply" in message
    assert f"pid {holders[0].pid}" in message
    assert "--wait" in message


def test_sync_waits_for_an_apply_that_finishes(db: str, holders: list) -> None:
    holders.append(_hold(db, "apply", "apply", seconds=1.5))
    result = runner.invoke(app, ["--db", db, "--sandbox", "--wait", "30", "sync", "--json"])
    assert result.exit_code == 0, result.output


def test_waiting_runs_out_and_says_how_long_it_waited(db: str, holders: list) -> None:
    holders.append(_hold(db, "apply", "apply"))
    result = runner.invoke(app, ["--db", db, "--sandbox", "--wait", "1", "sync"])
    assert result.exit_code == 1
    assert "after waiting 1 s" in " ".join(result.output.split())


def test_import_during_a_plan_is_refused_and_changes_nothing(db: str, holders: list, tmp_path: Path) -> None:
    holders.append(_hold(db, "rosters", "plan", shared=True))
    result = runner.invoke(app, ["--db", db, "import", "schools", str(_schools(tmp_path))])
    assert result.exit_code == 1
    assert "holds the rosters lock" in " ".join(result.output.split())
    listing = runner.invoke(app, ["--db", db, "schools", "--json"])
    assert "0421" not in listing.output


def test_plan_during_an_import_is_refused_naming_the_import(db: str, holders: list) -> None:
    holders.append(_hold(db, "rosters", "import roster big.xlsx"))
    result = runner.invoke(app, ["--db", db, "--sandbox", "plan"])
    assert result.exit_code == 1
    assert "olena: provision import roster big.xlsx" in " ".join(result.output.split())


def test_two_plans_share_the_rosters_lock(db: str, holders: list, tmp_path: Path) -> None:
    assert runner.invoke(app, ["--db", db, "import", "schools", str(_schools(tmp_path))]).exit_code == 0
    assert runner.invoke(app, ["--db", db, "--sandbox", "sync"]).exit_code == 0
    holders.append(_hold(db, "rosters", "plan", shared=True))
    result = runner.invoke(app, ["--db", db, "--sandbox", "plan", "--json"])
    assert result.exit_code == 0, result.output
