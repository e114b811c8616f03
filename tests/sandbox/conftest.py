"""Fixtures: a sandbox, and clients wired to it in-process (no socket) that never really sleep."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import pytest

from zoom_client import AsyncZoomClient, ZoomClient
from zoom_client.sandbox import Sandbox, SandboxConfig

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


class Sleeps:
    """Records the client's waits (backoff, pacing) instead of sleeping through them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    def sync(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(
        SandboxConfig(managed_domains=MANAGED, seats=5, large_meeting_seats={500: 2, 1000: 1}, seed=1)
    )


@pytest.fixture
async def zoom(sb: Sandbox, sleeps: Sleeps) -> AsyncIterator[AsyncZoomClient]:
    async with AsyncZoomClient(
        sb.settings(), transport=sb.async_transport(), sleep=sleeps, rng=random.Random(3)
    ) as client:
        yield client


@pytest.fixture
def sync_zoom(sb: Sandbox, sleeps: Sleeps) -> Iterator[ZoomClient]:
    with ZoomClient(sb.settings(), transport=sb.transport(), sleep=sleeps.sync) as client:
        yield client
