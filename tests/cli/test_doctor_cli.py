"""`provision doctor`: with real credentials (ZOOM_* variables) against a sandbox served over
HTTP, as an operator runs it before the first real sync; exit 0 only when all is there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from models import Institution, make_engine
from provision.cli import app
from tests.cli.envelope import envelope, payload
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()
NEEDED_BUT_CREATE = [
    "user:read:list_users:admin",
    "user:read:user:admin",
    "user:read:settings:admin",
    "group:read:list_groups:admin",
    "billing:read:plan_usage:admin",
    "user:write:user:admin",
    "user:update:user:admin",
    "user:update:status:admin",
    "user:update:settings:admin",
    "user:write:feature:admin",
    "group:write:group:admin",
    "group:write:member:admin",
]


@pytest.fixture
def served() -> Iterator[Any]:
    """serve(sandbox) -> env: the sandbox on a loopback port and the ZOOM_* settings reaching it."""
    servers: list[Any] = []

    def serve(sandbox: Sandbox) -> dict[str, str]:
        server = sandbox.serve().start()
        servers.append(server)
        config = sandbox.config
        return {
            "ZOOM_ACCOUNT_ID": config.account_id,
            "ZOOM_CLIENT_ID": config.client_id,
            "ZOOM_CLIENT_SECRET": config.client_secret,
            "ZOOM_API_URL": server.api_url,
            "ZOOM_OAUTH_URL": server.oauth_url,
        }

    yield serve
    for server in servers:
        server.stop()


def _ready_db(url: str) -> None:
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0


def test_everything_there_is_exit_0(served: Any, sqlite_url: str) -> None:
    _ready_db(sqlite_url)
    sandbox = Sandbox(
        SandboxConfig(seats=10, rate_limits=True, pending_in_usage=True, managed_domains=["s.org"])
    )
    sandbox.add_user(email="lic@s.org", type=2)
    sandbox.add_user(email="inv@s.org", type=2, status="pending")
    sandbox.add_user(email="b@s.org", type=1)
    env = served(sandbox)

    result = runner.invoke(app, ["--db", sqlite_url, "doctor", "--json"], env=env)

    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert data["ok"] is True
    assert data["missing_scopes"] == []
    assert all(state == "granted" for state in data["scopes"].values())
    assert data["pools"]["plan_base"] == [{"type": "monthly", "hosts": 10, "usage": 2, "pending": 1}]
    assert data["pending_reading"]["reading"] == "pending_in_usage"
    assert data["basic"] == {"count": 1, "cap": 9999, "room": 9998}
    assert data["rate_tier"] == "business_plus"  # from the X-RateLimit-Limit headers
    assert data["managed_domains"] == ["s.org"]
    # The probes changed nothing (write probes aim at a user id that cannot exist).
    assert [(u["email"], u["type"], u["status"]) for u in sandbox.users()] == [
        ("lic@s.org", 2, "active"),
        ("inv@s.org", 2, "pending"),
        ("b@s.org", 1, "active"),
    ]


def test_missing_scopes_are_all_named_and_exit_1(served: Any, sqlite_url: str) -> None:
    _ready_db(sqlite_url)
    granted = [
        s for s in NEEDED_BUT_CREATE if s not in ("user:update:user:admin", "user:write:feature:admin")
    ]
    env = served(Sandbox(SandboxConfig(seats=5, granted_scopes=granted)))

    result = runner.invoke(app, ["--db", sqlite_url, "doctor", "--json"], env=env)

    assert result.exit_code == 1
    data = payload(result.stdout)
    assert data["missing_scopes"] == ["user:update:user:admin", "user:write:feature:admin"]
    human = runner.invoke(app, ["--db", sqlite_url, "doctor"], env=env)
    assert human.exit_code == 1
    assert "FAIL" in human.stdout
    assert "scopes" in human.stdout


def test_pending_apart_and_basic_cap_reached(served: Any, sqlite_url: str) -> None:
    _ready_db(sqlite_url)
    sandbox = Sandbox(SandboxConfig(seats=10, basic_ceiling=2))
    sandbox.add_user(email="lic@s.org", type=2)
    sandbox.add_user(email="inv@s.org", type=2, status="pending")
    sandbox.add_user(email="b1@s.org", type=1)
    sandbox.add_user(email="b2@s.org", type=1, status="pending")
    env = served(sandbox)

    result = runner.invoke(app, ["--db", sqlite_url, "doctor", "--json"], env=env)

    data = payload(result.stdout)
    assert data["pending_reading"]["reading"] == "pending_apart"
    # The cap here is the policy's default (9,999): the account's own is only seen when hit.
    assert data["basic"]["count"] == 2
    assert result.exit_code == 0


def test_without_credentials_or_database_it_says_what_is_missing(sqlite_url: str) -> None:
    url = "postgresql+psycopg://postgres:s3cr3t-pw@127.0.0.1:1/nodb"
    result = runner.invoke(app, ["--db", url, "doctor", "--json"])
    assert result.exit_code == 1
    document = envelope(result.stdout)
    checks = {c["name"]: c for c in document["data"]["checks"]}
    assert checks["database"]["ok"] is False
    assert "***" in checks["database"]["detail"]
    assert "s3cr3t-pw" not in result.output
    assert checks["zoom endpoints"]["ok"] is False
    assert "ZOOM_ACCOUNT_ID" in checks["zoom endpoints"]["detail"]


def test_a_refused_secret_fails_the_token_line(served: Any, sqlite_url: str) -> None:
    _ready_db(sqlite_url)
    env = served(Sandbox(SandboxConfig()))
    env["ZOOM_CLIENT_SECRET"] = "wrong-secret-value"
    result = runner.invoke(app, ["--db", sqlite_url, "doctor"], env=env)
    assert result.exit_code == 1
    assert "token" in result.stdout
    assert "wrong-secret-value" not in result.output


def test_the_readme_lists_every_scope_each_command_needs() -> None:
    from pathlib import Path

    from zoom_client.scopes import NEEDED

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| `")}
    sync_row = next(v for k, v in rows.items() if k.startswith("`sync`"))
    apply_row = next(v for k, v in rows.items() if k.startswith("`apply`"))
    assert [s for s in NEEDED["sync"] if f"`{s}`" not in sync_row] == []
    assert [s for s in NEEDED["apply"] if f"`{s}`" not in apply_row] == []


def test_each_account_beyond_the_main_one_is_checked_with_its_own_client(
    served: Any, sqlite_url: str, tmp_path: Path
) -> None:
    _ready_db(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        session.add(Institution(code="0201", name="Ліцей 2", seats=5, account="SubKharkiv01"))
        session.add(Institution(code="0301", name="Ліцей 3", seats=5, account="SubUnknown01"))
        session.commit()
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[accounts.kyiv]\naccount_id_env = "KYIV_ID"\nclient_id_env = "KYIV_CLIENT"\n'
        'client_secret_env = "KYIV_SECRET"\n',
        encoding="utf-8",
    )
    env = served(Sandbox(SandboxConfig(seats=10, sub_accounts={"SubKharkiv01": 4})))
    env |= {"KYIV_ID": "KyivAccount01", "KYIV_CLIENT": "kyiv-client", "KYIV_SECRET": "kyiv-very-secret"}

    result = runner.invoke(app, ["--db", sqlite_url, "--policy", str(policy), "doctor", "--json"], env=env)

    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in payload(result.stdout)["checks"]}
    assert checks["account SubKharkiv01"]["ok"] is True
    assert "4 seats" in checks["account SubKharkiv01"]["detail"]
    assert checks["account SubUnknown01"]["ok"] is False  # no such sub-account of this master
    assert checks["account kyiv"]["ok"] is False  # this Zoom refuses Kyiv's credentials
    assert "kyiv-very-secret" not in result.output


def test_the_policys_product_must_have_its_pool(served: Any, sqlite_url: str, tmp_path: Any) -> None:
    # A Zoom One for Education account without plan_base.
    _ready_db(sqlite_url)
    campus = 18014398509481984  # zoom_one_type School & Campus
    sandbox = Sandbox(SandboxConfig(plan_base=False, zoom_one_seats={campus: 40}))
    sandbox.add_user(email="z@s.org", zoom_one_type=campus)
    env = served(sandbox)
    school = tmp_path / "campus.toml"
    school.write_text('license = "school_campus"\n', encoding="utf-8")

    result = runner.invoke(app, ["--db", sqlite_url, "--policy", str(school), "doctor", "--json"], env=env)

    assert result.exit_code == 0, result.output
    data = payload(result.stdout)
    assert "plan_base" not in data["pools"]
    lines = {c["name"]: c for c in data["checks"]}
    assert (lines["license pool"]["ok"], lines["license pool"]["detail"]) == (
        True,
        "plan_zoom_one (1 of 40 in use)",
    )

    meetings = runner.invoke(app, ["--db", sqlite_url, "doctor", "--json"], env=env)  # default: meetings
    assert meetings.exit_code == 1
    lines = {c["name"]: c for c in payload(meetings.stdout)["checks"]}
    assert lines["license pool"]["ok"] is False
    detail = lines["license pool"]["detail"]
    assert detail.startswith("no plan_base for the policy's license; the account has: ")
    assert "plan_zoom_one" in detail
