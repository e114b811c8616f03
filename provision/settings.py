"""Settings of the application, from the environment: the one place provision reads PROVISION_*
and DATABASE_URL (Zoom's own ZOOM_* settings are read by zoom_client.settings)."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///provision.db"
# --sandbox without --db or DATABASE_URL: the simulator's records beside, never inside, the real ones.
SANDBOX_DATABASE_URL = "sqlite:///provision-sandbox.db"


def default_actor() -> str:
    """user@host: the audit log tells two operators apart even when both log in as `root`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # containers without a passwd entry
        user = "unknown"
    host = socket.gethostname().split(".")[0] or "localhost"
    return f"{user}@{host}"


class AppSettings(BaseSettings):
    """What the engine needs besides Zoom's own settings (those live in zoom_client)."""

    model_config = SettingsConfigDict(env_prefix="PROVISION_", extra="ignore", populate_by_name=True)

    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    # PROVISION_POLICY_FILE, else PROVISION_POLICY (both documented; the first wins)
    policy_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("PROVISION_POLICY_FILE", "PROVISION_POLICY")
    )
    sandbox: bool = False
    # The sandbox keeps its state between commands in this file, so that
    # `provision --sandbox plan` and `provision --sandbox apply` see the same account.
    sandbox_state: Path = Path("sandbox-state.json")
    # PROVISION_ACTOR, else user@host; `--actor` overrides both. Recorded on every change,
    # import, plan, reconcile and export.
    actor: str = Field(default_factory=default_actor)
    # PROVISION_TIMEZONE: an IANA zone (Europe/Kyiv) for the local times beside UTC in exports.
    timezone: str | None = None
    # PROVISION_LOG=debug: debug logs (never secrets) without --debug's tracebacks
    log: str = ""

    @field_validator("policy_file", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None  # PROVISION_POLICY= (set but empty) means the defaults, as before
