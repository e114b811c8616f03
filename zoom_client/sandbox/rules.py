"""Account rules a real 2026 Zoom account enforces that a tool built on a simulator gets wrong
(ZOOM_API.md §11): create-action prerequisites, scopes, and other writers.

Plain functions and small dataclasses over SandboxConfig; ``state.Account`` and
``sandbox.Sandbox`` call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from zoom_client.sandbox.errors import ZoomFail
from zoom_client.scopes import OPERATIONS, operation_for

if TYPE_CHECKING:
    from zoom_client.sandbox.config import SandboxConfig

NO_PRIVILEGE = "No privilege."


def _domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def _within(domain: str, domains: list[str]) -> bool:
    # A managed / limited domain covers its subdomains too (staff.school.ua under school.ua).
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains)


def create_refusal(config: SandboxConfig, action: str, email: str) -> ZoomFail | None:
    """Why POST /users refuses this action for this email on this account, or None.

    Order as an account applies it: the account's domain rules first (blocked 1107, limited
    1116), the person (active elsewhere 1009), then what the action itself needs: autoCreate a
    managed domain (200 without any, 1116 outside them), custCreate the ISV option (200),
    ssoCreate SSO (2002) with pre-provisioning (2032)."""
    domain = _domain(email)
    if config.blocked_domains and _within(domain, config.blocked_domains):
        return ZoomFail(400, 1107, "Email domain is blocked.")
    if config.limited_domains and not _within(domain, config.limited_domains):
        limited = ",".join(config.limited_domains)
        return ZoomFail(400, 1116, f"Email address {email.strip()} doesn't match limited domains: {limited}")
    if email.strip().lower() in {e.strip().lower() for e in config.emails_elsewhere}:
        return ZoomFail(400, 1009, f"The user {email.strip()} already holds an active account.")
    if action == "autoCreate":
        if not config.managed_domains:
            return ZoomFail(400, 200, NO_PRIVILEGE + " autoCreate needs an associated (managed) domain.")
        if not _within(domain, config.managed_domains):
            managed = ",".join(config.managed_domains)
            return ZoomFail(
                400, 1116, f"Email address {email.strip()} doesn't match limited domains: {managed}"
            )
    elif action == "custCreate" and not config.cust_create:
        return ZoomFail(400, 200, NO_PRIVILEGE + " No permission, please contact Zoom customer support.")
    elif action == "ssoCreate":
        if not config.sso:
            return ZoomFail(
                400,
                2002,
                "SSO has not been enabled for this account. "
                "Contact the Zoom support team to enable this option.",
            )
        if not config.sso_preprovision:
            return ZoomFail(
                400,
                2032,
                "The ssoCreate option is only available for SSO Partners that have enabled the "
                "pre-provision option. Contact the Zoom Support team to learn more.",
            )
    return None


def all_scopes() -> list[str]:
    """Every granular scope the sandbox knows (what a fully set-up app holds)."""
    seen: dict[str, None] = {}
    for op in OPERATIONS:
        seen.update(dict.fromkeys(op.granular))
    return list(seen)


def scope_refusal(config: SandboxConfig, method: str, path: str) -> ZoomFail | None:
    """400/4711 when the app's scopes open none of this call's scopes (Zoom's exact text)."""
    if config.granted_scopes is None:
        return None
    op = operation_for(method, path)
    if op is None or op.allowed(config.granted_scopes):
        return None
    return ZoomFail(400, 4711, f"Invalid access token, does not contain scopes:[{', '.join(op.granular)}].")


@dataclass
class OtherWriter:
    """Someone else who also sets licenses (SAML mapping at each login, Moodle's license
    recycling): after the API changes ``field`` of one of ``emails`` (all users when None) to
    anything but ``value``, the writer sets it back ``delay`` seconds of sandbox time later (at
    the next request from then on, or :meth:`Sandbox.run_other_writers`)."""

    field: str = "type"  # "type" or "zoom_one_type"
    value: int = 1
    emails: set[str] | None = None
    delay: float = 0.0
    name: str = "SAML mapping"
    enabled: bool = True

    def watches(self, email: str) -> bool:
        return self.enabled and (self.emails is None or email.strip().lower() in self.emails)


@dataclass
class WriterEvent:
    """One reset by another writer: what we had set and what they put back, and when."""

    at: datetime
    email: str
    field: str
    ours: Any
    theirs: Any
    writer: str


@dataclass
class WriterQueue:
    """Resets due: (due monotonic time, user id, writer) in order of scheduling."""

    due: list[tuple[float, str, OtherWriter]] = field(default_factory=list)
    log: list[WriterEvent] = field(default_factory=list)
