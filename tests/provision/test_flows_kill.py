"""A `provision apply` killed with SIGKILL mid-run, then run again, finishes without acting twice.

The sandbox is served over loopback (it plays Zoom, which outlives the killed process); the
apply runs as a real subprocess of the CLI with the Zoom credentials in its environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import Operation
from provision.run.observe import sync
from tests.cli.envelope import payload
from tests.provision.apply_kit import assert_audited_once, database, seed
from zoom_client import AsyncZoomClient, ZoomSettings

pytestmark = pytest.mark.slow

POLICY_TOML = 'create_action = "autoCreate"\ngrace_days = 0\nuse_groups = false\naddons = {}\n'


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Any, ZoomSettings]]:
    import uvicorn

    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=100, latency=0.03))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(sandbox.asgi_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    inproc = sandbox.settings()
    from urllib.parse import urlsplit

    settings = inproc.model_copy(
        update={
            "api_url": f"http://127.0.0.1:{port}{urlsplit(inproc.api_url).path}",
            "oauth_url": f"http://127.0.0.1:{port}{urlsplit(inproc.oauth_url).path}",
        }
    )
    try:
        yield sandbox, settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _env(settings: ZoomSettings, policy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "PROVISION_", "DATABASE_URL"))}
    env.update(
        ZOOM_ACCOUNT_ID=settings.account_id,
        ZOOM_CLIENT_ID=settings.client_id,
        ZOOM_CLIENT_SECRET=settings.client_secret.get_secret_value(),
        ZOOM_API_URL=settings.api_url,
        ZOOM_OAUTH_URL=settings.oauth_url,
        PROVISION_POLICY=str(policy),
    )
    return env


def _settled(engine: Any) -> int:
    with Session(engine) as session:
        return session.execute(
            select(func.count()).select_from(Operation).where(Operation.state.in_(("sent", "succeeded")))
        ).scalar_one()


def test_apply_killed_mid_run_then_rerun_completes_without_acting_twice(
    tmp_path: Path, sqlite_url: str, served_sandbox: tuple[Any, ZoomSettings]
) -> None:
    sandbox, settings = served_sandbox
    engine = database(sqlite_url)
    teachers = [(f"t{i}@school.example", "0801", "teacher") for i in range(60)]
    seed(engine, {"0801": 100}, teachers)
    for i in range(30):  # half already on Zoom as Basic: licensed in bulk; the rest created
        sandbox.add_user(email=f"t{i}@school.example", type=1)

    async def snapshot() -> None:
        async with AsyncZoomClient(settings) as client:
            await sync(engine, client)

    asyncio.run(snapshot())
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
    env = _env(settings, policy)

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while _settled(engine) < 12 and first.poll() is None and time.monotonic() < deadline:
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
