"""Zoom as another process would be: the sandbox served over loopback, and a CLI run pointed at it.

For tests that kill `provision apply` (SIGKILL) and run it again: Zoom must outlive the process.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlmodel import Session

from models import Operation
from zoom_client import ZoomSettings


@contextmanager
def served(sandbox: Any) -> Iterator[ZoomSettings]:
    """Serve `sandbox` on a free loopback port for the block; the settings that reach it."""
    import uvicorn

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
    try:
        yield inproc.model_copy(
            update={
                "api_url": f"http://127.0.0.1:{port}{urlsplit(inproc.api_url).path}",
                "oauth_url": f"http://127.0.0.1:{port}{urlsplit(inproc.oauth_url).path}",
            }
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def cli_env(settings: ZoomSettings, policy: Path) -> dict[str, str]:
    """The environment of a CLI subprocess: these Zoom credentials and policy, nothing of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "PROVISION_", "DATABASE_URL"))}
    env.update(
        ZOOM_ACCOUNT_ID=settings.account_id,
        ZOOM_CLIENT_ID=settings.client_id,
        ZOOM_CLIENT_SECRET=settings.client_secret.get_secret_value(),
        ZOOM_API_URL=settings.api_url,
        ZOOM_OAUTH_URL=settings.oauth_url,
        ZOOM_RATE_SHARE=str(settings.rate_share),
        PROVISION_POLICY=str(policy),
    )
    return env


def synced(engine: Any, settings: ZoomSettings) -> None:
    """`sync` from the served sandbox into `engine`, as `provision sync` would."""
    import asyncio

    from provision.run.observe import sync
    from zoom_client import AsyncZoomClient

    async def run() -> None:
        async with AsyncZoomClient(settings) as client:
            await sync(engine, client)

    asyncio.run(run())


def settled(engine: Any) -> int:
    """Operations sent or done: how far a run got before it was killed."""
    with Session(engine) as session:
        return session.execute(
            select(func.count()).select_from(Operation).where(Operation.state.in_(("sent", "succeeded")))
        ).scalar_one()
