"""`provision policy init | show` and the global --policy, as an operator uses them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.core.policy import DEFAULT_POLICY_TOML, Policy
from provision.store.policy_file import load_policy
from tests.cli.envelope import payload

runner = CliRunner()


def test_init_writes_the_commented_defaults_and_never_overwrites(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "init"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "policy.toml").read_text(encoding="utf-8")
    assert written == DEFAULT_POLICY_TOML
    assert "# Days after leaving the roster" in written
    assert load_policy(tmp_path / "policy.toml") == Policy()
    (tmp_path / "policy.toml").write_text("grace_days = 1\n", encoding="utf-8")
    again = runner.invoke(app, ["policy", "init"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert (tmp_path / "policy.toml").read_text(encoding="utf-8") == "grace_days = 1\n"
    forced = runner.invoke(app, ["policy", "init", "ops/policy.toml", "--json"])
    assert forced.exit_code == 0
    assert payload(forced.stdout)["file"] == str(tmp_path / "ops" / "policy.toml")


def test_show_keeps_the_comments_and_marks_what_differs(tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text('grace_days = 30\nrevoke = "downgrade"\n[addons]\nteacher = 1000\n', encoding="utf-8")
    result = runner.invoke(app, ["--policy", str(policy), "policy", "show"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "# Days after leaving the roster before the license is taken back." in lines
    assert "grace_days = 30  # <- differs from the default: 14" in lines
    assert 'revoke = "downgrade"' in lines  # set in the file, but the default value: not marked
    assert "teacher = 1000  # <- differs from the default: not set" in lines
    assert "# admin = 500  # <- differs from the default: removed by this policy" in lines
    assert sum("# <- differs from the default" in line for line in lines) == 3
    # What it prints is the policy in force, as a file: the same policy read back.
    assert load_policy(policy) == Policy.model_validate(tomllib.loads(result.stdout))
    assert f"# effective policy ({policy})" in result.stderr


def test_unknown_key_gets_did_you_mean(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('licenced_roles = ["admin"]\n', encoding="utf-8")
    result = runner.invoke(app, ["--policy", str(policy), "policy", "show"])
    assert result.exit_code == 2
    assert f"{policy}: unknown key 'licenced_roles' (did you mean 'licensed_roles'?)" in result.stderr


def test_global_policy_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "env.toml"
    env_file.write_text("grace_days = 5\n", encoding="utf-8")
    cli_file = tmp_path / "cli.toml"
    cli_file.write_text("grace_days = 9\n", encoding="utf-8")
    monkeypatch.setenv("PROVISION_POLICY", str(env_file))
    shown = payload(runner.invoke(app, ["policy", "show", "--json"]).stdout)
    assert shown["policy"]["grace_days"] == 5
    shown = payload(runner.invoke(app, ["--policy", str(cli_file), "policy", "show", "--json"]).stdout)
    assert (shown["policy"]["grace_days"], shown["source"]) == (9, str(cli_file))
    missing = runner.invoke(app, ["--policy", str(tmp_path / "nope.toml"), "policy", "show"])
    assert missing.exit_code == 2
    assert "policy file not found" in missing.stderr


def test_unknown_license_exits_2_with_did_you_mean(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('license = "scool_campus"\n', encoding="utf-8")
    result = runner.invoke(app, ["--policy", str(policy), "policy", "show"])
    assert result.exit_code == 2
    assert f"{policy}: key 'license': unknown license 'scool_campus' (did you mean 'school_campus'?)" in (
        result.stderr
    )
    policy.write_text("license = 18014398509481984\n", encoding="utf-8")
    shown = runner.invoke(app, ["--policy", str(policy), "policy", "show"])
    assert shown.exit_code == 0, shown.output
    assert 'license = "school_campus"  # <- differs from the default: "meetings"' in shown.stdout.splitlines()
