"""Groups and members, and a master account's sub-account paths."""

from __future__ import annotations

import pytest

from zoom_client import AsyncZoomClient, NotFoundError
from zoom_client.errors import BadRequestError, ConflictError
from zoom_client.sandbox import Sandbox, SandboxConfig

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


async def test_groups_and_members(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    school = await zoom.groups.create("School 001")
    other = await zoom.groups.create("School 002")
    with pytest.raises(ConflictError) as err:
        await zoom.groups.create("school 001")
    assert err.value.code == 4132
    assert err.value.is_group_name_taken()

    a = await zoom.users.create(email="a@s.org", type=1, action="autoCreate")
    await zoom.users.create(email="b@s.org", type=1, action="autoCreate")
    added = await zoom.groups.add_members(school.id, user_ids=[a.id], emails=["b@s.org"])
    assert len(added) == 2
    assert a.id in added
    assert (await zoom.groups.get(school.id)).total_members == 2
    assert school.id in (await zoom.users.get(a.id)).group_ids

    await zoom.groups.move_member(school.id, a.id, target_group_id=other.id)
    members = {
        g.name: [m.email async for m in zoom.groups.list_members(g.id)] async for g in zoom.groups.list()
    }
    assert members == {"School 001": ["b@s.org"], "School 002": ["a@s.org"]}

    await zoom.groups.remove_member(school.id, "b@s.org")
    await zoom.groups.delete(other.id)
    assert (await zoom.users.get(a.id)).group_ids == []
    with pytest.raises(NotFoundError) as err:
        await zoom.groups.get(other.id)
    assert err.value.code == 4130
    assert err.value.is_group_missing()


async def test_pending_user_joins_a_group_through_patch(zoom: AsyncZoomClient) -> None:
    group = await zoom.groups.create("School 003")
    pending = await zoom.users.create(email="p@s.org", type=1, action="create")
    await zoom.users.update(pending.id, group_id=group.id)
    assert [m.email async for m in zoom.groups.list_members(group.id)] == ["p@s.org"]
    with pytest.raises(NotFoundError):
        await zoom.users.update(pending.id, group_id="no-such-group")


async def test_sub_accounts_have_their_own_users_and_seats() -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, seats=10, sub_accounts={"sub-1": 1, "sub-2": 3}))
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport()) as zoom:
        subs = {s.id async for s in zoom.accounts.list()}
        assert subs == {"sub-1", "sub-2"}
        one = zoom.sub_account("sub-1")
        await one.users.create(email="x@sub1.org", type=2, action="autoCreate")
        with pytest.raises(BadRequestError) as err:
            await one.users.create(email="y@sub1.org", type=2, action="autoCreate")
        assert err.value.code == 2034
        assert (await zoom.accounts.plan_usage("sub-1")).plan_base.usage == 1
        assert (await zoom.accounts.plan_usage()).plan_base.usage == 0
        assert [u.email async for u in one.users.list()] == ["x@sub1.org"]
        assert [u async for u in zoom.users.list()] == []
        group = await one.groups.create("Sub school")
        assert [g.id async for g in one.groups.list()] == [group.id]
        with pytest.raises(BadRequestError) as err:
            await zoom.sub_account("sub-9").users.summary()
        assert err.value.code == 2001
    assert sb.licensed_count(account_id="sub-1") == 1
