"""Where the engine gets its Zoom client: the real account, or the in-process sandbox.

The sandbox keeps its state in a JSON file between commands, so that `provision --sandbox sync`,
`plan` and `apply` all see the same simulated account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from provision.errors import NotConfiguredError
from provision.settings import AppSettings
from zoom_client import AsyncZoomClient, ZoomSettings
from zoom_client.settings import credentials_in_env

# A small education account: enough for demos and CLI runs without any setup.
DEFAULT_SANDBOX_SEATS = 1000
DEFAULT_SANDBOX_LARGE_MEETING = {500: 20, 1000: 0}


def default_sandbox() -> Any:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    return Sandbox(
        SandboxConfig(seats=DEFAULT_SANDBOX_SEATS, large_meeting_seats=dict(DEFAULT_SANDBOX_LARGE_MEETING))
    )


@asynccontextmanager
async def open_zoom(settings: AppSettings) -> AsyncIterator[AsyncZoomClient]:
    """An open AsyncZoomClient for the configured account (sandbox state saved back on exit)."""
    if settings.sandbox:
        from zoom_client.sandbox import Sandbox

        path = settings.sandbox_state
        sandbox = Sandbox.load(path) if path.exists() else default_sandbox()
        try:
            async with AsyncZoomClient(sandbox.settings(), transport=sandbox.async_transport()) as client:
                yield client
        finally:
            # Saved even after a failure: what the sandbox did is what Zoom would have done.
            sandbox.save(path)
        return
    if not credentials_in_env():
        raise NotConfiguredError(
            "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET or use --sandbox"
        )
    # Partly configured: from_env names the missing variables (ZoomConfigError, exit 2).
    async with AsyncZoomClient(ZoomSettings.from_env()) as client:
        yield client
