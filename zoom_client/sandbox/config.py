"""SandboxConfig and FaultConfig: the account, limits, latency and faults of one sandbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Tier = Literal["business_plus", "pro"]
Latency = float | tuple[float, float]

#: action=create users a UTC day, by tier (ZOOM_API.md §1.4)
DAILY_CREATE_CAP: dict[str, int] = {"business_plus": 10_000, "pro": 1_500}


@dataclass
class FaultConfig:
    """Shares (0..1) of API requests that fail, drawn from the sandbox's seeded Random.

    - ``error_rate``: answered 500/502/503 without touching state.
    - ``drop_before_write_rate``: the connection breaks before the sandbox acts (state unchanged,
      but the client cannot know that).
    - ``drop_after_write_rate``: the sandbox acts, then the connection breaks: the write happened
      and the answer is lost (the hardest case for a client).
    - ``timeout_rate``: the sandbox acts and the client times out waiting for the answer.
    - ``storm_429``: answered with a per-second 429 although no limit was exceeded.
    - ``die_after_writes``: after this many successful writes every request fails to connect
      until :meth:`Sandbox.revive`.
    - ``timeout_seconds``: how long a served (uvicorn) sandbox stalls on a timeout fault.
    """

    error_rate: float = 0.0
    drop_after_write_rate: float = 0.0
    drop_before_write_rate: float = 0.0
    timeout_rate: float = 0.0
    die_after_writes: int | None = None
    storm_429: float = 0.0
    timeout_seconds: float = 60.0

    def any(self) -> bool:
        return bool(
            self.error_rate
            or self.drop_after_write_rate
            or self.drop_before_write_rate
            or self.timeout_rate
            or self.storm_429
            or self.die_after_writes is not None
        )


@dataclass
class SandboxConfig:
    """One simulated Zoom account (plus optional sub-accounts of a master account)."""

    seats: int = 100
    large_meeting_seats: dict[int, int] = field(default_factory=lambda: {500: 10, 1000: 0})
    webinar_seats: dict[int, int] = field(default_factory=dict)
    basic_ceiling: int = 9999
    tier: Tier = "business_plus"
    rate_limits: bool = False
    daily_create_cap: int | None = None
    latency: Latency = 0.0
    seed: int = 0
    faults: FaultConfig = field(default_factory=FaultConfig)
    account_id: str = "sandbox-account"
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    token_ttl: int = 3600
    #: sub-account id -> purchased seats (a master account holding sub-accounts)
    sub_accounts: dict[str, int] = field(default_factory=dict)
    #: the two readings of whose per-second budget a call naming a sub-account in its path is
    #: charged to (undocumented, zoom_client.budgets): "own" = the sub-account's, "master" = the
    #: master account whose token made it
    sub_account_budget: Literal["own", "master"] = "own"
    page_token_ttl: float = 15 * 60.0
    max_page_size: int = 2000
    #: keep at most this many request_log entries (the oldest go first); None = all (tests)
    request_log_limit: int | None = None

    # --- licenses as a 2026 account holds them (ZOOM_API.md §11) ---------------------------
    #: False: a Zoom Workplace / Zoom One account with no Meetings plan: plan usage has no
    #: plan_base and PATCH type=2 is refused (2034, no seats), whatever ``seats`` says
    plan_base: bool = True
    #: Zoom One / Workplace seats: zoom_one_type value -> hosts, each reported in its plan-usage
    #: pool (zoom_client.models.zoom_one_pool_key: plan_zoom_one, plan_zoom_one_edu_*)
    zoom_one_seats: dict[int, int] = field(default_factory=dict)
    #: the two readings of plan usage ``usage`` (undocumented): True = pending invitations are
    #: counted inside ``usage`` (and shown in ``pending``), False = ``usage`` is assigned only
    pending_in_usage: bool = False
    #: a user holding a zoom_one_type reports type 2 (Licensed); False: their type is left as is
    zoom_one_reports_licensed: bool = True
    #: action=create invitations expire after this many days of sandbox time (leave the pending
    #: list; GET answers 400/1120); None = never
    invitation_days: float | None = 30.0
    #: autoCreate works only for emails of these associated (managed) domains (none by default:
    #: Zoom disables autoCreate unless the Enterprise account has one)
    managed_domains: list[str] = field(default_factory=list)
    #: the account's "limited domains": any create outside them answers 1116 (empty = no limit)
    limited_domains: list[str] = field(default_factory=list)
    blocked_domains: list[str] = field(default_factory=list)  # create answers 1107
    #: emails that already hold an active Zoom account elsewhere (create answers 1009)
    emails_elsewhere: list[str] = field(default_factory=list)
    cust_create: bool = False  # custCreate needs an ISV contract: 200 "No privilege" otherwise
    sso: bool = False  # ssoCreate: 2002 without SSO
    sso_preprovision: bool = False  # ssoCreate: 2032 without "Pre-provisioning SSO User"
    #: scopes the app holds (granular or classic names); a call needing none of them answers
    #: 400/4711 naming its scopes. None = every scope (zoom_client.scopes.OPERATIONS)
    granted_scopes: list[str] | None = None
    #: seed the account's owner (role "0") and admins (role "1"), Licensed and active
    owner_email: str | None = None
    admin_emails: list[str] = field(default_factory=list)

    def create_cap(self) -> int | None:
        """The daily action=create cap in force: explicit, else the tier's when limits are on."""
        if self.daily_create_cap is not None:
            return self.daily_create_cap or None
        return DAILY_CREATE_CAP[self.tier] if self.rate_limits else None

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["large_meeting_seats"] = {str(k): v for k, v in self.large_meeting_seats.items()}
        data["webinar_seats"] = {str(k): v for k, v in self.webinar_seats.items()}
        data["zoom_one_seats"] = {str(k): v for k, v in self.zoom_one_seats.items()}
        data["latency"] = list(self.latency) if isinstance(self.latency, tuple) else self.latency
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SandboxConfig:
        data = dict(data)
        data["faults"] = FaultConfig(**data.get("faults", {}))
        data["large_meeting_seats"] = {int(k): int(v) for k, v in data.get("large_meeting_seats", {}).items()}
        data["webinar_seats"] = {int(k): int(v) for k, v in data.get("webinar_seats", {}).items()}
        data["zoom_one_seats"] = {int(k): int(v) for k, v in data.get("zoom_one_seats", {}).items()}
        if isinstance(data.get("latency"), list):
            low, high = data["latency"]
            data["latency"] = (float(low), float(high))
        return cls(**data)


def parse_zoom_one_seats(items: list[str]) -> dict[int, int]:
    """``["edu_school_campus=900", "137438953472=50"]`` -> {zoom_one_type: seats}. A value is a
    ZoomOneType name (any case, ``-`` or ``_``) or the integer. ValueError names the bad item."""
    from zoom_client.models import ZoomOneType

    seats: dict[int, int] = {}
    for item in items:
        name, sep, count = item.partition("=")
        key = name.strip().upper().replace("-", "_")
        try:
            if not sep:
                raise ValueError
            value = int(key) if key.isdigit() else int(ZoomOneType[key])
            number = int(count)
            if number < 0:
                raise ValueError
        except (KeyError, ValueError):
            names = ", ".join(t.name.lower() for t in ZoomOneType if t.name.startswith("EDU"))
            raise ValueError(
                f"expected TYPE=SEATS with TYPE a zoom_one_type integer or one of: {names}; got {item!r}"
            ) from None
        seats[value] = number
    return seats
