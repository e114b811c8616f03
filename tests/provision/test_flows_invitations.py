"""An invitation nobody accepts expires after 30 days: Zoom drops it from the pending list and a
read answers 400/1120 (ZOOM_API.md §11). Sync records it; after `reinvite_after_days` it is sent
once more, recorded; if that one expires too it is never sent again by itself. Reconcile shows
both. Through sandbox -> sync -> plan -> apply, time moved by the sandbox's clock (no sleeps).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent
from models.db import dispose_engines
from provision.cli import app
from provision.core.kinds import ActionKind, DriftKind
from provision.core.policy import Policy
from provision.run.apply import apply_plan
from provision.run.reconcile import reconcile
from provision.store.planning import make_plan
from tests.provision.apply_kit import converge, database, open_client, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

DOMAIN = "school.example"
ANNA, BORYS = f"anna@{DOMAIN}", f"borys@{DOMAIN}"
DAY = 86400.0
POLICY = Policy(create_action="create", use_groups=False, reinvite_after_days=7)


def _plan(engine: object, *, days: float, retry_blocked: bool = False) -> object:
    with Session(engine) as session:  # type: ignore[arg-type]
        plan = make_plan(
            session,
            POLICY,
            now=datetime.now(UTC) + timedelta(days=days),
            actor="test",
            retry_blocked=retry_blocked,
        )
        session.commit()
    return plan


async def _reconcile(engine: object, sandbox: Sandbox, *, days: float) -> object:
    async with open_client(sandbox) as client:
        return await reconcile(
            engine,  # type: ignore[arg-type]
            client,
            POLICY,
            actor="nightly",
            now=datetime.now(UTC) + timedelta(days=days),
        )


async def _apply(engine: object, sandbox: Sandbox, plan: object) -> None:
    async with open_client(sandbox) as client:
        result = await apply_plan(engine, client, plan, actor="test")  # type: ignore[arg-type]
    assert result.complete


def _pending(sandbox: Sandbox) -> set[str]:
    return {u["email"] for u in sandbox.users() if u["status"] == "pending"}


async def test_an_expired_invitation_is_sent_once_more_and_only_once(
    database_url: str, tmp_path: Path
) -> None:
    engine = database(database_url)
    seed(engine, {"0701": 5}, [(ANNA, "0701", "teacher"), (BORYS, "0701", "teacher")])
    sandbox = Sandbox(SandboxConfig(seats=5, managed_domains=[DOMAIN]))
    await converge(engine, sandbox, POLICY)
    assert _pending(sandbox) == {ANNA, BORYS}

    sandbox.clock.advance(30 * DAY + 60)  # Zoom drops them
    found = await _reconcile(engine, sandbox, days=0)
    assert sandbox.users() == []
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "invitation_expired")).all()
    assert sorted((e.person_email, e.zoom_code, e.actor) for e in events) == [
        (ANNA, 1120, "nightly"),
        (BORYS, 1120, "nightly"),
    ]
    expired = found.drift.kinds[DriftKind.INVITATION_EXPIRED]  # type: ignore[attr-defined]
    assert [i["email"] for i in expired] == [ANNA, BORYS]
    assert "sent once more on" in expired[0]["detail"]
    assert found.drift.alerts == 0, found.drift.counts  # type: ignore[attr-defined]
    assert found.exit_code == 0  # the tool handles these itself: shown, no alert  # type: ignore[attr-defined]

    # Not before reinvite_after_days: they wait, with the date.
    early = _plan(engine, days=6)
    assert early.actions == []  # type: ignore[attr-defined]
    assert {w.email for w in early.waiting} == {ANNA, BORYS}  # type: ignore[attr-defined]
    assert "sent once more on" in early.waiting[0].reason  # type: ignore[attr-defined]

    # After: invited once more, the reason says so, and it is recorded like any create.
    due = _plan(engine, days=8)
    assert {(a.kind, a.email) for a in due.actions} == {(ActionKind.CREATE, ANNA), (ActionKind.CREATE, BORYS)}  # type: ignore[attr-defined]
    assert all("sent once more" in a.reason for a in due.actions)  # type: ignore[attr-defined]
    await _apply(engine, sandbox, due)
    assert _pending(sandbox) == {ANNA, BORYS}
    resent = (await _reconcile(engine, sandbox, days=8)).drift.kinds[DriftKind.INVITATION_EXPIRED]  # type: ignore[attr-defined]
    assert all("re-sent on" in i["detail"] and i["resent_at"] for i in resent)

    # Expired again: never sent a third time by itself, however long it waits; an alert.
    sandbox.clock.advance(30 * DAY + 60)
    again = await _reconcile(engine, sandbox, days=40)
    assert again.exit_code == 3  # type: ignore[attr-defined]
    given_up = again.drift.kinds[DriftKind.INVITATION_NOT_RESENT]  # type: ignore[attr-defined]
    assert [i["email"] for i in given_up] == [ANNA, BORYS]
    assert "not sent again automatically" in given_up[0]["detail"]
    later = _plan(engine, days=400)
    assert later.actions == []  # type: ignore[attr-defined]
    assert "expired unanswered twice" in later.waiting[0].reason  # type: ignore[attr-defined]

    # The table and the JSON of `provision reconcile` show them.
    state = tmp_path / "sandbox-state.json"
    sandbox.save(state)
    argv = ["--db", database_url, "--sandbox", "reconcile"]
    env = {"PROVISION_SANDBOX_STATE": str(state)}
    # In a thread: the CLI runs its own event loop, and this test is inside one.
    table = await asyncio.to_thread(CliRunner().invoke, app, argv, env=env)
    dispose_engines()
    assert table.exit_code == 3, table.output
    assert "invitation not resent" in table.stdout
    assert f"{ANNA} [0701]: invitations expired unanswered twice" in " ".join(table.stdout.split())
    document = await asyncio.to_thread(CliRunner().invoke, app, [*argv, "--json"], env=env)
    dispose_engines()
    kinds = json.loads(document.stdout)["data"]["kinds"]
    assert [i["email"] for i in kinds["invitation_not_resent"]] == [ANNA, BORYS]
    assert len(kinds["invitation_not_resent"][0]["expired_at"]) == 2

    # The operator decides: --retry-blocked invites them again.
    retried = _plan(engine, days=400, retry_blocked=True)
    assert {a.email for a in retried.actions} == {ANNA, BORYS}  # type: ignore[attr-defined]
