"""Owner, admins and custom-role administrators, seen the way production sees them: the sandbox
holds their roles, sync stores role_id in the snapshot, plan protects them, apply leaves them.

Issue 12 (ask 5): a plain apply used to downgrade the owner and an admin who left the roster,
because the snapshot never kept role_id; custom admin roles were never protected."""

from __future__ import annotations

from sqlmodel import Session, select

from models import ZoomUserSnapshot
from provision.core.policy import Policy
from tests.provision.apply_kit import assert_audited_once, converge, database, roster_change, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

DOMAIN = "school.example"
OWNER, ADMIN, HELPDESK, TEACHER, STAYS = (
    f"{n}@{DOMAIN}" for n in ("owner", "admin", "helpdesk", "teacher", "stays")
)


def _account() -> Sandbox:
    sandbox = Sandbox(
        SandboxConfig(managed_domains=[DOMAIN], seats=10, owner_email=OWNER, admin_emails=[ADMIN])
    )
    sandbox.add_user(email=HELPDESK, type=2, role_id="5")  # a custom admin role
    sandbox.add_user(email=TEACHER, type=1)
    return sandbox


def _roster(engine: object) -> None:
    seed(engine, {"0701": 10}, [(e, "0701", "teacher") for e in (OWNER, ADMIN, HELPDESK, TEACHER, STAYS)])  # type: ignore[arg-type]


async def test_owner_admin_and_custom_role_who_leave_are_untouched_and_reported(database_url: str) -> None:
    engine = database(database_url)
    _roster(engine)
    sandbox = _account()
    policy = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})  # defaults protect
    await converge(engine, sandbox, policy)
    assert {u["email"] for u in sandbox.users() if u["type"] == 2} == {OWNER, ADMIN, HELPDESK, TEACHER, STAYS}

    with Session(engine) as session:
        roles = dict(session.exec(select(ZoomUserSnapshot.email, ZoomUserSnapshot.role_id)).all())  # type: ignore[call-overload]
    assert roles == {OWNER: "0", ADMIN: "1", HELPDESK: "5", TEACHER: "2", STAYS: "2"}

    roster_change(engine, leave=[OWNER, ADMIN, HELPDESK, TEACHER])
    plan, result = await converge(engine, sandbox, policy)
    assert result.complete
    assert sorted(plan.protected) == sorted([OWNER, ADMIN, HELPDESK])
    assert {a.email for a in plan.actions} == {TEACHER}
    types = {u["email"]: u["type"] for u in sandbox.users()}
    assert types == {OWNER: 2, ADMIN: 2, HELPDESK: 2, TEACHER: 1, STAYS: 2}
    assert_audited_once(engine)


async def test_without_protect_admins_a_custom_role_is_an_ordinary_user(database_url: str) -> None:
    engine = database(database_url)
    _roster(engine)
    sandbox = _account()
    policy = Policy(
        create_action="autoCreate", grace_days=0, use_groups=False, addons={}, protect_admins=False
    )
    await converge(engine, sandbox, policy)
    roster_change(engine, leave=[OWNER, HELPDESK])
    plan, _ = await converge(engine, sandbox, policy)
    assert plan.protected == [OWNER]  # the owner is protect_owner's, still on
    assert sandbox.find_user(HELPDESK)["type"] == 1  # type: ignore[index]
    assert sandbox.find_user(OWNER)["type"] == 2  # type: ignore[index]
