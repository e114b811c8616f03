"""Fixtures for the Zoom client: settings with a known secret, a fake clock whose sleep is
recorded (never slept), a respx router with the token endpoint, and clients wired to both."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from zoom_client import AsyncZoomClient, ZoomClient, ZoomSettings

API = "https://api.zoom.test/v2"
OAUTH = "https://zoom.test/oauth/token"
SECRET = "cl1ent-S3CRET-value-xyz"
TOKEN = "access-TOKEN-0001-abcdefgh"
TOKEN2 = "access-TOKEN-0002-ijklmnop"


class FakeClock:
    """Monotonic seconds that move only when the client sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is

    def sync_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> ZoomSettings:
    return ZoomSettings(
        account_id="acct-123", client_id="client-abc", client_secret=SECRET, api_url=API, oauth_url=OAUTH
    )


@pytest.fixture
def router() -> respx.MockRouter:
    """A router (not patching httpx globally) with the S2S token endpoint mocked."""
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.post(OAUTH, name="token").mock(
        return_value=httpx.Response(
            200, json={"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600}
        )
    )
    return router


@pytest.fixture
async def client(
    settings: ZoomSettings, router: respx.MockRouter, clock: FakeClock
) -> AsyncIterator[AsyncZoomClient]:
    async with AsyncZoomClient(
        settings,
        transport=httpx.MockTransport(router.async_handler),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(7),
    ) as zoom:
        yield zoom


@pytest.fixture
def sync_client(settings: ZoomSettings, router: respx.MockRouter, clock: FakeClock) -> Iterator[ZoomClient]:
    with ZoomClient(
        settings, transport=httpx.MockTransport(router.handler), sleep=clock.sync_sleep, clock=clock
    ) as zoom:
        yield zoom
