"""Re-reading `sent` operations: many from the account's user list, a few one GET each; never resent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from models import Operation
from provision.core.policy import Policy
from provision.run.apply_session import apply_session
from provision.run.observe import sync
from provision.store import journal
from tests.provision.apply_kit import (
    assert_audited_once,
    database,
    licensed_emails,
    open_client,
    plan_now,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})


async def _resume_with_sent(
    url: str, sandbox: Sandbox, people: int, sent: int, concurrency: int
) -> tuple[Any, list[str]]:
    """`people` Basic users to license; a run died with the first `sent` licenses sent, half of
    them made by Zoom. Resumed as `provision apply` does; the result and the emails."""
    engine = database(url)
    emails = [f"t{i}@school.example" for i in range(people)]
    seed(engine, {"1001": 1000}, [(e, "1001", "teacher") for e in emails])
    for email in emails:
        sandbox.add_user(email=email, type=1)
    async with open_client(sandbox) as client:
        await sync(engine, client)
        plan = plan_now(engine, POLICY)
        ops, _ = journal.prepare(engine, plan)
        async with journal.Journal(engine, "test", plan.fingerprint, ops):
            pass
        left = [op for op in ops if op.action.kind.value == "license"][:sent]
        with Session(engine) as session, session.begin():
            session.execute(
                update(Operation)
                .where(Operation.id.in_([op.id for op in left]))  # type: ignore[union-attr]
                .values(state="sent", attempts=1)
            )
        for op in left[: sent // 2]:
            sandbox.set_user_type(op.action.email, 2)  # Zoom did act on these
        sandbox.request_log.clear()
        with apply_session(engine, actor="test", policy=POLICY) as session:
            result = await session.run(client, session.choose(), concurrency=concurrency)
    assert licensed_emails(sandbox) == set(emails)
    assert_audited_once(engine)
    return result, emails


def _reads(sandbox: Sandbox) -> tuple[int, int]:
    """(pages of GET /users, GETs of one user) Zoom answered."""
    gets = [r.path for r in sandbox.request_log if r.method == "GET" and 200 <= r.status < 300]
    return gets.count("/users"), sum(1 for p in gets if p.startswith("/users/"))


async def test_many_sent_licenses_are_read_back_from_the_user_list_not_one_get_each(sqlite_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=300))
    result, _ = await _resume_with_sent(sqlite_url, sandbox, 200, 120, concurrency=4)
    assert result.reread == 60
    # 201 users: one page settles the 60 it shows done instead of 60 GETs; the 60 it shows not
    # done are each read once more before they go again (a list may lag behind a write).
    assert _reads(sandbox) == (1, 60)
    sent = [r for r in sandbox.request_log if r.path == "/users/features"]
    assert sum(len(r.users) for r in sent) == 140  # the 60 not made and the 80 never sent, once


async def test_a_few_sent_licenses_are_read_back_one_get_each(sqlite_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=300))
    result, _ = await _resume_with_sent(sqlite_url, sandbox, 40, 8, concurrency=4)
    assert result.reread == 4
    assert _reads(sandbox) == (0, 8)  # two rounds of GETs: no list page could do better


async def test_a_list_zoom_refuses_leaves_every_sent_license_to_its_own_get(sqlite_url: str) -> None:
    # A Zoom that takes at most 300 a page refuses the 2000 asked for: each user is read alone.
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=300, max_page_size=300))
    result, _ = await _resume_with_sent(sqlite_url, sandbox, 200, 120, concurrency=4)
    assert result.reread == 60
    assert _reads(sandbox) == (0, 120)
    assert [r.status for r in sandbox.request_log if r.path == "/users"] == [400]
