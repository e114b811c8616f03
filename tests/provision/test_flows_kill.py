"""A `provision apply` killed with SIGKILL mid-run, then run again, finishes without acting twice.

The sandbox is served over loopback (it plays Zoom, which outlives the killed process); the
apply runs as a real subprocess of the CLI with the Zoom credentials in its environment.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import Operation
from tests.cli.envelope import payload
from tests.provision.apply_kit import assert_audited_once, database, seed
from tests.provision.served_kit import cli_env, served, settled, synced
from zoom_client import ZoomSettings

pytestmark = pytest.mark.slow

POLICY_TOML = 'create_action = "autoCreate"\ngrace_days = 0\nuse_groups = false\naddons = {}\n'


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Any, ZoomSettings]]:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100, latency=0.03))
    with served(sandbox) as settings:
        yield sandbox, settings


def test_apply_killed_mid_run_then_rerun_completes_without_acting_twice(
    tmp_path: Path, sqlite_url: str, served_sandbox: tuple[Any, ZoomSettings]
) -> None:
    sandbox, settings = served_sandbox
    engine = database(sqlite_url)
    teachers = [(f"t{i}@school.example", "0801", "teacher") for i in range(60)]
    seed(engine, {"0801": 100}, teachers)
    for i in range(30):  # half already on Zoom as Basic: licensed in bulk; the rest created
        sandbox.add_user(email=f"t{i}@school.example", type=1)

    synced(engine, settings)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    cmd = [
        str(Path(sys.executable).parent / "provision"),
        "--db",
        sqlite_url,
        "--actor",
        "test",
        "apply",
        "--yes",
        "--json",
    ]
    env = cli_env(settings, policy)

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while settled(engine) < 12 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.poll() is None, "apply finished before it could be killed: raise the latency"
    first.send_signal(signal.SIGKILL)
    first.wait()
    with Session(engine) as session:
        states = dict(session.execute(select(Operation.state, func.count()).group_by(Operation.state)).all())
    assert states.get("pending", 0) > 0  # really interrupted
    assert states.get("sent", 0) > 0  # with requests whose answers never arrived

    second = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert second.returncode == 0, second.stderr
    result = payload(second.stdout)
    assert result["complete"] is True
    users = {u["email"]: u for u in sandbox.users()}
    assert all(users[email]["type"] == 2 for email, _, _ in teachers)
    creates = [r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users")]
    # Each of the 30 new users was created once: no resend ran into "already exists".
    assert sum(1 for r in creates if r.status == 201) == 30
    assert [r for r in creates if r.status == 409] == []
    assert_audited_once(engine)
