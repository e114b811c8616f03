"""apply asks Zoom for its token and, where the first change needs seats, the plan-usage read
before it journals anything (provision.run.apply._Early); adoptions are journaled once the first
`sent` mark is written. Through the CLI against a served sandbox (sync, then `provision apply`
plans and applies): the seat read still comes before every license and after every downgrade, a
run killed as its first calls leave is finished by the next one, and no seat is handed out
beyond what Zoom has free at apply time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
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
from zoom_client.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.slow

DOMAIN = "school.example"
POLICY_TOML = 'create_action = "autoCreate"\ngrace_days = 0\nuse_groups = false\naddons = {}\n'


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Sandbox, ZoomSettings]]:
    sandbox = Sandbox(SandboxConfig(managed_domains=[DOMAIN], seats=500, latency=0.1))
    with served(sandbox) as settings:
        yield sandbox, settings


def _apply_cmd(url: str) -> list[str]:
    provision = str(Path(sys.executable).parent / "provision")
    return [provision, "--db", url, "--actor", "test", "apply", "--yes", "--json"]


def _index(log: list[Any], start: int, predicate: Any) -> list[int]:
    return [i for i, r in enumerate(log[start:], start) if predicate(r)]


def _usage_reads(log: list[Any]) -> list[int]:
    return _index(log, 0, lambda r: r.path.endswith("/plans/usage"))


def test_killed_as_first_calls_leave_then_rerun_finishes_within_the_seats_zoom_has(
    tmp_path: Path, sqlite_url: str, served_sandbox: tuple[Sandbox, ZoomSettings]
) -> None:
    sandbox, settings = served_sandbox
    engine = database(sqlite_url)
    teachers = [(f"t{i:03d}@{DOMAIN}", "0801", "teacher") for i in range(600)]
    seed(engine, {"0801": 600}, teachers)
    for email, _, _ in teachers:  # all on Zoom as Basic: 500 seats, so 500 licenses planned
        sandbox.add_user(email=email, type=1)
    synced(engine, settings)
    # Licensed on Zoom after the sync, by someone else: the plan does not know, the seat read must.
    for i in range(20):
        sandbox.add_user(email=f"other{i}@{DOMAIN}", type=2)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    env = cli_env(settings, policy)
    start = len(sandbox.request_log)

    first = subprocess.Popen(
        _apply_cmd(sqlite_url), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    deadline = time.monotonic() + 60
    while settled(engine) < 1 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert first.poll() is None, "apply finished before it could be killed: raise the latency"
    first.send_signal(signal.SIGKILL)
    first.wait()
    with Session(engine) as session:
        states = dict(session.execute(select(Operation.state, func.count()).group_by(Operation.state)).all())
    assert states.get("pending", 0) > 0  # really interrupted
    assert states.get("sent", 0) > 0  # with license calls whose answers never arrived
    log = sandbox.request_log
    licenses = _index(log, start, lambda r: r.path.endswith("/users/features"))
    reads = _usage_reads(log[start:])
    assert len(reads) == 1
    assert not licenses or start + reads[0] < licenses[0]  # the seats read before any license
    killed_at = len(log)

    second = subprocess.run(_apply_cmd(sqlite_url), env=env, capture_output=True, text=True, cwd=tmp_path)

    assert second.returncode == 1, second.stderr  # 20 licenses blocked: no seat left for them
    result = payload(second.stdout)
    assert result["counts"]["license"]["blocked"] == 20
    assert result["failed"] == 0
    assert result["pending"] == 0
    assert len(_usage_reads(sandbox.request_log[killed_at:])) == 1
    users = {u["email"]: u for u in sandbox.users()}
    assert sum(1 for u in users.values() if u["type"] == 2) == 500  # every seat, never one more
    # Nothing sent twice: each teacher's license written at most once, over both runs.
    writes = Counter(
        user
        for r in sandbox.request_log
        if r.method == "POST" and r.path.endswith("/users/features") and 200 <= r.status < 300
        for user in r.users
    )
    assert len(writes) == 480
    assert max(writes.values()) == 1
    assert_audited_once(engine)


def test_the_seat_read_follows_the_downgrades_sent_before_it(
    tmp_path: Path, sqlite_url: str, served_sandbox: tuple[Sandbox, ZoomSettings]
) -> None:
    sandbox, settings = served_sandbox
    engine = database(sqlite_url)
    people = [(f"s{i}@{DOMAIN}", "0801", "student") for i in range(3)]
    people += [(f"t{i}@{DOMAIN}", "0801", "teacher") for i in range(40)]
    seed(engine, {"0801": 100}, people)
    for email, _, role in people:
        sandbox.add_user(email=email, type=2 if role == "student" else 1)
    synced(engine, settings)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    start = len(sandbox.request_log)

    run = subprocess.run(
        _apply_cmd(sqlite_url), env=cli_env(settings, policy), capture_output=True, text=True, cwd=tmp_path
    )

    assert run.returncode == 0, run.stderr
    assert payload(run.stdout)["complete"] is True
    log = sandbox.request_log
    students = {u[key] for u in sandbox.users() if u["email"].startswith("s") for key in ("id", "email")}
    downgrades = _index(log, start, lambda r: r.method != "GET" and students & set(r.users))
    licenses = _index(
        log, start, lambda r: r.path.endswith("/users/features") and not students & set(r.users)
    )
    reads = _index(log, start, lambda r: r.path.endswith("/plans/usage"))
    assert downgrades
    assert licenses
    assert len(reads) == 1
    # Read once the downgrades were answered (the seats they free counted), before any license.
    assert max(downgrades) < reads[0] < min(licenses)
    assert all(u["type"] == (1 if u["email"].startswith("s") else 2) for u in sandbox.users())
