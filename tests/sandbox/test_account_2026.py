"""The sandbox is as strict as a 2026 Zoom account (ZOOM_API.md §11), seen through the client:
the Basic cap and type 4, Zoom One pools without plan_base, both readings of plan usage, PATCH
on a pending user, invitation expiry, create prerequisites, scopes, roles, another writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from zoom_client import AsyncZoomClient, BadRequestError, UserType, ZoomOneType
from zoom_client.sandbox import Sandbox, SandboxConfig
from zoom_client.sandbox.rules import OtherWriter

SCHOOL_CAMPUS = int(ZoomOneType.EDU_SCHOOL_CAMPUS)  # 18014398509481984, above 2**53
DAY = 86400.0


@pytest.fixture
async def make() -> AsyncIterator[Any]:
    """make(**config) -> (sandbox, client): a fresh account per call, clients closed at the end."""
    clients: list[AsyncZoomClient] = []

    async def build(**config: Any) -> tuple[Sandbox, AsyncZoomClient]:
        sb = Sandbox(SandboxConfig(**{"managed_domains": ["s.org"], **config}))
        client = AsyncZoomClient(sb.settings(), transport=sb.async_transport())
        clients.append(client)
        return sb, client

    yield build
    for client in clients:
        await client.aclose()


# ----------------------------------------------------------------------------- Basic cap, type 4
async def test_basic_cap_refuses_basic_but_not_unassigned(make: Any) -> None:
    _sb, zoom = await make(seats=2, basic_ceiling=2)
    lic = await zoom.users.create(email="lic@s.org", type=2, action="autoCreate")
    await zoom.users.create(email="b1@s.org", type=1, action="autoCreate")
    await zoom.users.create(email="b2@s.org", type=1, action="create")  # a pending Basic counts
    with pytest.raises(BadRequestError) as err:
        await zoom.users.create(email="b3@s.org", type=1, action="autoCreate")
    assert err.value.is_basic_cap_reached()
    assert err.value.is_permanent()
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type(lic.id, UserType.BASIC)  # revoke by downgrade: also capped
    assert err.value.code == 3412
    assert err.value.is_basic_cap_reached()
    # Type 4 holds no seat and sits outside the cap: create and revoke both work.
    four = await zoom.users.create(email="u4@s.org", type=4, action="autoCreate")
    await zoom.users.set_type(lic.id, UserType.UNASSIGNED)
    assert (await zoom.users.get(lic.id)).type is UserType.UNASSIGNED
    assert (await zoom.accounts.plan_usage()).plan_base.usage == 0  # type: ignore[union-attr]
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type(four.id, UserType.BASIC)
    assert err.value.is_basic_cap_reached()
    # The bulk endpoint takes 1, 2 and 99 only (the client refuses 4 before sending).
    with pytest.raises(ValueError):
        await zoom.users.bulk_user_type(4, user_ids=[four.id])


def test_basic_cap_defaults_to_9999() -> None:
    assert SandboxConfig().basic_ceiling == 9999


# ----------------------------------------------------------------------------- Zoom One pools
async def test_zoom_one_account_without_plan_base(make: Any) -> None:
    _sb, zoom = await make(plan_base=False, seats=100, zoom_one_seats={SCHOOL_CAMPUS: 2})
    ids = [(await zoom.users.create(email=f"t{i}@s.org", type=1, action="autoCreate")).id for i in range(3)]
    usage = await zoom.accounts.plan_usage()
    assert usage.plan_base is None
    assert list(usage.zoom_one_pools()) == ["plan_zoom_one"]
    # No Meetings plan: type 2 has no seat whatever `seats` says.
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type(ids[0], UserType.LICENSED)
    assert err.value.is_seat_exhausted()
    result = await zoom.users.bulk_zoom_one_type(SCHOOL_CAMPUS, user_ids=ids)
    assert result.success_user_ids == ids[:2]
    assert result.failures() == {ids[2]: "Not enough seats"}
    pool = (await zoom.accounts.plan_usage()).pool("plan_zoom_one")
    assert pool is not None
    assert (pool.hosts, pool.usage) == (2, 2)
    user = await zoom.users.get(ids[0])
    assert user.zoom_one_type == SCHOOL_CAMPUS  # exact, from the JSON number
    assert user.type is UserType.LICENSED  # the sandbox's reading: a Workplace holder reads Licensed
    listed = {u.id: u for u in await zoom.users.list().to_list()}
    assert listed[ids[0]].zoom_one_type is None  # the list does not carry it (Zoom)
    await zoom.users.set_zoom_one_type(ids[0], 0)  # PATCH, the one-user fallback
    assert (await zoom.users.get(ids[0])).type is UserType.BASIC
    await zoom.users.set_zoom_one_type(ids[2], SCHOOL_CAMPUS)  # the freed seat is reusable
    with pytest.raises(BadRequestError):
        await zoom.users.set_zoom_one_type(ids[0], int(ZoomOneType.EDU_ENTERPRISE_PLUS))  # not sold here


async def test_taking_a_zoom_one_license_back_respects_the_basic_cap(make: Any) -> None:
    _sb, zoom = await make(basic_ceiling=1, zoom_one_seats={SCHOOL_CAMPUS: 5})
    one = await zoom.users.create(email="z@s.org", type=1, action="autoCreate", zoom_one_type=SCHOOL_CAMPUS)
    await zoom.users.create(email="b@s.org", type=1, action="autoCreate")  # the only Basic place
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_zoom_one_type(one.id, 0)
    assert err.value.code == 2039
    assert err.value.is_basic_cap_reached()


# ----------------------------------------------------------------------------- plan usage readings
@pytest.mark.parametrize(("pending_in_usage", "usage"), [(False, 1), (True, 2)])
async def test_both_readings_of_usage(make: Any, pending_in_usage: bool, usage: int) -> None:
    _sb, zoom = await make(seats=5, pending_in_usage=pending_in_usage, zoom_one_seats={SCHOOL_CAMPUS: 5})
    await zoom.users.create(email="a@s.org", type=2, action="autoCreate")
    await zoom.users.create(email="p@s.org", type=2, action="create")  # invited: pending
    await zoom.users.create(email="za@s.org", type=1, action="autoCreate", zoom_one_type=SCHOOL_CAMPUS)
    await zoom.users.create(email="zp@s.org", type=1, action="create", zoom_one_type=SCHOOL_CAMPUS)
    plan = await zoom.accounts.plan_usage()
    base = plan.plan_base
    assert base is not None
    assert (base.hosts, base.usage, base.pending) == (5, usage, 1)
    assert base.free_seats(pending_in_usage=pending_in_usage) == 3  # the right reading: exact
    zoom_one = plan.pool("plan_zoom_one")
    assert zoom_one is not None
    assert (zoom_one.usage, zoom_one.pending) == (usage, 1)


# ----------------------------------------------------------------------------- pending users
async def test_patch_of_type_on_a_pending_user_answers_204_and_changes_nothing(make: Any) -> None:
    _sb, zoom = await make(seats=5)
    await zoom.users.create(email="p@s.org", type=1, action="create")
    await zoom.users.set_type("p@s.org", UserType.LICENSED)  # no error, as Zoom
    await zoom.users.update("p@s.org", first_name="Pat")
    user = await zoom.users.get("p@s.org")
    assert (user.type, user.first_name) == (UserType.BASIC, "Pat")
    assert (await zoom.accounts.plan_usage()).plan_base.pending == 0  # type: ignore[union-attr]


async def test_invitations_expire_after_30_days(make: Any) -> None:
    sb, zoom = await make(seats=1)
    await zoom.users.create(email="late@s.org", type=2, action="create")
    sb.clock.advance(29 * DAY)
    assert [u.email for u in await zoom.users.list(status="pending").to_list()] == ["late@s.org"]
    sb.clock.advance(1 * DAY + 1)
    assert await zoom.users.list(status="pending").to_list() == []
    with pytest.raises(BadRequestError) as err:
        await zoom.users.get("late@s.org")
    assert err.value.is_invitation_expired()
    assert err.value.is_permanent()
    assert (await zoom.accounts.plan_usage()).plan_base.pending == 0  # type: ignore[union-attr]
    again = await zoom.users.create(email="late@s.org", type=2, action="create")  # re-invited
    assert (await zoom.users.get(again.id)).status == "pending"


# ----------------------------------------------------------------------------- create prerequisites
@pytest.mark.parametrize(
    ("config", "action", "email", "code"),
    [
        ({"managed_domains": []}, "autoCreate", "a@s.org", 200),
        ({}, "autoCreate", "a@other.org", 1116),
        ({}, "custCreate", "a@s.org", 200),
        ({}, "ssoCreate", "a@s.org", 2002),
        ({"sso": True}, "ssoCreate", "a@s.org", 2032),
        ({"limited_domains": ["s.org"]}, "create", "a@other.org", 1116),
        ({"blocked_domains": ["spam.org"]}, "create", "x@spam.org", 1107),
        ({"emails_elsewhere": ["taken@s.org"]}, "create", "Taken@s.org", 1009),
    ],
)
async def test_create_prerequisites(
    make: Any, config: dict[str, Any], action: str, email: str, code: int
) -> None:
    sb, zoom = await make(**config)
    with pytest.raises(BadRequestError) as err:
        await zoom.users.create(email=email, type=1, action=action)
    assert err.value.code == code
    assert err.value.is_create_refused()
    assert err.value.refusal_reason()
    assert sb.users() == []


async def test_every_action_works_on_an_account_set_up_for_it(make: Any) -> None:
    sb, zoom = await make(managed_domains=["s.org"], cust_create=True, sso=True, sso_preprovision=True)
    for action in ("create", "autoCreate", "custCreate", "ssoCreate"):
        await zoom.users.create(email=f"{action.lower()}@staff.s.org", type=1, action=action)
    assert len(sb.users()) == 4
    assert [d.domain for d in await zoom.accounts.managed_domains()] == ["s.org"]


# ----------------------------------------------------------------------------- scopes
async def test_a_call_outside_the_granted_scopes_answers_4711(make: Any) -> None:
    sb, zoom = await make(granted_scopes=["user:read:list_users:admin", "user:read:user:admin"])
    sb.add_user(email="a@s.org")
    assert len(await zoom.users.list().to_list()) == 1
    with pytest.raises(BadRequestError) as err:
        await zoom.users.set_type("a@s.org", UserType.LICENSED)
    assert err.value.code == 4711
    assert err.value.missing_scopes == ["user:update:user:admin"]
    with pytest.raises(BadRequestError) as err:
        await zoom.accounts.plan_usage()
    assert err.value.missing_scopes == ["billing:read:plan_usage:admin"]
    assert zoom.token_fetches == 1  # a missing scope is not a bad token
    sb.config.granted_scopes = ["user:write:admin", "account:read:admin", "user:read:admin"]  # classic
    await zoom.users.set_type("a@s.org", UserType.LICENSED)
    await zoom.accounts.plan_usage()


# ----------------------------------------------------------------------------- roles
async def test_owner_admins_and_custom_roles(make: Any) -> None:
    sb, zoom = await make(seats=5, owner_email="owner@s.org", admin_emails=["admin@s.org"])
    sb.add_user(email="helpdesk@s.org", type=2, role_id="7")  # a custom role
    roles = {u.email: u.role_id for u in await zoom.users.list().to_list()}
    assert roles == {"owner@s.org": "0", "admin@s.org": "1", "helpdesk@s.org": "7"}
    assert [u.email for u in await zoom.users.list(role_id="0").to_list()] == ["owner@s.org"]
    with pytest.raises(BadRequestError) as err:
        await zoom.users.deactivate("admin@s.org")
    assert err.value.code == 200
    with pytest.raises(BadRequestError) as err:
        await zoom.users.disassociate("owner@s.org")
    assert err.value.code == 1117
    assert (await zoom.accounts.plan_usage()).plan_base.usage == 3  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- another writer
async def test_another_writer_sets_the_type_back_after_our_change(make: Any) -> None:
    sb, zoom = await make(seats=5)
    sb.add_user(email="t@s.org", type=1)
    sb.add_user(email="free@s.org", type=1)
    saml = sb.add_other_writer(OtherWriter(field="type", value=1, emails={"t@s.org"}))
    await zoom.users.set_type("t@s.org", UserType.LICENSED)
    await zoom.users.set_type("free@s.org", UserType.LICENSED)
    assert (await zoom.users.get("t@s.org")).type is UserType.BASIC  # set back before our next call
    assert (await zoom.users.get("free@s.org")).type is UserType.LICENSED  # not watched
    [event] = sb.writer_log
    assert (event.email, event.field, event.ours, event.theirs) == ("t@s.org", "type", 2, 1)
    saml.enabled = False
    await zoom.users.set_type("t@s.org", UserType.LICENSED)
    assert (await zoom.users.get("t@s.org")).type is UserType.LICENSED


async def test_a_delayed_writer_acts_when_its_time_comes(make: Any) -> None:
    sb, zoom = await make(zoom_one_seats={SCHOOL_CAMPUS: 3})
    sb.add_user(email="m@s.org", type=1)
    sb.add_other_writer(OtherWriter(field="zoom_one_type", value=0, delay=3600, name="Moodle recycling"))
    await zoom.users.bulk_zoom_one_type(SCHOOL_CAMPUS, emails=["m@s.org"])
    assert (await zoom.users.get("m@s.org")).zoom_one_type == SCHOOL_CAMPUS
    sb.clock.advance(3601)
    assert sb.run_other_writers() == 1
    assert (await zoom.users.get("m@s.org")).zoom_one_type is None


# ----------------------------------------------------------------------------- persistence
def test_save_and_load_keep_the_2026_account(tmp_path: Any) -> None:
    sb = Sandbox(SandboxConfig(plan_base=False, zoom_one_seats={SCHOOL_CAMPUS: 4}, pending_in_usage=True))
    sb.add_user(email="z@s.org", zoom_one_type=SCHOOL_CAMPUS)
    sb.add_user(email="p@s.org", status="pending")
    sb.clock.advance(31 * DAY)
    sb.run_other_writers()
    sb.plan_usage()  # nothing expires until time is looked at by a request or a helper
    path = tmp_path / "state.json"
    sb.save(path)
    again = Sandbox.load(path)
    assert again.config.zoom_one_seats == {SCHOOL_CAMPUS: 4}
    assert "plan_base" not in again.plan_usage()
    assert again.plan_usage()["plan_zoom_one"][0]["usage"] == 1
    assert again.find_user("z@s.org")["zoom_one_type"] == SCHOOL_CAMPUS  # type: ignore[index]


def test_a_state_file_from_before_expiry_keeps_its_invitations_30_days(tmp_path: Any) -> None:
    import json

    sb = Sandbox(SandboxConfig())
    sb.add_user(email="old@s.org", status="pending")
    path = tmp_path / "state.json"
    sb.save(path)
    data = json.loads(path.read_text())
    for user in data["account"]["users"]:
        del user["_invited_at"]  # as written before invitations could expire
    path.write_text(json.dumps(data))
    again = Sandbox.load(path)
    assert again.find_user("old@s.org") is not None
    again.clock.advance(30 * DAY + 1)
    assert again.find_user("old@s.org") is None


async def test_other_writers_and_their_due_resets_survive_the_state_file(make: Any, tmp_path: Any) -> None:
    """A `--sandbox` CLI command saves the state when it ends: the writer's reset after its apply
    is made in the next command's first request, and the writer keeps watching."""
    sb, zoom = await make(seats=5)
    sb.add_user(email="t@s.org", type=1)
    sb.add_other_writer(OtherWriter(field="type", value=1, emails={"t@s.org"}, delay=60))
    await zoom.users.set_type("t@s.org", UserType.LICENSED)
    path = tmp_path / "state.json"
    sb.save(path)

    again = Sandbox.load(path)
    assert again.find_user("t@s.org")["type"] == 2  # type: ignore[index]  # not due yet
    again.clock.advance(61)
    assert again.find_user("t@s.org")["type"] == 1  # type: ignore[index]
    [event] = again.writer_log
    assert (event.email, event.ours, event.theirs, event.writer) == ("t@s.org", 2, 1, "SAML mapping")
    again.save(path)
    kept = Sandbox.load(path)
    assert [(e.email, e.at) for e in kept.writer_log] == [(event.email, event.at)]
    [writer] = kept._writers
    assert (writer.field, writer.value, writer.emails, writer.delay) == ("type", 1, {"t@s.org"}, 60)
