"""Settings of the application, from the environment (and a .env file beside the operator)."""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///provision.db"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # containers without a passwd entry
        return "unknown"


class AppSettings(BaseSettings):
    """What the engine needs besides Zoom's own settings (those live in zoom_client)."""

    model_config = SettingsConfigDict(env_prefix="PROVISION_", extra="ignore", populate_by_name=True)

    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    policy_file: Path | None = None
    sandbox: bool = False
    # The sandbox keeps its state between commands in this file, so that
    # `provision --sandbox plan` and `provision --sandbox apply` see the same account.
    sandbox_state: Path = Path("sandbox-state.json")
    actor: str = Field(default_factory=_os_user)
