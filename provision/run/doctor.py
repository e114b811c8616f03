"""`provision doctor`: is everything this tool needs there, before the first real run?

Checks, in order, each named with what it found: the database (URL with the password masked,
reachable, schema revision), the policy file, the Zoom endpoints, an access token, one cheap
call per scope the tool needs (naming every missing one), the seat pools, the Basic count
against its cap, which reading of plan usage `usage` the numbers fit, and the rate tier Zoom's
headers announce.

Scope probes never change anything: reads, or writes aimed at a user / group id that cannot
exist (Zoom checks the scope before it looks for the user, so 404 means "scope granted"). The
two scopes with no harmless probe (creating users, creating groups) are judged from the token's
`scope` list when the token endpoint gives one, else reported "unchecked".

Costs: one token, GET /users for the active and pending lists (one Medium call per 300 users),
one plan usage (Heavy), and one call per other probed scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from models import Institution
from models.db import current_revision, display_url, head_revision, make_engine, normalize_url
from provision.core.accounts import MAIN, account_key
from provision.core.policy import Policy
from provision.core.readings import PendingReading, detect_pending_reading
from provision.errors import ProvisionError
from provision.run.observe import seat_pool_key
from provision.run.zoom_access import ZoomAccounts, open_zoom
from provision.settings import AppSettings
from provision.store.policy_file import load_policy
from zoom_client import AsyncZoomClient, ZoomAPIError, ZoomError, ZoomSettings
from zoom_client.models import User
from zoom_client.ratelimit import RATES, Category
from zoom_client.scopes import needed_scopes, operation_needing
from zoom_client.settings import credentials_in_env

PROBE_USER = "provision-doctor-probe-no-such-user"
PROBE_GROUP = "provision-doctor-probe-no-such-group"
DEFAULT_BASIC_CAP = 9999
ScopeState = Literal["granted", "missing", "unchecked", "error"]


@dataclass
class Check:
    """One line of the report. ``ok`` None: shown, not judged (figures, unchecked scopes)."""

    name: str
    ok: bool | None
    detail: str

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    scopes: dict[str, ScopeState] = field(default_factory=dict)
    pools: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    basic: dict[str, int] = field(default_factory=dict)
    pending_reading: PendingReading | None = None
    rate_tier: str | None = None
    rate_limits_seen: dict[str, int] = field(default_factory=dict)
    managed_domains: list[str] | None = None

    def add(self, name: str, ok: bool | None, detail: str) -> Check:
        check = Check(name, ok, detail)
        self.checks.append(check)
        return check

    @property
    def missing_scopes(self) -> list[str]:
        return [s for s, state in self.scopes.items() if state == "missing"]

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [c.to_data() for c in self.checks],
            "scopes": dict(self.scopes),
            "missing_scopes": self.missing_scopes,
            "pools": self.pools,
            "users": self.users,
            "basic": self.basic,
            "pending_reading": self.pending_reading.to_data() if self.pending_reading else None,
            "rate_tier": self.rate_tier,
            "rate_limits_seen": self.rate_limits_seen,
            "managed_domains": self.managed_domains,
        }


async def run_doctor(settings: AppSettings, *, policy_file: Path | None) -> DoctorReport:
    report = DoctorReport()
    _check_database(report, settings.database_url)
    policy = _check_policy(report, policy_file)
    basic_cap = policy.basic_cap if policy is not None else DEFAULT_BASIC_CAP
    if not _check_endpoints(report, settings):
        return report
    try:
        async with open_zoom(settings) as client:
            await _check_zoom(report, client, basic_cap)
            if policy is not None:
                await _check_accounts(report, client, policy, settings)
        _check_license_pool(report, policy_file)
    except ProvisionError as exc:
        report.add("zoom", False, str(exc))
    except ZoomError as exc:
        report.add("zoom", False, f"{type(exc).__name__}: {exc}")
    return report


# ----------------------------------------------------------------------------- local checks
def _check_database(report: DoctorReport, url: str) -> None:
    try:
        label = display_url(normalize_url(url))
    except Exception:  # an unparsable URL may hold a password: never echo it
        report.add("database", False, "the database URL cannot be parsed")
        return
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url[len("sqlite:///") :].split("?", 1)[0])
        if not path.exists():
            # Never create an empty database here: say where we looked.
            report.add(
                "database",
                False,
                f"{label}: no database at {path.resolve()}; give --db / DATABASE_URL, or create it with "
                "`provision db upgrade`",
            )
            return
        label = f"sqlite:///{path.resolve()}"
    try:
        engine = make_engine(url)
        current = current_revision(engine)
    except Exception as exc:  # driver errors of every kind: named, password-free
        report.add("database", False, f"{label}: cannot connect ({type(exc).__name__})")
        return
    head = head_revision()
    if current == head:
        report.add("database", True, f"{label} (schema {current})")
    else:
        state = "never set up" if current is None else f"at {current}"
        report.add(
            "database",
            False,
            f"{label}: schema {state}, this version needs {head}: run `provision db upgrade`",
        )


def _check_policy(report: DoctorReport, path: Path | None) -> Policy | None:
    try:
        policy = load_policy(path)
    except ProvisionError as exc:
        report.add("policy", False, str(exc))
        return None
    report.add(
        "policy", True, f"{path.resolve()}" if path is not None else "built-in defaults (no policy file)"
    )
    return policy


def _named_accounts(database_url: str) -> set[str]:
    """The accounts the schools name (none when the database cannot say: its own check fails)."""
    try:
        with make_engine(database_url).connect() as conn:
            return {account_key(a) for (a,) in conn.execute(select(Institution.account).distinct())}  # type: ignore[call-overload]
    except Exception:  # the database check above names what is wrong with it
        return set()


async def _check_accounts(
    report: DoctorReport, client: AsyncZoomClient, policy: Policy, settings: AppSettings
) -> None:
    """Each account beyond the main one (the policy's aliases, the sub-accounts schools name):
    its credentials and its plan usage, read with the client `provision` would use for it."""
    keys = (set(policy.aliases) | _named_accounts(settings.database_url)) - {MAIN}
    async with ZoomAccounts(client, policy.accounts, sandbox=settings.sandbox) as zoom:
        for key in sorted(keys):
            kind = "alias" if key in policy.aliases else "sub-account"
            try:
                usage = await zoom.client_for(key).accounts.plan_usage()
            except (ProvisionError, ZoomError) as exc:
                again = "" if getattr(exc, "is_permanent", lambda: True)() else "; a rerun may pass"
                report.add(f"account {key}", False, f"{kind}: {exc}{again}")
                continue
            base = usage.plan_base
            seats = f"{base.hosts} seats, {base.usage} in use" if base is not None else "no plan_base"
            report.add(f"account {key}", True, f"{kind}: {seats}")


def _check_endpoints(report: DoctorReport, settings: AppSettings) -> bool:
    if settings.sandbox:
        report.add("zoom endpoints", True, f"the built-in sandbox (state {settings.sandbox_state.resolve()})")
        return True
    if not credentials_in_env():
        report.add(
            "zoom endpoints",
            False,
            "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (or use --sandbox)",
        )
        return False
    try:
        zs = ZoomSettings.from_env()
    except ZoomError as exc:
        report.add("zoom endpoints", False, str(exc))
        return False
    report.add("zoom endpoints", True, f"API {zs.api_url}, token {zs.oauth_url}, account {zs.account_id}")
    return True


# ----------------------------------------------------------------------------- Zoom
async def _check_zoom(report: DoctorReport, client: AsyncZoomClient, basic_cap: int) -> None:
    try:
        await client.fetch_token()
    except ZoomError as exc:
        report.add("token", False, f"no access token: {exc}")
        return
    granted = client.granted_scopes
    report.add("token", True, "fetched" + (f" ({len(granted)} scopes listed)" if granted is not None else ""))

    lists = await _probe_lists(report, client)
    first_id = next((u.id for u in lists.get("active", []) if u.id), None)
    plan = None
    for scope in needed_scopes():
        if scope in report.scopes:
            continue
        state, found = await _probe(client, scope, first_id, granted)
        report.scopes[scope] = state
        if scope == "billing:read:plan_usage:admin":
            plan = found
    missing = report.missing_scopes
    unchecked = [s for s, st in report.scopes.items() if st in ("unchecked", "error")]
    if missing:
        report.add(
            "scopes", False, "missing: " + ", ".join(missing) + " (add them to the app in the Marketplace)"
        )
    else:
        report.add("scopes", True, f"{len(report.scopes) - len(unchecked)} of {len(report.scopes)} confirmed")
    if unchecked:
        report.add("scopes unchecked", None, ", ".join(unchecked))
    if "active" in lists:
        _seats(report, lists, plan, basic_cap)
    await _managed_domains(report, client)
    _rate_tier(report, client)


async def _probe_lists(report: DoctorReport, client: AsyncZoomClient) -> dict[str, list[User]]:
    lists: dict[str, list[User]] = {}
    try:
        for status in ("active", "pending"):
            lists[status] = await client.users.list(status=status).to_list()
    except ZoomAPIError as exc:
        report.scopes["user:read:list_users:admin"] = "missing" if exc.is_missing_scope() else "error"
        return {}
    report.scopes["user:read:list_users:admin"] = "granted"
    return lists


async def _probe(
    client: AsyncZoomClient, scope: str, first_id: str | None, granted: frozenset[str] | None
) -> tuple[ScopeState, Any]:
    """One cheap call that needs ``scope``; what came back (plan usage) for later use."""
    users, groups = client.users, client.groups
    target = first_id or PROBE_USER
    calls: dict[str, Any] = {
        "user:read:user:admin": lambda: users.get(target),
        "user:read:settings:admin": lambda: users.get_settings(target),
        "group:read:list_groups:admin": lambda: groups.list(page_size=1).iter_pages().__anext__(),
        "billing:read:plan_usage:admin": lambda: client.accounts.plan_usage(),
        "user:update:user:admin": lambda: users.set_type(PROBE_USER, 1),
        "user:update:status:admin": lambda: users.activate(PROBE_USER),
        "user:update:settings:admin": lambda: users.update_features(PROBE_USER, large_meeting=False),
        "user:write:feature:admin": lambda: users.bulk_user_type(1, user_ids=[PROBE_USER]),
        "group:write:member:admin": lambda: groups.add_members(PROBE_GROUP, user_ids=[PROBE_USER]),
    }
    call = calls.get(scope)
    if call is None:
        # No harmless call (POST /users, POST /groups): the token's own list, if it gave one.
        if granted is None:
            return "unchecked", None
        return ("granted" if operation_needing(scope).allowed(granted) else "missing"), None
    try:
        return "granted", await call()
    except StopAsyncIteration:
        return "granted", None
    except ZoomAPIError as exc:
        # Anything but a scope refusal got past Zoom's scope check (404 for the probe id).
        return ("missing" if exc.is_missing_scope() else "granted"), None
    except ZoomError:
        return "error", None


def _seats(report: DoctorReport, lists: dict[str, list[User]], plan: Any, basic_cap: int) -> None:
    active, pending = lists["active"], lists.get("pending", [])
    licensed_active = sum(1 for u in active if u.type == 2)
    licensed_pending = sum(1 for u in pending if u.type == 2)
    basic = sum(1 for u in (*active, *pending) if u.type == 1)
    report.users = {
        "active": len(active),
        "pending": len(pending),
        "licensed_active": licensed_active,
        "licensed_pending": licensed_pending,
        "unassigned": sum(1 for u in active if u.type == 4),
        "administrators": sum(1 for u in active if not u.is_member),
    }
    report.basic = {"count": basic, "cap": basic_cap, "room": max(0, basic_cap - basic)}
    over = basic >= basic_cap
    report.add(
        "basic cap",
        not over,
        f"{basic} Basic users (active + pending) of {basic_cap}"
        + ("; no Basic user can be added or downgraded to" if over else ""),
    )
    if plan is None:
        report.add("pools", False, "plan usage not readable (see scopes)")
        return
    report.pools = {
        key: [e.model_dump(include={"type", "hosts", "usage", "pending"}) for e in entries]
        for key, entries in plan.pools().items()
    }
    summary = ", ".join(
        f"{key} {sum(e['usage'] for e in entries)}/{sum(e['hosts'] for e in entries)}"
        for key, entries in report.pools.items()
    )
    report.add("pools", True, summary or "no seat pool at all")
    if plan.plan_base is None:
        report.add("pending reading", None, "no plan_base: the Zoom One pools are counted per user by sync")
        return
    reading = detect_pending_reading(
        usage=plan.plan_base.usage,
        pending=plan.plan_base.pending,
        licensed_active=licensed_active,
        licensed_pending=licensed_pending,
    )
    report.pending_reading = reading
    report.add("pending reading", None, reading.detail)


async def _managed_domains(report: DoctorReport, client: AsyncZoomClient) -> None:
    """Where autoCreate works (only shown: `create`, the default action, needs no domain)."""
    try:
        domains = await client.accounts.managed_domains()
    except ZoomAPIError as exc:
        report.add(
            "managed domains", None, f"not readable ({exc.status}/{exc.code}): autoCreate cannot be checked"
        )
        return
    report.managed_domains = [d.domain for d in domains]
    report.add(
        "managed domains", None, ", ".join(report.managed_domains) or "none (autoCreate will be refused)"
    )


def _rate_tier(report: DoctorReport, client: AsyncZoomClient) -> None:
    seen = {c.value: s.limit for c, s in client.limiter.stats.items() if s.limit is not None}
    report.rate_limits_seen = seen
    tier = None
    for name, rates in RATES.items():
        if seen and all(rates.get(Category(c)) == float(v) for c, v in seen.items()):
            tier = name
    report.rate_tier = tier
    if not seen:
        report.add("rate tier", None, f"no X-RateLimit headers seen; configured {client.limiter.tier}")
    else:
        limits = ", ".join(f"{c} {v}/s" for c, v in seen.items())
        report.add(
            "rate tier", None, f"{tier or 'unknown'} (headers: {limits}); configured {client.limiter.tier}"
        )


def _check_license_pool(report: DoctorReport, path: Path | None) -> None:
    """The pool of the product the policy hands out (`license`) is among the account's pools."""
    if not report.pools:
        return  # plan usage not read: the pools line already says why
    try:
        product = load_policy(path).zoom_one_type
    except ProvisionError:
        return  # the policy line already names the problem
    key = seat_pool_key(product)
    if key in report.pools:
        entries = report.pools[key]
        seats = f"{sum(e['usage'] for e in entries)} of {sum(e['hosts'] for e in entries)} in use"
        report.add("license pool", True, f"{key} ({seats})")
    else:
        have = ", ".join(sorted(report.pools))
        report.add("license pool", False, f"no {key} for the policy's license; the account has: {have}")
