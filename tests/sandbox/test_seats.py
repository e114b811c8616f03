"""Zoom's seat rules: purchased seats, pending invitations, add-on pools, the Basic ceiling."""

from __future__ import annotations

import pytest

from zoom_client import AsyncZoomClient
from zoom_client.errors import BadRequestError
from zoom_client.sandbox import Sandbox, SandboxConfig

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


async def test_licensing_past_the_seats_is_400_2034(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    for i in range(5):
        await zoom.users.create(email=f"t{i}@s.org", type=2, action="autoCreate")
    extra = await zoom.users.create(email="x@s.org", type=1, action="autoCreate")
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type(extra.id, 2)
    assert err.value.code == 2034
    assert err.value.is_seat_exhausted()
    with pytest.raises(BadRequestError) as err:
        await zoom.users.create(email="y@s.org", type=2, action="autoCreate")
    assert err.value.code == 2034
    assert sb.licensed_count() == 5
    assert sb.find_user("y@s.org") is None


async def test_pending_invitations_hold_seats(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    for i in range(4):
        await zoom.users.create(email=f"p{i}@s.org", type=2, action="create")
    usage = await zoom.accounts.plan_usage()
    assert (usage.plan_base.hosts, usage.plan_base.usage, usage.plan_base.pending, usage.free_seats) == (
        5,
        0,
        4,
        1,
    )
    await zoom.users.create(email="last@s.org", type=2, action="autoCreate")
    with pytest.raises(BadRequestError):
        await zoom.users.create(email="over@s.org", type=2, action="create")
    sb.accept_invitations()
    assert sb.plan_usage()["plan_base"]["usage"] == 5


async def test_large_meeting_needs_licensed_1108_and_pool_200(zoom: AsyncZoomClient) -> None:
    basic = await zoom.users.create(email="b@s.org", type=1, action="autoCreate")
    with pytest.raises(BadRequestError) as err:
        await zoom.users.update_features(basic.id, large_meeting=True, large_meeting_capacity=500)
    assert err.value.code == 1108
    assert err.value.needs_licensed()

    hosts = [(await zoom.users.create(email=f"h{i}@s.org", type=2, action="autoCreate")).id for i in range(4)]
    await zoom.users.update_features(hosts[0], large_meeting=True, large_meeting_capacity=1000)
    with pytest.raises(BadRequestError) as err:
        await zoom.users.update_features(hosts[1], large_meeting=True, large_meeting_capacity=1000)
    assert err.value.code == 200
    assert err.value.is_addon_seats_exhausted()
    assert "max 1 Large 1000" in err.value.message
    # Moving a host from the 1000 pool to the 500 pool frees the 1000 seat.
    await zoom.users.update_features(hosts[0], large_meeting_capacity=500)
    await zoom.users.update_features(hosts[1], large_meeting=True, large_meeting_capacity=1000)
    pools = await zoom.accounts.plan_usage()
    assert pools.large_meeting_pool(500).usage == 1
    assert pools.large_meeting_pool(1000).usage == 1


async def test_downgrade_with_an_addon_is_refused_until_it_is_removed(zoom: AsyncZoomClient) -> None:
    user = await zoom.users.create(email="d@s.org", type=2, action="autoCreate")
    await zoom.users.update_features(user.id, large_meeting=True, large_meeting_capacity=500)
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type(user.id, 1)
    assert err.value.code == 1108
    await zoom.users.update_features(user.id, large_meeting=False)
    await zoom.users.set_type(user.id, 1)
    assert (await zoom.users.get(user.id)).type == 1


async def test_basic_ceiling_is_3412() -> None:
    from zoom_client import AsyncZoomClient as Client

    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seats=1, basic_ceiling=2))
    async with Client(sb.settings(), transport=sb.async_transport()) as zoom:
        lic = await zoom.users.create(email="l@s.org", type=2, action="autoCreate")
        await zoom.users.create(email="a@s.org", type=1, action="autoCreate")
        await zoom.users.create(email="b@s.org", type=1, action="create")  # pending Basic counts too
        with pytest.raises(BadRequestError) as err:
            await zoom.users.create(email="c@s.org", type=1, action="autoCreate")
        assert err.value.code == 3412
        assert err.value.is_basic_cap_reached()
        assert not err.value.is_seat_exhausted()
        with pytest.raises(BadRequestError) as err:
            await zoom.users.set_type(lic.id, 1)
        assert err.value.code == 3412


def test_hand_changes_bypass_checks_like_the_web_portal(sb: Sandbox) -> None:
    for i in range(7):
        sb.add_user(email=f"w{i}@s.org", type=2)
    assert sb.licensed_count() == 7  # an admin may over-assign by hand; drift tests need that
    sb.set_user_type("w0@s.org", 1)
    assert sb.licensed_count() == 6
    assert sb.plan_usage()["plan_base"]["usage"] == 6
