"""One plan over a master account and its sub-accounts (issue 17, asks 2 and 3), through the path
production takes: the sandbox with sub-accounts (each its own seats) -> sync of every account ->
plan -> apply (each account's operations with its own client) -> reconcile."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from rich.console import Console
from sqlalchemy import Engine, update
from sqlmodel import Session

from models import Institution, Operation, bulk_insert
from provision.core.accounts import AccountConfig
from provision.core.accounts_plan import split
from provision.core.kinds import ActionKind, DriftKind
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.core.state import Desired, Observed, School
from provision.errors import UnsafePlanError
from provision.reports import export, queries
from provision.reports.render import print_plan
from provision.run.apply import apply_plan
from provision.run.observe import sync_accounts
from provision.run.reconcile import reconcile
from provision.run.zoom_access import ZoomAccounts
from provision.store.planning import make_plan
from tests.provision.apply_kit import database, licensed_emails, open_client, roster_change, seed
from zoom_client import AsyncZoomClient, ZoomSettings
from zoom_client.sandbox import Sandbox, SandboxConfig

SUB = "SubKharkiv01"
SUB2 = "SubOdesa0002"
KYIV = AccountConfig(
    account_id_env="KYIV_ZOOM_ACCOUNT_ID",
    client_id_env="KYIV_ZOOM_CLIENT_ID",
    client_secret_env="KYIV_ZOOM_SECRET",
)
POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})


def teachers(code: str, n: int) -> list[tuple[str, str, str]]:
    return [(f"t{i}.{code}@school.example", code, "teacher") for i in range(n)]


def put_in_account(engine: Engine, code: str, account: str) -> None:
    with Session(engine) as session:
        session.execute(update(Institution).where(Institution.code == code).values(account=account))  # type: ignore[arg-type]
        session.commit()


def ministry(**config: Any) -> Sandbox:
    return Sandbox(SandboxConfig(managed_domains=["school.example"], **config))


async def sync_plan(engine: Engine, sandbox: Sandbox, policy: Policy = POLICY, **zoom: Any) -> Plan:
    async with open_client(sandbox) as main, ZoomAccounts(main, policy.accounts, **zoom) as accounts:
        await sync_accounts(engine, accounts)
    with Session(engine) as session:
        plan = make_plan(session, policy, actor="test")
        session.commit()
    return plan


async def apply_each_account(engine: Engine, sandbox: Sandbox, plan: Plan, policy: Policy = POLICY) -> None:
    """Apply, each account's operations sent by that account's client (ZoomAccounts)."""
    async with open_client(sandbox) as main, ZoomAccounts(main, policy.accounts) as accounts:
        result = await apply_plan(engine, accounts, plan, actor="test")
    assert result.complete


def by_account(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for action in plan.actions:
        found.setdefault(action.account, []).append((action.kind.value, action.email))
    return found


async def test_each_account_is_planned_against_its_own_seats(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0201": 10}, teachers("0101", 4) + teachers("0201", 4))
    put_in_account(engine, "0201", SUB)
    sandbox = ministry(seats=2, sub_accounts={SUB: 3})

    plan = await sync_plan(engine, sandbox)

    groups = by_account(plan)
    assert [kind for kind, _ in groups[""]] == ["create", "create"]  # the master's 2 seats
    assert [kind for kind, _ in groups[SUB]] == ["create"] * 3  # the sub-account's 3
    assert all(email.endswith(".0201@school.example") for _, email in groups[SUB])
    assert [a.account for a in plan.actions] == sorted(a.account for a in plan.actions)  # grouped
    waiting = {w.email: w.institution_code for w in plan.waiting}
    assert sorted(waiting.values()) == ["0101", "0101", "0201"]
    accounts = plan.summary.accounts
    assert accounts[""].totals.seats_purchased == 2
    assert accounts[SUB].totals.seats_purchased == 3
    assert plan.summary.schools["0201"].account == SUB
    data = plan.to_data()
    assert {a["account"] for a in data["actions"]} == {"", SUB}
    assert Plan.from_data(data).summary.accounts[SUB].totals.seats_purchased == 3


async def test_an_accounts_daily_create_cap_holds_its_creates_back_not_the_others(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0201": 10}, teachers("0101", 3) + teachers("0201", 3))
    put_in_account(engine, "0201", SUB)
    sandbox = ministry(seats=10, sub_accounts={SUB: 10})
    policy = POLICY.model_copy(
        update={"create_action": "create", "accounts": {SUB: AccountConfig(daily_create_cap=1)}}
    )

    plan = await sync_plan(engine, sandbox, policy)

    groups = by_account(plan)
    assert len(groups[""]) == 3
    assert len(groups[SUB]) == 1
    held = [w for w in plan.waiting if "daily create cap" in w.reason]
    assert len(held) == 2
    assert {w.institution_code for w in held} == {"0201"}
    assert plan.summary.accounts[SUB].creates_held == 2
    assert plan.summary.accounts[""].creates_held == 0


async def test_safety_thresholds_are_judged_per_account(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0201": 10}, teachers("0101", 2) + teachers("0201", 2))
    put_in_account(engine, "0201", SUB)
    sandbox = ministry(seats=10, sub_accounts={SUB: 10})
    for i in range(2):
        sandbox.add_user(email=f"t{i}.0101@school.example", type=2)
        sandbox.add_user(email=f"t{i}.0201@school.example", type=2, account_id=SUB)
    policy = POLICY.model_copy(update={"accounts": {SUB: AccountConfig(max_revoke_count=0)}})
    await apply_each_account(engine, sandbox, await sync_plan(engine, sandbox, policy))  # adopted
    roster_change(engine, leave=["t0.0101@school.example", "t0.0201@school.example"])

    with pytest.raises(UnsafePlanError) as refused:
        await sync_plan(engine, sandbox, policy)

    assert f"account {SUB}: the plan revokes 1 licenses" in str(refused.value)
    assert "the main account" not in str(refused.value)  # its revocation is within its thresholds


async def test_a_person_whose_school_moves_to_a_sub_account_is_moved_then_licensed_there(
    database_url: str,
) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10}, teachers("0101", 1))
    sandbox = ministry(seats=1, sub_accounts={SUB: 1})
    email = "t0.0101@school.example"
    sandbox.add_user(email=email, type=2)
    await apply_each_account(engine, sandbox, await sync_plan(engine, sandbox))  # adopted, licensed
    put_in_account(engine, "0101", SUB)  # the school now belongs to the Kharkiv sub-account

    plan = await sync_plan(engine, sandbox)

    # The license goes back in the account it was bought in, then Zoom moves the user; nobody is
    # created twice and nothing is revoked for the move itself.
    assert [(a.kind, a.account) for a in plan.actions] == [
        (ActionKind.UNLICENSE, ""),
        (ActionKind.MOVE, ""),
    ]
    assert plan.actions[-1].payload.to_data() == {"account": SUB}
    await apply_each_account(engine, sandbox, plan)
    assert sandbox.find_user(email) is None
    assert sandbox.find_user(email, account_id=SUB)["type"] == 1

    plan = await sync_plan(engine, sandbox)
    assert [(a.kind, a.account) for a in plan.actions] == [(ActionKind.LICENSE, SUB)]
    await apply_each_account(engine, sandbox, plan)
    assert licensed_emails_in(sandbox, SUB) == {email}
    assert (await sync_plan(engine, sandbox)).actions == []
    assert licensed_emails(sandbox) == set()  # the master's seat is free again


def licensed_emails_in(sandbox: Sandbox, account: str) -> set[str]:
    return {u["email"] for u in sandbox.users(account_id=account) if int(u["type"]) == 2}


async def test_a_move_zoom_does_not_document_waits_with_the_reason_naming_both_accounts(
    database_url: str,
) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0201": 10}, teachers("0101", 1) + teachers("0201", 1))
    put_in_account(engine, "0201", SUB2)
    sandbox = ministry(seats=5, sub_accounts={SUB: 5, SUB2: 5})
    # 0101 is the master's school, but its teacher is a user of the Kharkiv sub-account; 0201 is
    # in Odesa's, its teacher an administrator of the master.
    sandbox.add_user(email="t0.0101@school.example", type=2, account_id=SUB)
    sandbox.add_user(email="t0.0201@school.example", type=2, role_id="1")

    plan = await sync_plan(engine, sandbox)

    assert plan.actions == []
    reasons = {w.email: w.reason for w in plan.waiting}
    into_master = reasons["t0.0101@school.example"]
    assert f"Zoom holds this user in account {SUB}, their school is in the main account" in into_master
    assert "not into the master account" in into_master
    assert "PUT /accounts/{accountId}/users/{userId}/account" in into_master
    assert "owner or admins" in reasons["t0.0201@school.example"]
    assert sandbox.find_user("t0.0101@school.example") is None  # never created a second time


async def test_an_alias_account_is_synced_and_planned_with_its_own_credentials(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0301": 10}, teachers("0101", 1) + teachers("0301", 2))
    put_in_account(engine, "0301", "kyiv")
    master = ministry(seats=5)
    kyiv = Sandbox(
        SandboxConfig(
            seats=1,
            account_id="KyivAccount01",
            client_id="kyiv-client",
            client_secret="kyiv-secret",
            managed_domains=["school.example"],
        )
    )
    env = {
        "KYIV_ZOOM_ACCOUNT_ID": "KyivAccount01",
        "KYIV_ZOOM_CLIENT_ID": "kyiv-client",
        "KYIV_ZOOM_SECRET": "kyiv-secret",
    }

    def open_alias(alias: str, settings: ZoomSettings) -> AsyncZoomClient:
        return AsyncZoomClient(settings, transport=kyiv.async_transport())

    policy = POLICY.model_copy(update={"accounts": {"kyiv": KYIV}})
    plan = await sync_plan(engine, master, policy, environ=env, open_alias=open_alias)

    groups = by_account(plan)
    assert [kind for kind, _ in groups["kyiv"]] == ["create"]  # Kyiv's one seat
    assert plan.summary.accounts["kyiv"].totals.seats_purchased == 1
    assert [w.institution_code for w in plan.waiting] == ["0301"]
    assert groups[""] == [("create", "t0.0101@school.example")]


async def test_queries_the_audit_workbook_and_the_plan_name_each_persons_account(
    database_url: str, tmp_path: Path
) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10, "0201": 10}, teachers("0101", 1) + teachers("0201", 2))
    put_in_account(engine, "0201", SUB)
    sandbox = ministry(seats=5, sub_accounts={SUB: 1})
    sandbox.add_user(email="t0.0201@school.example", type=2, account_id=SUB)  # licensed there already
    plan = await sync_plan(engine, sandbox)
    await apply_each_account(engine, sandbox, plan)

    with Session(engine) as session:
        assert queries.school(session, "0201").school.account == SUB
        assert {row.code: row.account for row in queries.schools(session).schools} == {
            "0101": "",
            "0201": SUB,
        }
        found = queries.person(session, "t0.0201@school.example")
        assert found.snapshot is not None
        assert found.snapshot["account"] == SUB
        assert found.memberships[0]["account"] == SUB
        export.export_audit_xlsx(session, tmp_path / "audit.xlsx")
    book = load_workbook(tmp_path / "audit.xlsx", read_only=True)
    licenses = list(book["Licenses"].iter_rows(values_only=True))
    account = licenses[0].index("Zoom account")
    by_email = {row[0]: row[account] for row in licenses[1:]}
    assert by_email["t0.0201@school.example"] == SUB  # holds the sub-account's seat
    assert by_email["t1.0201@school.example"] == SUB  # waits for one there (its one seat is taken)
    changes = list(book["Changes"].iter_rows(values_only=True))
    column = changes[0].index("Zoom account")
    person = changes[0].index("Person")
    sent_to = {row[person]: row[column] for row in changes[1:]}
    assert sent_to == {"t0.0201@school.example": SUB, "t0.0101@school.example": "main"}
    text = io.StringIO()
    print_plan(Console(file=text, width=160), plan)
    assert "Plan per Zoom account" in text.getvalue()
    assert SUB in text.getvalue()


async def test_a_move_into_an_account_at_its_basic_cap_waits_and_keeps_the_license(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10}, teachers("0101", 1))
    sandbox = ministry(seats=1, sub_accounts={SUB: 1})
    email = "t0.0101@school.example"
    sandbox.add_user(email=email, type=2)
    sandbox.add_user(email="someone@elsewhere.example", type=1, account_id=SUB)
    policy = POLICY.model_copy(update={"accounts": {SUB: AccountConfig(basic_cap=1)}})
    await apply_each_account(engine, sandbox, await sync_plan(engine, sandbox, policy))
    put_in_account(engine, "0101", SUB)

    plan = await sync_plan(engine, sandbox, policy)

    assert plan.actions == []  # not even the license taken back: the move could not follow
    (line,) = plan.waiting
    assert line.email == email
    assert f"account {SUB} holds its 1 Basic users already" in line.reason
    assert sandbox.find_user(email)["type"] == 2


async def test_sync_plan_apply_reconcile_over_a_master_and_two_sub_accounts(database_url: str) -> None:
    engine = database(database_url)
    seed(
        engine,
        {"0101": 10, "0201": 10, "0301": 10},
        teachers("0101", 3) + teachers("0201", 3) + teachers("0301", 3),
    )
    put_in_account(engine, "0201", SUB)
    put_in_account(engine, "0301", SUB2)
    sandbox = ministry(seats=3, sub_accounts={SUB: 2, SUB2: 3})
    sandbox.add_user(email="t0.0201@school.example", type=1, account_id=SUB)  # Basic there already

    plan = await sync_plan(engine, sandbox)
    await apply_each_account(engine, sandbox, plan)

    assert licensed_emails(sandbox) == {f"t{i}.0101@school.example" for i in range(3)}
    assert len(licensed_emails_in(sandbox, SUB)) == 2  # its two seats, never more
    assert licensed_emails_in(sandbox, SUB2) == {f"t{i}.0301@school.example" for i in range(3)}
    assert {w.institution_code for w in plan.waiting} == {"0201"}
    refused = [r for r in sandbox.request_log if r.status >= 400]
    assert refused == []  # no seat, cap or create refused in any account
    async with open_client(sandbox) as main, ZoomAccounts(main) as accounts:
        result = await reconcile(engine, accounts, POLICY, actor="test")
    assert result.drift.kinds[DriftKind.ENTITLED_NOT_LICENSED] == []
    assert result.drift.kinds[DriftKind.ACCOUNT_SEATS] == []
    assert set(result.drift.account["accounts"]) == {"", SUB, SUB2}
    assert result.drift.account["accounts"][SUB]["used"] == 2


async def test_one_account_alone_stays_within_its_daily_create_cap_too(database_url: str) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10}, teachers("0101", 3))
    sandbox = ministry(seats=10)
    with Session(engine) as session:  # 9,999 users created today already (by earlier applies)
        bulk_insert(
            session,
            Operation,
            [
                {
                    "plan_fingerprint": "earlier",
                    "seq": i,
                    "kind": "create",
                    "email": f"u{i}@x.example",
                    "state": "succeeded",
                    "payload": {},
                }
                for i in range(9_999)
            ],
        )
        session.commit()

    plan = await sync_plan(engine, sandbox, POLICY.model_copy(update={"create_action": "create"}))

    assert [a.kind for a in plan.actions] == [ActionKind.CREATE]
    held = [w for w in plan.waiting if "10,000 users a day" in w.reason]
    assert len(held) == 2
    assert held[0].role == "teacher"


async def test_a_leaver_of_a_school_now_in_a_sub_account_loses_the_license_where_it_is_not_moved(
    database_url: str,
) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10}, teachers("0101", 2))
    sandbox = ministry(seats=2, sub_accounts={SUB: 2})
    for i in range(2):
        sandbox.add_user(email=f"t{i}.0101@school.example", type=2)
    await apply_each_account(engine, sandbox, await sync_plan(engine, sandbox))  # adopted
    put_in_account(engine, "0101", SUB)
    roster_change(engine, leave=["t0.0101@school.example"])

    plan = await sync_plan(engine, sandbox)

    by_email = {(a.email, a.kind): a.account for a in plan.actions}
    assert by_email[("t0.0101@school.example", ActionKind.UNLICENSE)] == ""  # where the seat is
    assert ("t0.0101@school.example", ActionKind.MOVE) not in by_email
    assert by_email[("t1.0101@school.example", ActionKind.MOVE)] == ""  # the one still there moves
    figures = plan.summary.schools["0101"]
    assert figures.account == SUB
    assert figures.actions[ActionKind.MOVE] == 1
    assert figures.actions[ActionKind.UNLICENSE] == 2  # the leaver's, and the mover's before its move


def test_each_accounts_part_sees_all_that_is_known_of_its_people() -> None:
    # Contests and expired invitations were left out of the parts once: a policy with an
    # [accounts] table fought the other writer again and lost the invitations' resend rules.
    per_account = {"users", "account", "accounts", "created_today"}
    known = {f.name: object() for f in dataclasses.fields(Observed) if f.name not in per_account}
    observed = Observed(**known)  # type: ignore[arg-type]
    schools = {"0421": School("0421"), "0801": School("0801", account="subeast001")}
    parts = split(Desired(schools=schools), observed, Policy())
    assert set(parts) == {"", "subeast001"}
    for part in parts.values():
        assert {name: getattr(part.observed, name) for name in known} == known
