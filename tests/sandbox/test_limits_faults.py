"""Rate limits (per-second categories, daily create cap) and every fault kind, seeded."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from zoom_client import AsyncZoomClient
from zoom_client.errors import RateLimitError, ServerError, ZoomConnectionError, ZoomTimeoutError
from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig
from zoom_client.sandbox.wire import DROP_AFTER

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


def _client(sb: Sandbox, sleeps: object, **settings: object) -> AsyncZoomClient:
    return AsyncZoomClient(
        sb.settings(**settings),
        transport=sb.async_transport(),
        sleep=sleeps,
        rng=random.Random(1),  # type: ignore[arg-type]
    )


def test_per_second_limit_answers_429_with_zoom_headers() -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, tier="pro", rate_limits=True))
    token = sb.process(
        "POST",
        "/oauth/token",
        "grant_type=account_credentials&account_id=sandbox-account",
        {
            "authorization": "Basic "
            + __import__("base64").b64encode(b"sandbox-client:sandbox-secret").decode()
        },
        b"",
    )
    auth = {"authorization": "Bearer " + __import__("json").loads(token.body)["access_token"]}
    replies = [sb.process("GET", "/v2/users/summary", "", auth, b"") for _ in range(25)]
    statuses = [r.status for r in replies]
    assert statuses.count(200) == 20
    assert statuses.count(429) == 5
    first, last = replies[0].headers, replies[-1].headers
    assert first["X-RateLimit-Category"] == "Medium"
    assert first["X-RateLimit-Type"] == "QPS"
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("20", "19")
    assert last["X-RateLimit-Remaining"] == "0"
    assert b"maximum per-second rate limit" in replies[-1].body
    # Light has its own budget in the same second
    assert sb.process("GET", "/v2/users/x@s.org", "", auth, b"").status == 404
    sb.clock.advance(1.0)
    assert sb.process("GET", "/v2/users/summary", "", auth, b"").status == 200


async def test_daily_create_cap_is_429_with_iso_retry_after(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, daily_create_cap=2))
    async with _client(sb, sleeps) as zoom:
        for i in range(2):
            await zoom.users.create(email=f"c{i}@s.org", type=1, action="create")
        await zoom.users.create(email="auto@s.org", type=1, action="autoCreate")  # not capped
        with pytest.raises(RateLimitError) as err:
            await zoom.users.create(email="c9@s.org", type=1, action="create")
    assert err.value.limit_type == "Daily-limit"
    assert err.value.category == "Light"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert err.value.retry_at == tomorrow
    assert sb.find_user("c9@s.org") is None


async def test_server_errors_are_retried_then_raised(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seed=5, faults=FaultConfig(error_rate=1.0)))
    async with _client(sb, sleeps, max_retries=2) as zoom:
        with pytest.raises(ServerError):
            await zoom.users.summary()
    api = [r for r in sb.request_log if r.category != "OAuth"]
    assert len(api) == 3
    assert all(r.status in (500, 502, 503) for r in api)


async def test_drop_after_write_changes_state_and_the_client_resolves_it(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seed=2))
    user = sb.add_user(email="t@s.org")
    async with _client(sb, sleeps) as zoom:
        await zoom.users.summary()  # a token first
        sb.faults.drop_after_write_rate = 1.0
        with pytest.raises(ZoomConnectionError):
            await zoom.users.set_type(user["id"], 2)
        assert sb.licensed_count() == 1  # the write happened although every answer was lost

        # One lost answer, healed during the backoff: the retried create answers 409/1005 and
        # the client reads the user back instead of failing or creating twice.
        requester = zoom._requester
        original = requester._sleep

        async def sleep_and_heal(seconds: float) -> None:
            sb.faults.drop_after_write_rate = 0.0
            await original(seconds)

        requester._sleep = sleep_and_heal
        created = await zoom.users.create(email="new@s.org", type=1, action="autoCreate")
    posts = [r for r in sb.request_log if r.method == "POST" and r.path == "/users"]
    assert [(r.status, r.fault) for r in posts] == [(0, DROP_AFTER), (409, None)]
    assert created.email == "new@s.org"
    assert [u["email"] for u in sb.users()].count("new@s.org") == 1


async def test_drop_before_write_leaves_state_unchanged(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, faults=FaultConfig(drop_before_write_rate=1.0)))
    user = sb.add_user(email="u@s.org")
    with httpx.Client(transport=sb.transport()) as raw, pytest.raises(httpx.RemoteProtocolError):
        raw.patch(f"https://sandbox.zoom.invalid/v2/users/{user['id']}", json={"type": 2})
    assert sb.licensed_count() == 0


async def test_timeouts_happen_after_the_write(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, faults=FaultConfig(timeout_rate=1.0)))
    user = sb.add_user(email="u@s.org")
    async with _client(sb, sleeps, max_retries=1) as zoom:
        with pytest.raises(ZoomTimeoutError):
            await zoom.users.set_type(user["id"], 2)
    assert sb.licensed_count() == 1


async def test_429_storm_is_waited_out(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seed=11, faults=FaultConfig(storm_429=0.5)))
    async with _client(sb, sleeps) as zoom:
        for i in range(10):
            await zoom.users.create(email=f"s{i}@s.org", type=1, action="autoCreate")
    storms = [r for r in sb.request_log if r.status == 429]
    assert storms
    assert len(sb.users()) == 10


async def test_die_after_writes_then_revive(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, faults=FaultConfig(die_after_writes=3)))
    async with _client(sb, sleeps, max_retries=1) as zoom:
        for i in range(3):
            await zoom.users.create(email=f"d{i}@s.org", type=1, action="autoCreate")
        with pytest.raises(ZoomConnectionError):
            await zoom.users.summary()
        sb.revive()
        assert (await zoom.users.summary()).total_users_count == 3


def test_same_seed_replays_the_same_faults() -> None:
    def run(seed: int) -> list[tuple[int, str | None]]:
        sb = Sandbox(
            SandboxConfig(
                managed_domains=MANAGED,
                seed=seed,
                faults=FaultConfig(error_rate=0.3, drop_after_write_rate=0.2),
            )
        )
        auth = {"authorization": "Bearer x"}
        return [
            (r.status, r.fault) for r in (sb.process("GET", "/v2/users", "", auth, b"") for _ in range(40))
        ]

    assert run(7) == run(7)
    assert run(7) != run(8)


async def test_latency_range_is_slept(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, latency=(0.01, 0.02)))
    reply = sb.process("GET", "/v2/users", "", {}, b"")
    assert 0.01 <= reply.delay <= 0.02


def test_request_log_of_a_long_running_server_is_bounded() -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, request_log_limit=10))
    for _ in range(35):
        sb.process("GET", "/v2/users", "", {}, b"")
    assert 10 <= len(sb.request_log) <= 20
    assert all(r.status == 401 for r in sb.request_log)
