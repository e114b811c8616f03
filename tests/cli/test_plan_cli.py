"""`provision plan` and `provision policy show`, as an operator runs them."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from models import init_db, make_engine
from provision.cli import app
from provision.core.plan import Plan
from tests.cli.envelope import payload
from tests.provision.test_planning import seed_school, seed_zoom

LEFT = datetime.now(UTC) - timedelta(days=60)


@pytest.fixture
def db(sqlite_url: str) -> str:
    engine = make_engine(sqlite_url)
    init_db(engine)
    seed_school(
        engine,
        "0421",
        2,
        [
            ("adm@x.ua", "admin", True, None),
            ("t1@x.ua", "teacher", True, None),
            ("t2@x.ua", "teacher", True, None),
            ("gone@x.ua", "teacher", False, LEFT),
        ],
    )
    seed_zoom(
        engine,
        [("adm@x.ua", 1, "active"), ("gone@x.ua", 2, "active"), ("stranger@x.ua", 2, "active")],
        purchased=10,
        managed=["adm@x.ua", "gone@x.ua"],
    )
    return sqlite_url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def code(result: Result) -> int:
    return result.exit_code


def err(result: Result) -> str:
    return " ".join(result.stderr.split())  # rich wraps long lines at the terminal width


def test_plan_shows_markers_reasons_and_waiting(db: str) -> None:
    result = run("--db", db, "plan")
    assert code(result) == 0, result.output
    out = result.stdout
    assert "- unlicense" in out
    assert "gone@x.ua" in out
    assert "left the roster of 0421 on " + LEFT.date().isoformat() in out
    assert "+ license" in out
    assert "> create (licensed)" in out
    assert "! waiting (teacher)" in out
    assert "waiting: 1st in line at 0421 (quota 2 of 2 in use)" in out
    assert "stranger@x.ua" in out  # unmanaged: reported


def test_plan_json_and_out_file_round_trip(db: str, tmp_path: Path) -> None:
    target = tmp_path / "plans" / "plan.json"
    result = run("--db", db, "plan", "--json", "--out", str(target))
    assert code(result) == 0, result.output
    data = payload(result.stdout)
    assert data["counts"]["unlicense"] == 1
    assert data["counts"]["license"] == 1
    assert data["counts"]["create"] == 1  # t1 licensed; t2 waits with no Zoom account (create_waiting)
    assert data["unmanaged"] == ["stranger@x.ua"]
    assert data["snapshot_at"].startswith("2026-09-20T11:00")
    saved = Plan.from_data(json.loads(target.read_text(encoding="utf-8")))
    assert saved.fingerprint == data["fingerprint"]
    assert [a.email for a in saved.actions] == [a["email"] for a in data["actions"]]


def test_plan_for_one_school_and_unknown_school(db: str) -> None:
    result = run("--db", db, "plan", "--school", "0421", "--json")
    assert code(result) == 0
    assert list(payload(result.stdout)["summary"]["schools"]) == ["0421"]
    bad = run("--db", db, "plan", "--school", "0412", "--json")
    assert code(bad) == 2
    assert "unknown school '0412'" in json.loads(bad.stdout)["error"]["message"]


def test_plan_without_snapshot_says_to_sync(sqlite_url: str, tmp_path: Path) -> None:
    # No database file at all: named, and not created empty.
    result = run("--db", sqlite_url, "plan")
    assert code(result) == 2
    assert f"no database at {tmp_path / 'provision.db'}" in err(result)
    assert not (tmp_path / "provision.db").exists()
    assert code(run("--db", sqlite_url, "db", "upgrade")) == 0
    result = run("--db", sqlite_url, "plan")
    assert code(result) == 2
    assert "no Zoom snapshot: run `provision sync` first" in err(result)


def test_unsafe_plan_exits_1_and_force_accepts(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("max_revoke_count = 0\n", encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    refused = run("--db", db, "plan", "--out", str(tmp_path / "p.json"))
    assert code(refused) == 1
    assert "above max_revoke_count 0" in err(refused)
    assert not (tmp_path / "p.json").exists()
    forced = run("--db", db, "plan", "--force", "--json")
    assert code(forced) == 0
    assert payload(forced.stdout)["counts"]["unlicense"] == 1


def test_policy_show_prints_the_effective_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = run("policy", "show")
    assert code(default) == 0
    assert tomllib.loads(default.stdout)["revoke"] == "downgrade"
    policy = tmp_path / "policy.toml"
    policy.write_text('revoke = "deactivate"\ngrace_days = 3\n', encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    shown = run("policy", "show", "--json")
    data = payload(shown.stdout)
    assert data["policy"]["revoke"] == "deactivate"
    assert data["policy"]["grace_days"] == 3
    assert data["policy"]["licensed_roles"] == ["admin", "teacher", "staff"]
    assert data["differs"] == {
        "revoke": {"value": "deactivate", "default": "downgrade"},
        "grace_days": {"value": 3, "default": 14},
    }
    assert data["source"] == str(policy)


def test_bad_policy_file_names_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("grace_dayz = 3\n", encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    result = run("policy", "show")
    assert code(result) == 2
    assert f"{policy}: unknown key 'grace_dayz' (did you mean 'grace_days'?)" in err(result)


def test_big_plans_show_the_summary_first_and_lines_on_request(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("provision.cli.plan.BIG_PLAN_LINES", 1)
    short = run("--db", db, "plan")
    # 4 actions and 1 waiting (no account yet) in 0421: a big plan prints its totals and how to see the lines
    assert "Account seats: 10 purchased" in short.stdout
    assert "gone@x.ua" not in short.stdout
    assert "Plan per school" not in short.stdout
    assert "4 changes and 1 waiting: `provision plan --region R`" in " ".join(short.stdout.split())
    for asked in (["--details"], ["--all"], ["--school", "0421"]):
        full = run("--db", db, "plan", *asked)
        assert "Plan per school" in full.stdout
        assert "... and" not in full.stdout
        assert "! waiting (teacher)" in full.stdout
        assert "- unlicense" in full.stdout


def test_revoke_unassign_in_the_policy_file_plans_unassign_for_leavers(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('revoke = "unassign"\n', encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(policy))
    shown = run("--db", db, "plan")
    assert code(shown) == 0, shown.output
    assert "- unassign" in shown.stdout
    assert "- unlicense" not in shown.stdout
    data = payload(run("--db", db, "plan", "--json").stdout)
    assert (data["counts"]["unassign"], data["counts"]["unlicense"]) == (1, 0)
    assert [a["payload"] for a in data["actions"] if a["kind"] == "unassign"] == [{"type": 4}]
