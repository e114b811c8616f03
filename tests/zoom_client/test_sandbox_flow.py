"""The client against the sandbox (interfaces.md §2): whole exchanges with a stateful Zoom,
async and sync. Skipped until zoom_client.sandbox provides Sandbox."""

from __future__ import annotations

import pytest

from zoom_client import (
    AsyncZoomClient,
    BadRequestError,
    CreateAction,
    NotFoundError,
    RateLimitError,
    UserType,
    ZoomClient,
)

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["school.ua"]

sandbox = pytest.importorskip("zoom_client.sandbox")
if not hasattr(sandbox, "Sandbox"):
    pytest.skip("zoom_client.sandbox.Sandbox not built yet", allow_module_level=True)


@pytest.fixture
def sb() -> object:
    return sandbox.Sandbox(sandbox.SandboxConfig(managed_domains=MANAGED, seats=3, seed=0))


async def test_create_license_and_run_out_of_seats(sb: object) -> None:
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport()) as zoom:  # type: ignore[attr-defined]
        for i in range(5):
            await zoom.users.create(
                email=f"t{i}@school.ua", type=UserType.BASIC, action=CreateAction.AUTO_CREATE
            )
        users = await zoom.users.list(page_size=2).to_list()
        emails = sorted(u.email for u in users if u.email.endswith("@school.ua"))
        assert emails == [f"t{i}@school.ua" for i in range(5)]
        usage = await zoom.accounts.plan_usage()
        ours = [u for u in users if u.email.endswith("@school.ua")]
        for user in ours[: usage.free_seats]:
            await zoom.users.set_type(user.id or user.email, UserType.LICENSED)
        with pytest.raises(BadRequestError) as info:
            await zoom.users.set_type(ours[-1].id or ours[-1].email, UserType.LICENSED)
        assert info.value.is_seat_exhausted()
        assert (await zoom.accounts.plan_usage()).free_seats == 0
        with pytest.raises(NotFoundError) as missing:
            await zoom.users.get("nobody@school.ua")
        assert missing.value.is_user_missing()
        assert zoom.token_fetches == 1


def test_sync_client_against_sandbox(sb: object) -> None:
    with ZoomClient(sb.settings(), transport=sb.transport()) as zoom:  # type: ignore[attr-defined]
        zoom.users.create(email="s@school.ua", type=UserType.BASIC, action=CreateAction.AUTO_CREATE)
        assert zoom.users.get("s@school.ua").email == "s@school.ua"
        assert any(u.email == "s@school.ua" for u in zoom.users.list())


async def test_daily_create_cap_stops_without_sleeping() -> None:
    sb = sandbox.Sandbox(sandbox.SandboxConfig(managed_domains=MANAGED, seats=10, daily_create_cap=2, seed=0))
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport(), sleep=record) as zoom:
        for i in range(2):
            await zoom.users.create(email=f"d{i}@school.ua", type=UserType.BASIC)
        with pytest.raises(RateLimitError) as info:
            await zoom.users.create(email="d2@school.ua", type=UserType.BASIC)
    assert info.value.limit_type == "Daily-limit"
    assert info.value.retry_at is not None
    assert sum(sleeps) < 1  # only pacing between starts: no wait for the daily reset


async def test_lost_answers_never_duplicate_or_lose_a_create() -> None:
    faults = sandbox.FaultConfig(drop_after_write_rate=0.3, timeout_rate=0.1)
    sb = sandbox.Sandbox(sandbox.SandboxConfig(managed_domains=MANAGED, seats=10, seed=5, faults=faults))

    async def no_sleep(_: float) -> None:
        return None

    settings = sb.settings(max_retries=8)
    async with AsyncZoomClient(settings, transport=sb.async_transport(), sleep=no_sleep) as zoom:
        created = [
            await zoom.users.create(
                email=f"f{i}@school.ua", type=UserType.BASIC, action=CreateAction.AUTO_CREATE
            )
            for i in range(20)
        ]
    assert sorted(u.email for u in created) == sorted(f"f{i}@school.ua" for i in range(20))
    assert all(u.id for u in created)
    in_zoom = [u for u in sb.users() if str(u["email"]).startswith("f")]
    assert len(in_zoom) == 20
    readbacks = [r for r in sb.request_log if r.method == "GET" and "/users/f" in r.path]
    assert readbacks, "no answer was lost: the fault rates no longer exercise the read-back"
