"""Plan usage is Heavy, its daily budget shared by every app on the account (ZOOM_API.md §4,
§11): each command reads it at most once. Counted at the account, over HTTP, for every command
that reads it, on a run that downgrades, creates, licenses and gives an add-on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from models import AccountSnapshot, make_engine
from models.db import dispose_engines
from provision.cli import app
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()


@pytest.fixture
def account(tmp_path: Path) -> Iterator[tuple[Sandbox, Any, Any]]:
    """A served account, `run(*args) -> exit code, plan-usage requests it made`, and
    `recorded() -> (seats used, pending)` as the database's latest account snapshot holds them."""
    sandbox = Sandbox(SandboxConfig(seats=4, large_meeting_seats={500: 2}, managed_domains=["s.org"]))
    sandbox.add_user(email="admin@s.org", type=1)  # on the roster as admin: license + add-on
    sandbox.add_user(email="pupil@s.org", type=2)  # on the roster as student: downgraded
    server = sandbox.serve().start()
    env = {
        "ZOOM_ACCOUNT_ID": sandbox.config.account_id,
        "ZOOM_CLIENT_ID": sandbox.config.client_id,
        "ZOOM_CLIENT_SECRET": sandbox.config.client_secret,
        "ZOOM_API_URL": server.api_url,
        "ZOOM_OAUTH_URL": server.oauth_url,
    }
    db = f"sqlite:///{tmp_path / 'provision.db'}"

    def run(*args: str) -> tuple[int, int]:
        before = len(sandbox.request_log)
        result = runner.invoke(app, ["--db", db, *args], env=env)
        dispose_engines()
        reads = sum(1 for r in sandbox.request_log[before:] if r.path.endswith("/plans/usage"))
        return result.exit_code, reads

    (tmp_path / "schools.csv").write_text("code,name,region,seats\n0421,Ліцей 421,Київ,3\n", encoding="utf-8")
    (tmp_path / "roster.csv").write_text(
        "school,email,first name,last name,role\n"
        "0421,admin@s.org,Ірина,Бондар,admin\n"
        "0421,pupil@s.org,Петро,Учень,student\n"
        "0421,t1@s.org,Олена,Коваль,teacher\n"
        "0421,t2@s.org,Марія,Шевченко,teacher\n",
        encoding="utf-8",
    )

    def recorded() -> tuple[int, int]:
        with Session(make_engine(db)) as session:
            row = session.exec(
                select(AccountSnapshot).order_by(
                    col(AccountSnapshot.observed_at).desc(), col(AccountSnapshot.id).desc()
                )
            ).first()
        assert row is not None
        return row.seats_used, row.seats_pending

    assert run("import", "schools", str(tmp_path / "schools.csv"))[0] == 0
    assert run("import", "roster", str(tmp_path / "roster.csv"))[0] == 0
    try:
        yield sandbox, run, recorded
    finally:
        server.stop()


def test_every_command_reads_plan_usage_at_most_once(account: tuple[Sandbox, Any, Any]) -> None:
    sandbox, run, recorded = account

    def zoom_says() -> tuple[int, int]:
        base = sandbox.plan_usage()["plan_base"]
        return base["usage"], base["pending"]

    assert run("sync") == (0, 1)
    assert run("doctor") == (0, 1)
    assert run("reconcile") == (3, 1)  # drift: two to create, one to license, one to downgrade
    assert run("plan") == (0, 0)  # the snapshot only
    # Downgrade, then seats (after the downgrade), the add-on pool, the seats recorded after:
    # one read, carried forward by what the apply itself changed.
    assert run("apply", "--yes") == (0, 1)
    assert {u["email"]: (u["type"], u["status"]) for u in sandbox.users()} == {
        "admin@s.org": (2, "active"),
        "pupil@s.org": (1, "active"),
        "t1@s.org": (2, "pending"),
        "t2@s.org": (2, "pending"),
    }
    assert [pool["usage"] for pool in sandbox.plan_usage()["plan_large_meeting"]] == [1]  # the admin's
    assert recorded() == zoom_says() == (1, 2)  # carried forward, not read again: Zoom's figures

    sandbox.set_user_type("pupil@s.org", 2)  # licensed again by hand
    # Observe, fix (the seats freed by its downgrade), observe again: still one read.
    assert run("reconcile", "--fix", "--yes") == (0, 1)
    assert sandbox.find_user("pupil@s.org")["type"] == 1  # type: ignore[index]
    assert recorded() == zoom_says() == (1, 2)
    assert run("sync") == (0, 1)
    assert run("reconcile") == (0, 1)  # the figures carried forward were Zoom's own
