"""Policy `license`: the product the tool hands out, by readable name or zoom_one_type (issue 12, ask 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provision.core import product
from provision.core.policy import DEFAULT_POLICY_TOML, Policy
from provision.errors import InputError
from provision.store.policy_file import load_policy, parse_policy
from zoom_client import ZoomOneType


def test_every_alias_is_zoom_clients_education_value() -> None:
    # The pure core names the values itself: they must be ZoomOneType's EDU_* members, all of them.
    education = {m.name.lower().removeprefix("edu_"): int(m) for m in ZoomOneType if m.name.startswith("EDU")}
    assert education == product.EDUCATION


def test_meetings_is_the_default_and_is_documented() -> None:
    assert Policy().license == "meetings"
    assert Policy().zoom_one_type is None
    assert 'license = "meetings"' in DEFAULT_POLICY_TOML


@pytest.mark.parametrize(
    "text",
    [
        'license = "school_campus"',
        'license = "School & Campus"',
        'license = "EDU_SCHOOL_CAMPUS"',
        'license = "zoom one for education school-and-campus"',
        "license = 18014398509481984",
        'license = "18014398509481984"',
    ],
)
def test_a_product_by_name_or_by_its_integer(tmp_path: Path, text: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text + "\n", encoding="utf-8")
    policy = load_policy(path)
    assert policy.license == "school_campus"
    assert policy.zoom_one_type == ZoomOneType.EDU_SCHOOL_CAMPUS  # exact: above 2**53
    assert parse_policy(policy.to_toml()) == policy


def test_a_product_the_table_does_not_name_is_kept_by_its_integer() -> None:
    policy = parse_policy(f"license = {int(ZoomOneType.BUSINESS_PLUS_US_CA)}\n")
    assert policy.zoom_one_type == ZoomOneType.BUSINESS_PLUS_US_CA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('license = "school_campuss"', "did you mean 'school_campus'?"),
        ('license = "meting"', "did you mean 'meetings'?"),
        ("license = 0", "no zoom_one_type of one product"),
        ("license = 3", "no zoom_one_type of one product"),
        ("license = true", "must be a word or an integer"),
    ],
)
def test_an_unknown_product_is_refused_naming_the_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: key 'license': ")
    assert expected in str(info.value)
