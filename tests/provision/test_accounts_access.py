"""Many Zoom accounts (issue 17): the account key on actions and operations, and the client of
each account (`ZoomAccounts.client_for`): the main one, a sub-account of the master, an alias with
credentials of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models import Operation
from provision.core.accounts import AccountConfig
from provision.core.kinds import ActionKind
from provision.core.plan import Action, Plan
from provision.errors import InputError, NotConfiguredError
from provision.run.zoom_access import ZoomAccounts
from provision.store.journal import Journal, prepare
from provision.store.policy_file import parse_policy
from tests.provision.apply_kit import database, open_client
from zoom_client import AsyncZoomClient, ZoomSettings
from zoom_client.sandbox import Sandbox, SandboxConfig

SUB = "SubKharkiv01"
KYIV = AccountConfig(
    account_id_env="KYIV_ZOOM_ACCOUNT_ID",
    client_id_env="KYIV_ZOOM_CLIENT_ID",
    client_secret_env="KYIV_ZOOM_CLIENT_SECRET",
)
KYIV_ENV = {
    "KYIV_ZOOM_ACCOUNT_ID": "KyivAccount01",
    "KYIV_ZOOM_CLIENT_ID": "kyiv-client",
    "KYIV_ZOOM_CLIENT_SECRET": "kyiv-very-secret",
}


async def test_a_sub_account_id_reaches_that_sub_account_with_its_own_seats_and_limiter() -> None:
    sandbox = Sandbox(SandboxConfig(seats=5, sub_accounts={SUB: 3}))
    async with open_client(sandbox) as main, ZoomAccounts(main) as zoom:
        assert zoom.client_for("") is main
        sub = zoom.client_for(SUB)
        assert zoom.client_for(f" {SUB} ") is sub  # one client, hence one limiter, per account
        assert sub.limiter is not main.limiter
        assert (await sub.accounts.plan_usage()).plan_base.hosts == 3  # type: ignore[union-attr]
        assert (await main.accounts.plan_usage()).plan_base.hosts == 5  # type: ignore[union-attr]
        await sub.users.create(email="olena@school.example", type=2)
    assert sandbox.find_user("olena@school.example", account_id=SUB) is not None
    assert sandbox.find_user("olena@school.example") is None  # not in the master account


async def test_an_alias_is_an_account_of_its_own_reached_with_the_credentials_the_policy_names() -> None:
    ministry = Sandbox(SandboxConfig(seats=5))
    kyiv = Sandbox(
        SandboxConfig(
            seats=7, account_id="KyivAccount01", client_id="kyiv-client", client_secret="kyiv-very-secret"
        )
    )
    opened: list[ZoomSettings] = []

    def open_alias(alias: str, settings: ZoomSettings) -> AsyncZoomClient:
        opened.append(settings)
        return AsyncZoomClient(settings, transport=kyiv.async_transport())

    async with (
        open_client(ministry) as main,
        ZoomAccounts(main, {"kyiv": KYIV}, environ=KYIV_ENV, open_alias=open_alias) as zoom,
    ):
        client = zoom.client_for("kyiv")
        assert zoom.client_for("kyiv") is client
        assert (await client.accounts.plan_usage()).plan_base.hosts == 7  # type: ignore[union-attr]
    assert len(opened) == 1
    assert opened[0].account_id == "KyivAccount01"
    assert opened[0].api_url == main.settings.api_url  # everything but the credentials: the main's


async def test_an_alias_whose_variables_are_unset_names_them_and_never_a_secret() -> None:
    sandbox = Sandbox(SandboxConfig(seats=5))
    env = {k: v for k, v in KYIV_ENV.items() if k != "KYIV_ZOOM_CLIENT_ID"}
    async with open_client(sandbox) as main, ZoomAccounts(main, {"kyiv": KYIV}, environ=env) as zoom:
        with pytest.raises(NotConfiguredError) as err:
            zoom.client_for("kyiv")
    assert "KYIV_ZOOM_CLIENT_ID" in str(err.value)
    assert "kyiv-very-secret" not in str(err.value)


def test_plan_files_carry_the_account_and_older_ones_read_as_the_main_account() -> None:
    action = Action(ActionKind.LICENSE, "olena@school.example", "0421", "teacher", zoom_id="u1", account=SUB)
    data = Plan(actions=[action], fingerprint="f").to_data()
    assert data["actions"][0]["account"] == SUB
    assert Plan.from_data(data).actions[0].account == SUB
    del data["actions"][0]["account"]  # a plan file written before accounts existed
    assert Plan.from_data(data).actions[0].account == ""


async def test_the_journal_records_the_account_each_operation_is_sent_to(database_url: str) -> None:
    engine = database(database_url)
    plan = Plan(
        actions=[
            Action(ActionKind.LICENSE, "a@school.example", "0421", "teacher", zoom_id="u1"),
            Action(ActionKind.LICENSE, "b@school.example", "0999", "teacher", zoom_id="u2", account=SUB),
        ],
        fingerprint="f" * 64,
    )
    ops, _ = prepare(engine, plan)
    async with Journal(engine, "test", plan.fingerprint, ops):
        pass  # journals what it did not reach, pending
    with Session(engine) as session:
        rows = session.execute(select(Operation.email, Operation.account).order_by(Operation.seq)).all()  # type: ignore[arg-type]
    assert [tuple(r) for r in rows] == [("a@school.example", ""), ("b@school.example", SUB)]


def test_the_policy_declares_aliases_by_the_names_of_variables_never_the_secrets() -> None:
    policy = parse_policy(
        '[accounts.kyiv]\naccount_id_env = "KYIV_ZOOM_ACCOUNT_ID"\nclient_id_env = "KYIV_ZOOM_CLIENT_ID"\n'
        'client_secret_env = "KYIV_ZOOM_CLIENT_SECRET"\n[accounts.SubKharkiv01]\nbasic_cap = 500\n'
    )
    assert policy.aliases == {"kyiv"}
    assert parse_policy(policy.to_toml()) == policy  # `policy show` prints what reads back
    with pytest.raises(InputError, match=r"unknown key 'accounts.kyiv.client_secret'"):
        parse_policy('[accounts.kyiv]\naccount_id_env = "A"\nclient_id_env = "B"\nclient_secret = "s3cret"\n')
    with pytest.raises(InputError, match="all three environment variables"):
        parse_policy('[accounts.kyiv]\naccount_id_env = "KYIV_ZOOM_ACCOUNT_ID"\n')
    with pytest.raises(InputError, match="neither an alias"):
        parse_policy("[accounts.kyiv]\nbasic_cap = 5\n")
