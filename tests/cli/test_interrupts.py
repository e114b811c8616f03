"""Ctrl-C and SIGTERM on real processes: a clean stop within seconds, exit 130, and a rerun that
finishes the job without sending anything twice.

Zoom is the sandbox served in its own process (as Zoom is another machine): a process that exits
at once on a second Ctrl-C loses nothing Zoom already did.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_sandbox_cli import _client, _start, _stop

PEOPLE = 150
CLI = [sys.executable, "-c", "from provision.cli import main; main()"]

pytestmark = pytest.mark.slow


def _provision(
    cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=full_env)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _operations(cwd: Path) -> dict[str, int]:
    with sqlite3.connect(cwd / "provision.db") as conn:
        return dict(conn.execute("SELECT state, count(*) FROM operation GROUP BY state").fetchall())


@pytest.fixture
def zoom() -> Iterator[dict[str, str]]:
    """Zoom's settings (ZOOM_*) for a sandbox served in its own process, answering in 50 ms."""
    server, env, _ = _start("--seats", str(PEOPLE), "--latency", "0.05")
    _client(env).close()  # listening
    try:
        yield env
    finally:
        _stop(server)


@pytest.fixture
def account(tmp_path: Path, zoom: dict[str, str]) -> Path:
    """A school of PEOPLE teachers to create and license; Zoom has none of them yet."""
    (tmp_path / "schools.csv").write_text(f"code,name,region,seats\n0421,Ліцей 421,Київ,{PEOPLE}\n")
    lines = ["school,email,first name,last name,role"]
    lines += [f"0421,teacher{i}@school0421.edu.ua,Олена,Коваль{i},teacher" for i in range(PEOPLE)]
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _provision(tmp_path, "import", "schools", "schools.csv")
    _provision(tmp_path, "import", "roster", "roster.csv")
    _provision(tmp_path, "sync", env=zoom)
    return tmp_path


def _start_apply(cwd: Path, zoom: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [*CLI, "apply", "--yes", "--json"],
        env={**os.environ, **zoom},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _operations(cwd).get("succeeded", 0) == 0 if (cwd / "provision.db").exists() else True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "apply never started"
        time.sleep(0.05)
    return proc


def _finish_and_check(cwd: Path, zoom: dict[str, str]) -> None:
    rerun = _provision(cwd, "--debug", "apply", "--yes", "--json", env=zoom)
    assert json.loads(rerun.stdout)["data"]["complete"] is True
    assert _operations(cwd) == {"succeeded": PEOPLE}
    with _client(zoom) as client:
        teachers = [u.email for u in client.users.list(status="pending")]
    assert len(teachers) == len(set(teachers)) == PEOPLE  # every teacher once: nothing created twice


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_apply_within_seconds_and_a_rerun_finishes_it(
    account: Path, zoom: dict[str, str], signum: int
) -> None:
    proc = _start_apply(account, zoom)
    proc.send_signal(signum)
    sent_at = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent_at < 10  # ~1 s on an idle machine; the watchdog ends it by 15 s
    report = json.loads(out)
    assert report["data"]["interrupted"] is True
    assert report["error"]["exit_code"] == 130
    assert "run `provision apply` to resume" in report["error"]["message"]
    left = report["data"]["operations"]
    assert left.get("pending", 0) + left.get("sent", 0) > 0  # really stopped half way
    assert left == _operations(account)
    _finish_and_check(account, zoom)


def test_a_second_ctrl_c_exits_at_once_and_the_journal_holds(account: Path, zoom: dict[str, str]) -> None:
    proc = _start_apply(account, zoom)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Task was destroyed" not in err
    _finish_and_check(account, zoom)


def test_an_interrupted_import_commits_nothing(tmp_path: Path) -> None:
    (tmp_path / "schools.csv").write_text("code,name,region,seats\n0421,Ліцей 421,Київ,3\n")
    _provision(tmp_path, "import", "schools", "schools.csv")
    lines = ["school,email,first name,last name,role"]
    lines += [f"0421,t{i}@school0421.edu.ua,Олена,Коваль,teacher" for i in range(200_000)]
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [*CLI, "import", "roster", "big.csv"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / "provision.db.rosters.lock"  # taken when the import starts its work
    deadline = time.monotonic() + 60
    while not lock.exists() or lock.stat().st_size == 0:
        assert proc.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "nothing was committed" in err
    with sqlite3.connect(tmp_path / "provision.db") as conn:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (0,)
