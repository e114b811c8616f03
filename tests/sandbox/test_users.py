"""Every users call of zoom_client against the in-process sandbox, with Zoom's semantics."""

from __future__ import annotations

import pytest

from zoom_client import AsyncZoomClient, NotFoundError, ZoomClient
from zoom_client.errors import ConflictError
from zoom_client.sandbox import Sandbox


async def test_create_actions_pending_and_active(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    # An account set up for every action: custCreate (ISV contract), SSO with pre-provisioning.
    sb.config.cust_create = sb.config.sso = sb.config.sso_preprovision = True
    invited = await zoom.users.create(email="Ana@School.org", type=1, action="create", first_name="Ana")
    auto = await zoom.users.create(email="ben@school.org", type=2, action="autoCreate")
    cust = await zoom.users.create(email="cy@school.org", type=1, action="custCreate")
    sso = await zoom.users.create(email="di@school.org", type=99, action="ssoCreate")
    assert invited.id
    assert auto.id
    assert cust.id
    assert sso.id

    pending = [u async for u in zoom.users.list(status="pending")]
    assert [(u.id, u.email) for u in pending] == [(None, "Ana@School.org")]  # no id, as Zoom lists them
    active = {u.email: u for u in [u async for u in zoom.users.list()]}
    assert set(active) == {"ben@school.org", "cy@school.org", "di@school.org"}
    assert active["ben@school.org"].type == 2
    assert active["di@school.org"].type == 99

    assert sb.accept_invitations() == 1
    ana = await zoom.users.get("ana@school.org")
    assert ana.status == "active"
    assert ana.id == invited.id
    assert ana.first_name == "Ana"


async def test_existing_email_is_409_1005(zoom: AsyncZoomClient) -> None:
    await zoom.users.create(email="a@s.org", type=1, action="autoCreate")
    with pytest.raises(ConflictError) as err:
        await zoom.users.create(email="A@S.org", type=1, action="autoCreate")
    assert err.value.code == 1005
    assert err.value.is_email_taken()


async def test_unknown_user_is_404_1001(zoom: AsyncZoomClient) -> None:
    with pytest.raises(NotFoundError) as err:
        await zoom.users.get("nobody@s.org")
    assert err.value.code == 1001
    assert err.value.is_user_missing()
    with pytest.raises(NotFoundError):
        await zoom.users.set_type("no-such-id", 2)


async def test_update_profile_and_type(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    user = await zoom.users.create(email="e@s.org", type=1, action="autoCreate")
    await zoom.users.update(user.id, first_name="Eva", dept="Maths")
    await zoom.users.set_type(user.id, 2)
    got = await zoom.users.get(user.id)
    assert (got.first_name, got.dept, got.type) == ("Eva", "Maths", 2)
    assert sb.licensed_count() == 1
    await zoom.users.set_type(user.id, 1)
    assert sb.licensed_count() == 0


async def test_deactivate_takes_every_license(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    user = await zoom.users.create(email="f@s.org", type=2, action="autoCreate")
    await zoom.users.update_features(user.id, large_meeting=True, large_meeting_capacity=500)
    await zoom.users.deactivate(user.id)
    got = await zoom.users.get(user.id)
    assert (got.status, got.type) == ("inactive", 1)
    assert (await zoom.users.get_settings(user.id)).feature.large_meeting is False
    usage = await zoom.accounts.plan_usage()
    assert usage.plan_base.usage == 0
    assert usage.large_meeting_pool(500).usage == 0
    assert [u.email async for u in zoom.users.list(status="inactive")] == ["f@s.org"]
    await zoom.users.activate(user.id)
    assert (await zoom.users.get(user.id)).type == 1  # reactivation does not give the license back


async def test_disassociate_and_delete(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    a = await zoom.users.create(email="g@s.org", type=2, action="autoCreate")
    b = await zoom.users.create(email="h@s.org", type=1, action="create")
    await zoom.users.disassociate(a.id)
    await zoom.users.disassociate(b.id)  # pending users leave by disassociation
    c = await zoom.users.create(email="i@s.org", type=1, action="autoCreate")
    await zoom.users.delete(c.id, permanently=True)
    assert sb.users() == []
    assert sb.licensed_count() == 0
    with pytest.raises(NotFoundError):
        await zoom.users.get("g@s.org")


async def test_summary_counts_live_state(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    await zoom.users.create(email="j@s.org", type=2, action="autoCreate")
    await zoom.users.create(email="k@s.org", type=1, action="autoCreate")
    await zoom.users.create(email="l@s.org", type=2, action="create")
    summary = await zoom.users.summary()
    assert (summary.licensed_users_count, summary.basic_users_count, summary.pending_users_count) == (1, 1, 1)
    assert summary.total_users_count == 3


async def test_settings_features_and_bulk(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    ids = [(await zoom.users.create(email=f"m{i}@s.org", type=1, action="autoCreate")).id for i in range(7)]
    result = await zoom.users.bulk_features(feature_type="user_type", feature_value=2, user_ids=ids)
    assert len(result.success_user_ids) == 5  # five purchased seats
    assert [(sorted(f.user_ids), f.reason) for f in result.fail_details] == [
        (sorted(ids[5:]), "Not enough seats")
    ]
    lm = await zoom.users.bulk_features(
        feature_type="large_meeting", feature_value=128, user_ids=ids[:3], emails=["ghost@s.org"]
    )
    assert len(lm.success_user_ids) == 2  # the 500 pool holds two
    reasons = {f.reason for f in lm.fail_details}
    assert reasons == {"Not enough seats", "User does not exist"}
    settings = await zoom.users.get_settings(ids[0])
    assert settings.feature.large_meeting is True
    assert settings.feature.large_meeting_capacity == 500


def test_sync_client_sees_the_same_sandbox(sync_zoom: ZoomClient, sb: Sandbox) -> None:
    sb.add_user(email="hand@s.org", type=2)
    user = sync_zoom.users.get("hand@s.org")
    assert user.type == 2
    sync_zoom.users.set_type(user.id, 1)
    assert sb.find_user("hand@s.org")["type"] == 1
    assert [u.email for u in sync_zoom.users.list()] == ["hand@s.org"]
    assert sync_zoom.accounts.plan_usage().plan_base.hosts == 5
