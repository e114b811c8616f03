"""400 people, 350 seats, 5% faults, an apply killed with SIGKILL mid-run, then reruns: every one of
the 350 seats ends up used, under both readings of plan usage's `usage` (issue 12, ask 2).

Measured before: 322-345 seats, never 350, because pending invitations were subtracted twice when
Zoom's `usage` already counts them. The sandbox is served over loopback (Zoom outlives the killed
process); apply runs as a real CLI subprocess.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from provision.core.policy import Policy
from provision.run.observe import sync
from provision.store.planning import make_plan
from tests.provision.apply_kit import database, seed
from tests.provision.served_kit import cli_env, served, settled
from zoom_client import AsyncZoomClient
from zoom_client.sandbox import Sandbox, SandboxConfig
from zoom_client.sandbox.config import FaultConfig

pytestmark = pytest.mark.slow

DOMAIN = "school.example"
POLICY_TOML = 'create_action = "create"\ngrace_days = 0\nuse_groups = false\naddons = {}\n'


def _seats_used(sandbox: Sandbox) -> int:
    return sum(1 for u in sandbox.users() if u["type"] == 2 and u["status"] in ("active", "pending"))


@pytest.mark.parametrize("pending_in_usage", [False, True], ids=["pending-apart", "pending-in-usage"])
def test_killed_apply_with_faults_then_reruns_uses_every_seat(
    pending_in_usage: bool, tmp_path: Path, sqlite_url: str
) -> None:
    sandbox = Sandbox(
        SandboxConfig(
            seats=350,
            pending_in_usage=pending_in_usage,
            latency=0.0,
            seed=12,
            faults=FaultConfig(error_rate=0.03, drop_after_write_rate=0.02),
        )
    )
    engine = database(sqlite_url)
    schools = {f"09{n:02d}": 50 for n in range(8)}
    people = [(f"p{i:03d}@{DOMAIN}", f"09{i % 8:02d}", "teacher") for i in range(400)]
    seed(engine, schools, people)
    for email, _, _ in people[::4]:  # a quarter already on Zoom as Basic: licensed in bulk
        sandbox.add_user(email=email, type=1)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    provision = str(Path(sys.executable).parent / "provision")
    apply = [provision, "--db", sqlite_url, "--actor", "test", "apply", "--yes", "--json"]

    with served(sandbox) as settings:

        async def snapshot() -> None:
            async with AsyncZoomClient(settings) as client:
                await sync(engine, client)

        env = cli_env(settings, policy)
        asyncio.run(snapshot())
        first = subprocess.Popen(apply, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        deadline = time.monotonic() + 30
        while settled(engine) < 80 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.poll() is None, "apply finished before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert 0 < _seats_used(sandbox) < 350

        # The operator's reruns: finish the killed plan, then sync and apply until nothing is left.
        codes = []
        for _ in range(4):
            done = subprocess.run(apply, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60)
            codes.append(done.returncode)
            asyncio.run(snapshot())
            if done.returncode == 0 and _seats_used(sandbox) == 350:
                break

    assert _seats_used(sandbox) == 350, codes
    # The 50 beyond the seats wait, and a fresh plan has nothing left to do.
    with Session(engine) as session:
        plan = make_plan(session, Policy(create_action="create", grace_days=0, use_groups=False, addons={}))
    assert plan.summary.totals.seats_free_before == 0
    assert len(plan.waiting) == 50
    assert [a for a in plan.actions if a.kind in ("license", "create") and a.payload.type == 2] == []
