"""ZoomSettings: the credentials, endpoints and limits one client works with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from zoom_client.budgets import SubAccountBudget
from zoom_client.errors import ZoomConfigError

RateTier = Literal["business_plus", "pro"]
AuthKind = Literal["s2s", "jwt"]

#: environment variable -> settings field. Credentials first: their absence is reported by name.
ENV_VARS: dict[str, str] = {
    "ZOOM_ACCOUNT_ID": "account_id",
    "ZOOM_CLIENT_ID": "client_id",
    "ZOOM_CLIENT_SECRET": "client_secret",
    "ZOOM_API_URL": "api_url",
    "ZOOM_OAUTH_URL": "oauth_url",
    "ZOOM_RATE_TIER": "tier",
    "ZOOM_RATE_SHARE": "rate_share",
    "ZOOM_SUB_ACCOUNT_BUDGET": "sub_account_budget",
    "ZOOM_MAX_RETRIES": "max_retries",
    "ZOOM_TIMEOUT": "timeout",
    "ZOOM_AUTH": "auth",
    "ZOOM_JWT_API_KEY": "jwt_api_key",
    "ZOOM_JWT_API_SECRET": "jwt_api_secret",
}
#: The share of the account's per-second budgets this tool paces itself to (ZOOM_RATE_SHARE).
#: Zoom counts its limits per account and per category, shared by every app installed on the
#: account (ZOOM_API.md §4, §11), and says nothing of what the others use. A per-second 429
#: pauses our whole category and fails the other app's call (a Moodle meeting not created, an SSO
#: login not provisioned) unless it retries: half leaves the LMS, SSO and reporting apps room for
#: their daytime bursts, and costs a ministry rollout minutes (Business+: 40 creates/s, 30 bulk
#: calls of 30 users/s). An account this tool has to itself sets 1.0.
DEFAULT_RATE_SHARE = 0.5
_REQUIRED_S2S = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
_REQUIRED_JWT = ("ZOOM_JWT_API_KEY", "ZOOM_JWT_API_SECRET")


def credentials_in_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether any Server-to-Server credential variable is set: an account is meant, even if
    only partly configured (from_env then names what is missing)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in _REQUIRED_S2S)


class ZoomSettings(BaseModel):
    """Everything a client needs to reach one Zoom account.

    ``client_secret`` and ``jwt_api_secret`` are ``SecretStr``: their str/repr is ``**********``,
    so a logged or printed settings object never shows them.

    ``auth="jwt"`` selects the legacy JWT app type. **Deprecated**: Zoom disabled JWT apps in
    September 2023; it stays only for the rare on-premise or grandfathered account.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    api_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"
    tier: RateTier = "business_plus"
    rate_share: float = Field(default=DEFAULT_RATE_SHARE, gt=0.0, le=1.0)
    sub_account_budget: SubAccountBudget = "own"  # whose budget sub-account calls use (budgets.py)
    max_retries: int = Field(default=3, ge=0, le=20)
    timeout: float = Field(default=30.0, gt=0.0)
    auth: AuthKind = "s2s"
    jwt_api_key: str | None = None
    jwt_api_secret: SecretStr | None = None

    @field_validator("api_url", "oauth_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ZoomSettings:
        """Settings from ZOOM_* environment variables.

        Raises ZoomConfigError naming every missing or invalid variable, never a value.
        """
        env = dict(os.environ if environ is None else environ)
        auth = (env.get("ZOOM_AUTH") or "s2s").strip().lower()
        required = _REQUIRED_JWT if auth == "jwt" else _REQUIRED_S2S
        missing = [name for name in required if not env.get(name, "").strip()]
        if missing:
            raise ZoomConfigError(
                "Zoom credentials missing: set "
                + ", ".join(missing)
                + " (Server-to-Server OAuth app: Marketplace > Develop > Build app)"
            )
        values: dict[str, object] = {}
        for name, field in ENV_VARS.items():
            raw = env.get(name)
            if raw is not None and raw.strip():
                values[field] = raw.strip() if field != "tier" else raw.strip().lower().replace("+", "_plus")
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            by_field = {v: k for k, v in ENV_VARS.items()}
            bad = sorted({by_field.get(str(err["loc"][0]), str(err["loc"][0])) for err in exc.errors()})
            # Only names and pydantic's reason, never input values (they may be secrets).
            reasons = "; ".join(
                f"{by_field.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}" for err in exc.errors()
            )
            raise ZoomConfigError(f"invalid Zoom settings in {', '.join(bad)} ({reasons})") from None

    def require_credentials(self) -> None:
        """Raise ZoomConfigError unless the chosen auth scheme has all its credentials."""
        if self.auth == "jwt":
            secret = self.jwt_api_secret.get_secret_value() if self.jwt_api_secret else ""
            missing = [n for n, v in (("jwt_api_key", self.jwt_api_key), ("jwt_api_secret", secret)) if not v]
        else:
            missing = [n for n in ("account_id", "client_id") if not getattr(self, n)]
            if not self.client_secret.get_secret_value():
                missing.append("client_secret")
        if missing:
            raise ZoomConfigError("Zoom credentials missing: " + ", ".join(missing))
