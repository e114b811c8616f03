"""ZoomSettings: environment, validation, and the secret kept out of every text."""

from __future__ import annotations

import pytest

from zoom_client import ZoomConfigError, ZoomSettings

from .conftest import SECRET

FULL = {"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": SECRET}


def test_from_env_reads_credentials_and_endpoint_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ZOOM_API_URL", "https://api.zoomgov.com/v2/")
    monkeypatch.setenv("ZOOM_OAUTH_URL", "https://zoomgov.com/oauth/token")
    monkeypatch.setenv("ZOOM_RATE_TIER", "pro")
    monkeypatch.setenv("ZOOM_RATE_SHARE", "0.5")
    settings = ZoomSettings.from_env()
    assert settings.account_id == "acct"
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.api_url == "https://api.zoomgov.com/v2"
    assert settings.oauth_url == "https://zoomgov.com/oauth/token"
    assert (settings.tier, settings.rate_share) == ("pro", 0.5)
    assert settings.sub_account_budget == "own"  # whose budget sub-account calls spend: §4's reading
    monkeypatch.setenv("ZOOM_SUB_ACCOUNT_BUDGET", "master")
    assert ZoomSettings.from_env().sub_account_budget == "master"


def test_missing_credentials_are_named_never_valued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", SECRET)
    with pytest.raises(ZoomConfigError) as info:
        ZoomSettings.from_env()
    text = str(info.value)
    assert "ZOOM_ACCOUNT_ID" in text
    assert "ZOOM_CLIENT_ID" in text
    assert "ZOOM_CLIENT_SECRET" not in text
    assert SECRET not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ZOOM_RATE_SHARE", "1.5"),
        ("ZOOM_RATE_TIER", "gold"),
        ("ZOOM_API_URL", "ftp://x"),
        ("ZOOM_SUB_ACCOUNT_BUDGET", "shared"),
    ],
)
def test_invalid_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ZoomConfigError, match=name):
        ZoomSettings.from_env({**FULL, name: value})


def test_secret_absent_from_str_and_repr() -> None:
    settings = ZoomSettings.from_env(FULL)
    assert SECRET not in str(settings)
    assert SECRET not in repr(settings)
    assert SECRET not in settings.model_dump_json()


def test_business_plus_spelling_is_accepted() -> None:
    assert ZoomSettings.from_env({**FULL, "ZOOM_RATE_TIER": "Business+"}).tier == "business_plus"


def test_jwt_needs_its_own_credentials() -> None:
    with pytest.raises(ZoomConfigError, match="ZOOM_JWT_API_KEY"):
        ZoomSettings.from_env({"ZOOM_AUTH": "jwt"})


def test_client_refuses_settings_without_credentials() -> None:
    from zoom_client import AsyncZoomClient

    with pytest.raises(ZoomConfigError, match="client_secret"):
        AsyncZoomClient(ZoomSettings(account_id="a", client_id="b"))


def test_by_default_half_the_accounts_budgets_are_left_to_other_apps() -> None:
    """Zoom's limits are per account, shared by every app on it (ZOOM_API.md §4): the tool paces
    itself to half unless told the account is its own; the README says the same default."""
    from pathlib import Path

    from zoom_client.sandbox import Sandbox
    from zoom_client.settings import DEFAULT_RATE_SHARE

    assert ZoomSettings.from_env(FULL).rate_share == DEFAULT_RATE_SHARE == 0.5
    assert ZoomSettings.from_env({**FULL, "ZOOM_RATE_SHARE": "1"}).rate_share == 1.0
    assert Sandbox().settings().rate_share == 1.0  # the simulated account has no other app
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `ZOOM_RATE_TIER`"))
    assert row.endswith(f"| `business_plus`, `{DEFAULT_RATE_SHARE:g}` |")
    assert f"ZOOM_RATE_SHARE={DEFAULT_RATE_SHARE:g}" in readme
