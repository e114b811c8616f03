"""Retries: backoff on 5xx/connection errors/timeouts, Retry-After in every form, daily limits,
and the create that is never blindly repeated. Sleeps are recorded by the fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
import time_machine

from zoom_client import (
    AsyncZoomClient,
    BadRequestError,
    ConflictError,
    RateLimitError,
    ServerError,
    ZoomConnectionError,
    ZoomTimeoutError,
)

from .conftest import API, FakeClock

NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
QPS_BODY = {"code": 429, "message": "You have reached the maximum per-second rate limit for this API."}


def backoff_ok(delays: list[float]) -> bool:
    """Each delay is 0.5·2ⁿ (capped at 8) times a jitter factor in [0.75, 1]."""
    return all(0.75 * min(8, 0.5 * 2**n) <= d <= min(8, 0.5 * 2**n) for n, d in enumerate(delays))


async def test_5xx_backs_off_exponentially_then_succeeds(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{API}/users/summary").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(503),
            httpx.Response(200, json={"total_users_count": 1}),
        ]
    )
    assert (await client.users.summary()).total_users_count == 1
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert backoff_ok(clock.sleeps)
    assert clock.sleeps[1] > clock.sleeps[0]


async def test_5xx_gives_up_after_max_retries(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{API}/users/summary").respond(502, json={"code": 502, "message": "Bad gateway"})
    with pytest.raises(ServerError) as info:
        await client.users.summary()
    assert info.value.status == 502
    assert route.call_count == 4  # the first try and max_retries=3 more
    assert len(clock.sleeps) == 3
    assert backoff_ok(clock.sleeps)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), ZoomConnectionError),
        (httpx.ReadTimeout("slow"), ZoomTimeoutError),
        (httpx.RemoteProtocolError("reset"), ZoomConnectionError),
        (httpx.PoolTimeout("pool"), ZoomTimeoutError),
    ],
)
async def test_transport_errors_retried_then_mapped(
    client: AsyncZoomClient,
    router: respx.MockRouter,
    clock: FakeClock,
    exc: Exception,
    expected: type[Exception],
) -> None:
    route = router.get(f"{API}/users/summary").mock(side_effect=exc)
    with pytest.raises(expected) as info:
        await client.users.summary()
    assert not isinstance(info.value, httpx.HTTPError)
    assert route.call_count == 4
    assert backoff_ok(clock.sleeps)


async def test_transport_error_then_success(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.get(f"{API}/users/summary").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"total_users_count": 2})]
    )
    assert (await client.users.summary()).total_users_count == 2


async def test_4xx_is_not_retried(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.patch(f"{API}/users/u1").respond(400, json={"code": 2034, "message": "no seats"})
    with pytest.raises(BadRequestError):
        await client.users.set_type("u1", 2)
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        (format_datetime(NOW + timedelta(seconds=3), usegmt=True), 3.0),
        ((NOW + timedelta(seconds=5)).isoformat().replace("+00:00", "Z"), 5.0),
    ],
    ids=["seconds", "fraction", "http-date", "iso"],
)
async def test_per_second_429_honours_retry_after(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock, retry_after: str, wait: float
) -> None:
    route = router.get(f"{API}/users/summary").mock(
        side_effect=[
            httpx.Response(
                429,
                json=QPS_BODY,
                headers={
                    "Retry-After": retry_after,
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Category": "Medium",
                },
            ),
            httpx.Response(200, json={}),
        ]
    )
    with time_machine.travel(NOW, tick=False):
        await client.users.summary()
    assert route.call_count == 2
    assert clock.sleeps == [pytest.approx(wait)]
    assert client.limiter.counts["Medium"] == 2


async def test_429_without_headers_waits_about_a_second(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{API}/users/summary").mock(
        side_effect=[httpx.Response(429, json=QPS_BODY), httpx.Response(200, json={})]
    )
    await client.users.summary()
    assert clock.sleeps == [1.0]  # Zoom's window is one second


async def test_daily_limit_raises_with_reset_time_and_never_sleeps(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    reset = "2026-03-03T00:00:00Z"
    route = router.post(f"{API}/users").respond(
        429,
        json={"code": 429, "message": "You have reached the maximum daily rate limit for this API."},
        headers={"Retry-After": reset, "X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Light"},
    )
    with time_machine.travel(NOW, tick=False), pytest.raises(RateLimitError) as info:
        await client.users.create(email="t@x.org")
    err = info.value
    assert err.limit_type == "Daily-limit"
    assert err.retry_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert err.category == "Light"
    assert "retry at 2026-03-03T00:00:00+00:00" in str(err)
    assert route.call_count == 1
    assert clock.sleeps == []


async def test_far_retry_after_is_treated_as_daily(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{API}/users").respond(429, json=QPS_BODY, headers={"Retry-After": "7200"})
    with pytest.raises(RateLimitError) as info:
        await client.users.list().to_list()
    assert info.value.retry_at is not None
    assert info.value.category == "Medium"
    assert clock.sleeps == []


async def test_429_storm_ends_in_rate_limit_error(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{API}/users/summary").respond(429, json=QPS_BODY, headers={"Retry-After": "1"})
    with pytest.raises(RateLimitError) as info:
        await client.users.summary()
    assert info.value.limit_type is None
    assert route.call_count == 7  # per-second 429s get twice max_retries (3) retries
    assert clock.sleeps == [1.0] * 6


async def test_qps_429_pauses_the_whole_category(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{API}/users/summary").mock(
        side_effect=[
            httpx.Response(429, json=QPS_BODY, headers={"Retry-After": "2"}),
            httpx.Response(200, json={}),
        ]
    )
    await client.users.summary()
    medium = client.limiter.stats[next(c for c in client.limiter.stats if c.value == "Medium")]
    assert medium.throttled == 1
    assert medium.next_slot >= clock.now  # the next Medium start waits for the pause too


async def test_create_after_lost_answer_reads_the_user_back(
    client: AsyncZoomClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    create = router.post(f"{API}/users").mock(
        side_effect=[
            httpx.ReadTimeout("answer lost"),
            httpx.Response(409, json={"code": 1005, "message": "User already in the account: t@x.org"}),
        ]
    )
    get = router.get(f"{API}/users/t@x.org").respond(
        200, json={"id": "u9", "email": "t@x.org", "type": 2, "status": "pending"}
    )
    user = await client.users.create(email="t@x.org")
    assert (user.id, user.status) == ("u9", "pending")
    assert create.call_count == 2
    assert get.call_count == 1
    assert create.calls[0].request.content == create.calls[1].request.content


async def test_create_after_5xx_then_conflict_reads_back(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.post(f"{API}/users").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(409, json={"code": 1005, "message": "exists"}),
        ]
    )
    router.get(f"{API}/users/t@x.org").respond(200, json={"id": "u9", "email": "t@x.org", "type": 2})
    assert (await client.users.create(email="t@x.org")).id == "u9"


async def test_create_conflict_on_first_try_is_someone_elses_user(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.post(f"{API}/users").respond(409, json={"code": 1005, "message": "User already in the account"})
    get = router.get(f"{API}/users/t@x.org").respond(200, json={"id": "u9", "email": "t@x.org", "type": 1})
    with pytest.raises(ConflictError) as info:
        await client.users.create(email="t@x.org")
    assert info.value.is_email_taken()
    assert get.call_count == 0


async def test_create_refused_connection_then_conflict_is_not_ours(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    # ConnectError: the first POST never reached Zoom, so a 409 after it is not our own write.
    router.post(f"{API}/users").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(409, json={"code": 1005, "message": "exists"}),
        ]
    )
    with pytest.raises(ConflictError):
        await client.users.create(email="t@x.org")


async def test_create_refused_for_seats_after_lost_answer_finds_the_user(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.post(f"{API}/users").mock(
        side_effect=[
            httpx.ReadTimeout("answer lost"),  # ... but Zoom created the user and took the last seat
            httpx.Response(400, json={"code": 2034, "message": "maximum number of Licensed users"}),
        ]
    )
    router.get(f"{API}/users/t@x.org").respond(200, json={"id": "u9", "email": "t@x.org", "type": 2})
    assert (await client.users.create(email="t@x.org")).id == "u9"


async def test_create_refused_for_seats_after_lost_answer_without_user_raises(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.post(f"{API}/users").mock(
        side_effect=[
            httpx.ReadTimeout("answer lost"),
            httpx.Response(400, json={"code": 2034, "message": "maximum number of Licensed users"}),
        ]
    )
    router.get(f"{API}/users/t@x.org").respond(404, json={"code": 1001, "message": "User does not exist"})
    with pytest.raises(BadRequestError) as info:
        await client.users.create(email="t@x.org")
    assert info.value.is_seat_exhausted()
