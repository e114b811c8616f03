"""The policy file: defaults, what the operator may set, and clear refusals of mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from provision.core.policy import DEFAULT_POLICY_TOML, Policy, commented_toml, differences
from provision.errors import InputError
from provision.store.policy_file import load_policy, parse_policy


def test_no_file_and_the_documented_defaults_are_the_same_policy() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy == parse_policy(DEFAULT_POLICY_TOML)
    assert policy.revoke == "downgrade"
    assert policy.licensed_roles == ["admin", "teacher", "staff"]
    assert policy.addons == {"admin": 500}


def test_file_values_override_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '\ufeffrevoke = "deactivate"\nprotected_emails = [" Director@School.UA "]\n'
        "[addons]\nteacher = 1000\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.revoke == "deactivate"
    assert policy.protected_emails == ["director@school.ua"]
    assert policy.addons == {"teacher": 1000}
    assert policy.grace_days == Policy().grace_days


def test_effective_policy_prints_as_toml_that_reads_back_the_same() -> None:
    policy = Policy(revoke="deactivate", protected_emails=['odd"name@x.ua'], addons={"staff": 1000})
    assert parse_policy(policy.to_toml()) == policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grace_dayz = 3\n", "unknown key 'grace_dayz'"),
        ('revoke = "delete"\n', "key 'revoke'"),
        ("max_revoke_share = 1.5\n", "key 'max_revoke_share'"),
        ("[addons]\nadmin = 300\n", "capacity for 'admin' must be 500 or 1000, not 300"),
        ('licensed_roles = ["janitor"]\n', "unknown role 'janitor'"),
        ('role_priority = ["admin"]\n', "role_priority lacks the licensed role 'teacher'"),
        ("grace_days = \n", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="policy file not found"):
        load_policy(tmp_path / "nope.toml")


def test_roles_outside_the_priority_list_come_last() -> None:
    policy = Policy(licensed_roles=["teacher"], role_priority=["teacher", "admin"])
    assert policy.role_rank("teacher") < policy.role_rank("admin") < policy.role_rank("student")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "grace_days = 0\nlicensed_roles = ['teacher']\nrole_priority = ['teacher', 'admin']\n",
        "protected_emails = ['Boss@School.ua']\n[addons]\nteacher = 1000\nadmin = 1000\n",
        "[addons]\n",
    ],
)
def test_commented_toml_reads_back_as_the_same_policy(text: str) -> None:
    policy = parse_policy(text)
    shown = commented_toml(policy)
    assert parse_policy(shown) == policy
    assert ("<- differs" in shown) == bool(differences(policy))
