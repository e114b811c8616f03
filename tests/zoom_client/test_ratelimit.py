"""The per-category limiter: Zoom's figures per tier, endpoint categories, pacing without
serialising, 429 pauses, header figures."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import respx

from zoom_client import AsyncZoomClient, Category, RateLimiter, ZoomSettings
from zoom_client.ratelimit import HEADROOM, RATES, category_for

from .conftest import API, OAUTH, SECRET, TOKEN, FakeClock


@pytest.mark.parametrize(
    ("method", "path", "category"),
    [
        ("GET", "/users", Category.MEDIUM),
        ("POST", "/users", Category.LIGHT),
        ("GET", "/users/summary", Category.MEDIUM),
        ("POST", "/users/features", Category.MEDIUM),
        ("GET", "/users/email", Category.LIGHT),
        ("GET", "/users/u1", Category.LIGHT),
        ("PATCH", "/users/a@b.org", Category.LIGHT),
        ("DELETE", "/users/u1", Category.LIGHT),
        ("PUT", "/users/u1/status", Category.LIGHT),
        ("GET", "/users/u1/settings", Category.MEDIUM),
        ("PATCH", "/users/u1/settings", Category.MEDIUM),
        ("GET", "/groups", Category.MEDIUM),
        ("POST", "/groups", Category.LIGHT),
        ("GET", "/groups/g1", Category.LIGHT),
        ("DELETE", "/groups/g1", Category.LIGHT),
        ("GET", "/groups/g1/members", Category.MEDIUM),
        ("POST", "/groups/g1/members", Category.MEDIUM),
        ("PATCH", "/groups/g1/members/u1", Category.MEDIUM),
        ("DELETE", "/groups/g1/members/u1", Category.LIGHT),
        ("GET", "/accounts/me/plans/usage", Category.HEAVY),
        ("GET", "/accounts", Category.MEDIUM),
        ("GET", "/accounts/sa1", Category.LIGHT),
        ("GET", "/accounts/sa1/users", Category.MEDIUM),
        ("PATCH", "/accounts/sa1/users/u1", Category.LIGHT),
        ("PATCH", "/accounts/sa1/users/u1/settings", Category.MEDIUM),
        ("GET", "/accounts/sa1/groups/g1/members", Category.MEDIUM),
        ("GET", "/meetings/1", Category.MEDIUM),
    ],
)
def test_category_of_each_endpoint(method: str, path: str, category: Category) -> None:
    assert category_for(method, path) is category


@pytest.mark.parametrize(("tier", "share"), [("business_plus", 1.0), ("pro", 1.0), ("business_plus", 0.5)])
def test_rates_follow_tier_and_share(tier: str, share: float) -> None:
    limiter = RateLimiter(tier, share, sleep=FakeClock().sleep)
    expected = {"business_plus": (80, 60, 40, 20 / 60), "pro": (30, 20, 10, 10 / 60)}[tier]
    got = tuple(limiter.stats[c].rate for c in Category)
    assert got == pytest.approx(tuple(r * share for r in expected))


def test_rate_share_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="share"):
        RateLimiter("pro", 0, sleep=FakeClock().sleep)


def test_starts_never_exceed_the_rate_in_any_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter("business_plus", sleep=clock.sleep, clock=clock)
    paced = 60 * HEADROOM
    starts = [clock.now + limiter.reserve(Category.MEDIUM) for _ in range(300)]  # all at once
    for i, start in enumerate(starts):
        in_window = sum(1 for s in starts[i:] if s < start + 1.0 - 1e-9)
        assert in_window <= 60
    assert starts[-1] - starts[0] == pytest.approx(299 / paced)
    assert limiter.counts["Medium"] == 300
    assert limiter.stats[Category.MEDIUM].achieved_rate == pytest.approx(paced)
    assert paced >= 0.95 * 60  # headroom never costs more than a few percent


def test_categories_are_independent() -> None:
    clock = FakeClock()
    limiter = RateLimiter("pro", sleep=clock.sleep, clock=clock)
    for _ in range(20):
        limiter.reserve(Category.MEDIUM)
    assert limiter.reserve(Category.LIGHT) == 0.0
    assert limiter.reserve(Category.MEDIUM) == pytest.approx(20 / (20 * HEADROOM))


def test_pause_pushes_the_next_start_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter("business_plus", sleep=clock.sleep, clock=clock)
    limiter.pause(Category.LIGHT, 2.0)
    assert limiter.reserve(Category.LIGHT) == pytest.approx(2.0)
    assert limiter.stats[Category.LIGHT].throttled == 1


async def test_a_pause_voids_the_starts_booked_before_it() -> None:
    """A call already waiting for its slot when Zoom answers 429 starts after the pause, not on
    time into the refusals that caused it."""
    now = 100.0
    slept: list[float] = []
    paused = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await paused.wait()  # the clock stands still: only the pause happens meanwhile

    limiter = RateLimiter("pro", sleep=sleep, clock=lambda: now)
    await limiter.acquire(Category.MEDIUM)  # the first start is now
    waiting = asyncio.create_task(limiter.acquire(Category.MEDIUM))
    await asyncio.sleep(0)
    assert slept == [pytest.approx(1 / (20 * HEADROOM))]
    limiter.pause(Category.MEDIUM, 1.0)
    paused.set()
    await waiting
    assert slept[1:] == [pytest.approx(1.0)]  # booked again, after the pause
    assert limiter.stats[Category.MEDIUM].calls == 2


async def test_headers_are_kept_for_figures(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users/u1").respond(
        200,
        json={"id": "u1", "email": "a@x", "type": 1},
        headers={"X-RateLimit-Limit": "80", "X-RateLimit-Remaining": "79", "X-RateLimit-Category": "Light"},
    )
    await client.users.get("u1")
    light = client.limiter.stats[Category.LIGHT]
    assert (light.limit, light.remaining, light.calls) == (80, 79, 1)


async def test_concurrent_requests_run_at_the_limit_not_one_by_one() -> None:
    """Real time, fast rate: 60 calls of 50 ms each finish in ~0.3 s, not 3 s (serialised)."""
    router = respx.MockRouter(assert_all_called=False)
    router.post(OAUTH).respond(200, json={"access_token": TOKEN, "expires_in": 3600})

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={})

    router.get(f"{API}/users/summary").mock(side_effect=slow)
    settings = ZoomSettings(account_id="a", client_id="c", client_secret=SECRET, api_url=API, oauth_url=OAUTH)
    async with AsyncZoomClient(settings, transport=httpx.MockTransport(router.async_handler)) as zoom:
        zoom.limiter.stats[Category.MEDIUM].rate = 200.0  # keep the test short
        started = time.perf_counter()
        await asyncio.gather(*(zoom.users.summary() for _ in range(60)))
        elapsed = time.perf_counter() - started
    assert elapsed < 1.2, f"60 paced calls took {elapsed:.2f} s: the limiter serialises requests"
    assert elapsed >= 59 / 200  # but the starts were paced
    assert zoom.limiter.counts["Medium"] == 60


def test_published_figures() -> None:
    assert RATES["business_plus"][Category.LIGHT] == 80
    assert RATES["pro"][Category.HEAVY] == 10
