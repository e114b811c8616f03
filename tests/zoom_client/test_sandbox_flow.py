"""The client against the sandbox (interfaces.md §2): whole exchanges with a stateful Zoom,
async and sync. Skipped until zoom_client.sandbox provides Sandbox."""

from __future__ import annotations

import pytest

from zoom_client import (
    AsyncZoomClient,
    BadRequestError,
    CreateAction,
    NotFoundError,
    UserType,
    ZoomClient,
)

sandbox = pytest.importorskip("zoom_client.sandbox")
if not hasattr(sandbox, "Sandbox"):
    pytest.skip("zoom_client.sandbox.Sandbox not built yet", allow_module_level=True)


@pytest.fixture
def sb() -> object:
    return sandbox.Sandbox(sandbox.SandboxConfig(seats=3, seed=0))


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
