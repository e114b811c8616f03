"""Pending users (invited, not accepted yet) are never PATCHed: Zoom answers a PATCH of `type` on
a pending user with success and changes nothing (ZOOM_API.md §11), so a plan that sent one would
journal a license Zoom never gave, or a downgrade that never freed the seat. Through the path
production takes: sandbox -> sync -> plan -> apply, the sandbox ignoring such a PATCH as Zoom does.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Institution
from provision.core.kinds import ActionKind
from provision.core.policy import Policy
from tests.provision.apply_kit import converge, database, fresh_plan, open_client, roster_change, seed
from zoom_client import UserType
from zoom_client.sandbox import Sandbox, SandboxConfig

DOMAIN = "school.example"
LEAVER, WAITS = f"admin@{DOMAIN}", f"teacher@{DOMAIN}"


def _writes(sandbox: Sandbox, since: int) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in sandbox.request_log[since:]
        if r.method != "GET" and "/users" in r.path
    ]


def _types(sandbox: Sandbox) -> dict[str, tuple[int, str]]:
    return {u["email"]: (u["type"], u["status"]) for u in sandbox.users()}


async def test_pending_users_are_left_alone_until_they_accept(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0701": 1}, [(LEAVER, "0701", "admin"), (WAITS, "0701", "teacher")])
    sandbox = Sandbox(SandboxConfig(seats=2, large_meeting_seats={500: 1}, managed_domains=[DOMAIN]))
    # Invitations (action "create"); the one waiting for a seat gets a Basic account meanwhile.
    policy = Policy(create_action="create", create_waiting="basic", grace_days=0, use_groups=False)

    plan, result = await converge(engine, sandbox, policy)
    assert result.complete
    assert {(a.kind, a.email) for a in plan.actions} == {
        (ActionKind.CREATE, LEAVER),
        (ActionKind.CREATE, WAITS),
    }
    assert _types(sandbox) == {LEAVER: (2, "pending"), WAITS: (1, "pending")}

    # Before either accepts: the admin leaves (their license would be taken back, their add-on
    # never given) and the quota grows (the teacher's seat is free).
    roster_change(engine, leave=[LEAVER])
    with Session(engine) as session:
        school = session.exec(select(Institution)).one()
        school.seats = 2
        session.add(school)
        session.commit()
    before = len(sandbox.request_log)
    plan, result = await converge(engine, sandbox, policy)

    assert plan.actions == []  # nothing Zoom can do to an invitation
    assert _writes(sandbox, before) == []
    assert _types(sandbox) == {LEAVER: (2, "pending"), WAITS: (1, "pending")}
    # What such a plan would have met: Zoom's success for a PATCH it ignores.
    async with open_client(sandbox) as client:
        await client.users.set_type(WAITS, UserType.LICENSED)
        await client.users.set_type(LEAVER, UserType.BASIC)
    assert _types(sandbox) == {LEAVER: (2, "pending"), WAITS: (1, "pending")}

    # Accepted: now they are users, and the same rosters get their changes.
    assert sandbox.accept_invitations() == 2
    plan, result = await converge(engine, sandbox, policy)
    assert result.complete
    assert {(a.kind, a.email) for a in plan.actions} == {
        (ActionKind.UNLICENSE, LEAVER),
        (ActionKind.LICENSE, WAITS),
    }
    assert _types(sandbox) == {LEAVER: (1, "active"), WAITS: (2, "active")}
    assert (await fresh_plan(engine, sandbox, policy)).actions == []
