"""Drift: how the Zoom account differs from what the rosters, the policy and our own changes say (pure).

`compute_drift` takes the same desired/observed values as the plan, plus two facts the plan does
not need: the state each managed user was last left in by us (from the audit log) and when each
Zoom user was created. It returns a `Drift`, grouped by kind, that `reconcile` stores as a
DriftReport and prints. No database and no Zoom here, so every rule is tested with plain values.

The kinds the plan would change are derived from the plan itself (`compute_plan`), so that
`reconcile --fix` repairs exactly what the report showed and a report is clean after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from provision.core.accounts import MAIN, describe
from provision.core.accounts_plan import compute_accounts_plan
from provision.core.actions import SEEN_ONLY, SPECS
from provision.core.diff import ADMIN_ROLE_ID, LEFT, protected_emails, role_protection, standing
from provision.core.kinds import ActionKind, DriftKind
from provision.core.moves import MOVE_REASONS
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.core.state import TYPE_NAMES, Desired, Observed, ZoomUser

DRIFT_FORMAT = 1

# Kinds, in the order they are shown (DriftKind). Each item is a flat mapping (export flattens it
# to a row) with at least email or institution_code, and a human `detail`. The module-level names
# are the members, kept for the readers that import them by name.
LICENSED_NOT_ENTITLED = DriftKind.LICENSED_NOT_ENTITLED
ENTITLED_NOT_LICENSED = DriftKind.ENTITLED_NOT_LICENSED
CHANGED_BY_HAND = DriftKind.CHANGED_BY_HAND
CONTESTED = DriftKind.CONTESTED
INACTIVE = DriftKind.INACTIVE
PENDING_STALE = DriftKind.PENDING_STALE
INVITATION_EXPIRED = DriftKind.INVITATION_EXPIRED
INVITATION_NOT_RESENT = DriftKind.INVITATION_NOT_RESENT
OVER_QUOTA = DriftKind.OVER_QUOTA
ACCOUNT_SEATS = DriftKind.ACCOUNT_SEATS
ADDON = DriftKind.ADDON
GROUP = DriftKind.GROUP
ADOPTABLE = DriftKind.ADOPTABLE
UNMANAGED_LICENSED = DriftKind.UNMANAGED_LICENSED
PROTECTED_LEFT = DriftKind.PROTECTED_LEFT
LICENSE_KEPT = DriftKind.LICENSE_KEPT
WRONG_ACCOUNT = DriftKind.WRONG_ACCOUNT
KINDS: tuple[DriftKind, ...] = tuple(DriftKind)
# Shown, but not an alert: the tool never touches users it does not manage, so a nightly job
# would otherwise fail forever on an account shared with staff outside the rosters.
# Expired invitations the tool sends once more by itself are shown too, and alert only when they
# expired again (INVITATION_NOT_RESENT). So are protected leavers: the owner or an admin keeps a
# license on purpose more often than not, and no run of ours can change it; and licenses Zoom
# refuses to take back, which no rerun changes either.
INFO_KINDS = frozenset({UNMANAGED_LICENSED, INVITATION_EXPIRED, PROTECTED_LEFT, LICENSE_KEPT})

FIELDS = ("type", "status", "large_meeting_capacity", "group_ids")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class SetBy:
    """One field of a user as our last successful action left it, and which action that was."""

    value: Any
    at: datetime
    actor: str
    action: str
    institution_code: str | None = None


# email -> field -> what we set last
AuditFacts = Mapping[str, Mapping[str, SetBy]]


@dataclass
class Drift:
    """What a reconcile found. `kinds` holds every kind (empty lists included)."""

    at: datetime
    kinds: dict[DriftKind, list[dict[str, Any]]]
    account: dict[str, Any]
    snapshot_at: datetime | None
    plan_fingerprint: str
    policy: dict[str, Any] = field(default_factory=dict)
    waiting: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {kind.value: len(items) for kind, items in self.kinds.items()}

    @property
    def clean(self) -> bool:
        return not any(items for kind, items in self.kinds.items() if kind not in INFO_KINDS)

    @property
    def alerts(self) -> int:
        return sum(len(items) for kind, items in self.kinds.items() if kind not in INFO_KINDS)

    def to_data(self) -> dict[str, Any]:
        # No list at the top level: the audit export reads every top-level list as drift rows.
        return {
            "format": DRIFT_FORMAT,
            "at": _iso(self.at),
            "snapshot_at": _iso(self.snapshot_at),
            "clean": self.clean,
            "alerts": self.alerts,
            "counts": self.counts,
            # The account's seats, by the name every command's JSON gives them (docs/interfaces.md).
            "seats": dict(self.account),
            "waiting": self.waiting,
            "policy": dict(self.policy),
            "plan_fingerprint": self.plan_fingerprint,
            "kinds": {kind.value: [dict(item) for item in items] for kind, items in self.kinds.items()},
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def type_name(value: Any) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number} ({TYPE_NAMES.get(number, 'unknown')})"


def fold_audit(events: Any) -> dict[str, dict[str, SetBy]]:
    """Fold succeeded audit events, oldest first, into what we last set per email and field.

    `events` yields (email, at, actor, action, institution_code, after) of succeeded events in
    the order they happened. Only the fields a plan sets are kept.
    """
    facts: dict[str, dict[str, SetBy]] = {}
    changed: set[tuple[str, str]] = set()  # (email, field) set by a real change of ours
    for email, at, actor, action, code, after in events:
        if not email or not isinstance(after, Mapping):
            continue
        person = facts.setdefault(email, {})
        when = _aware(at) or at
        seen_only = action in SEEN_ONLY
        for name in FIELDS:
            value = after.get(name, _MISSING)
            # Zoom's answer to a create may carry status null: unknown, not a state we set.
            if value is _MISSING or (value is None and name != "large_meeting_capacity"):
                continue
            if seen_only and (email, name) in changed:
                continue  # what adopt saw at plan time never overwrites a change we made since
            if not seen_only:
                changed.add((email, name))
            person[name] = SetBy(value, when, actor or "?", action, code)
    return facts


def _by_hand(email: str, user: ZoomUser | None, facts: Mapping[str, SetBy]) -> list[dict[str, Any]]:
    """Each field that differs from what our last action set (a field Zoom moves on its own is skipped)."""
    last = max(facts.values(), key=lambda s: s.at)
    if user is None:
        return [_hand_item(email, "presence", "on Zoom", "missing", last, "no longer on Zoom")]
    items: list[dict[str, Any]] = []
    status = facts.get("status")
    expected_status = status.value if status is not None else None
    # An invitation we sent becomes active when accepted: that is Zoom's move, not a change by hand.
    if status is not None and expected_status != "pending" and user.status != expected_status:
        items.append(
            _hand_item(email, "status", expected_status, user.status, status, f"status {user.status}")
        )
    if status is not None and expected_status == "pending" and user.status not in ("pending", "active"):
        items.append(_hand_item(email, "status", "active", user.status, status, f"status {user.status}"))
    kind = facts.get("type")
    # A deactivated user's type is meaningless (no license either way).
    if kind is not None and user.status != "inactive" and int(kind.value) != int(user.type):
        items.append(
            _hand_item(
                email,
                "type",
                type_name(kind.value),
                type_name(user.type),
                kind,
                f"type {type_name(kind.value)} -> {type_name(user.type)}",
            )
        )
    addon = facts.get("large_meeting_capacity")
    if addon is not None and user.status == "active":
        actual = user.large_meeting_capacity if user.large_meeting else None
        if addon.value != actual:
            items.append(
                _hand_item(
                    email,
                    "large_meeting_capacity",
                    addon.value,
                    actual,
                    addon,
                    f"Large Meetings {addon.value or 'off'} -> {actual or 'off'}",
                )
            )
    groups = facts.get("group_ids")
    if groups is not None and isinstance(groups.value, list):
        missing = [g for g in groups.value if g not in user.group_ids]
        if missing:
            items.append(
                _hand_item(
                    email,
                    "group_ids",
                    ",".join(groups.value),
                    ",".join(user.group_ids),
                    groups,
                    f"removed from group {', '.join(missing)}",
                )
            )
    return items


def _hand_item(email: str, name: str, expected: Any, actual: Any, by: SetBy, what: str) -> dict[str, Any]:
    return {
        "email": email,
        "institution_code": by.institution_code,
        "field": name,
        "expected": expected,
        "actual": actual,
        "set_at": _iso(by.at),
        "set_by": by.actor,
        "set_action": by.action,
        "detail": f"{what}; we set {expected} on {by.at:%Y-%m-%d %H:%M} UTC ({by.action} by {by.actor})",
    }


def _plan_items(plan: Plan, kinds: dict[DriftKind, list[dict[str, Any]]]) -> None:
    """Each action of the plan under the drift kind its entry names (SPECS[kind].drift)."""
    for action in plan.actions:
        entry = SPECS[action.kind]
        if entry.drift is None:
            continue
        kinds[entry.drift].append(
            {
                "email": action.email,
                "institution_code": action.institution_code,
                "fix": action.kind.value,
                "detail": entry.drift_detail(action.payload, action.reason),
                **entry.drift_fields(action.payload),
                **({"account": action.account} if action.account else {}),
            }
        )


def _invitation_items(
    observed: Observed,
    policy: Policy,
    home: Mapping[str, str],
    on_roster: set[str],
    now: datetime,
    kinds: dict[DriftKind, list[dict[str, Any]]],
) -> None:
    """Expired invitations of people still on a roster: waiting for their resend, re-sent and not
    accepted yet, or expired again (no resend without a person deciding)."""
    for email in sorted(observed.invitations):
        history = observed.invitations[email]
        user = observed.users.get(email)
        if email not in on_roster or (user is not None and user.status != "pending"):
            continue  # left, or accepted at last
        expired = [_iso(at) for at in history.expired]
        found = ", ".join(f"{at:%Y-%m-%d}" for at in history.expired)
        item: dict[str, Any] = {
            "email": email,
            "institution_code": home.get(email),
            "expired_at": expired,
            "resent_at": _iso(history.resent[-1]) if history.resent else None,
        }
        if user is None and history.given_up:
            item["detail"] = (
                f"invitations expired unanswered twice (found {found}): not sent again automatically; "
                "check the address on the roster, then `provision apply --retry-blocked`"
            )
            kinds[INVITATION_NOT_RESENT].append(item)
            continue
        if user is not None:
            sent = f" on {history.resent[-1]:%Y-%m-%d}" if history.resent else ""
            item["detail"] = f"invitation expired unanswered (found {found}); re-sent{sent}, not accepted yet"
        else:
            due = history.resend_due(policy.reinvite_after_days)
            item["resend_due"] = _iso(due)
            when = "by the next apply" if due <= now else f"on {due:%Y-%m-%d} (policy reinvite_after_days)"
            item["detail"] = f"invitation expired unanswered (found {found}); sent once more {when}"
        kinds[INVITATION_EXPIRED].append(item)


def compute_drift(
    desired: Desired,
    observed: Observed,
    policy: Policy,
    *,
    audit: AuditFacts,
    created: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> Drift:
    """Every difference between Zoom and what it should be, by kind (see KINDS).

    `audit` is what our own actions last set (fold_audit); `created` maps email to when Zoom
    created the user (user_created_at), for reclaim and stale-invitation ages.
    """
    now = now or datetime.now(UTC)
    created = created or {}
    plan = compute_accounts_plan(desired, observed, policy, now=now)
    kinds: dict[DriftKind, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    _plan_items(plan, kinds)
    # Another writer keeps setting these back: reported once, here, not as a change by hand too.
    kinds[CONTESTED].extend(dict(item) for item in plan.contested)
    contested = {item["email"] for item in plan.contested}

    protected = protected_emails(observed, policy)
    home: dict[str, str] = {}
    for email, person in desired.people.items():
        st = standing(person, policy)
        if st is not None:
            home[email] = st.member.institution_code

    on_roster = {email for email, p in desired.people.items() if any(m.active for m in p.memberships)}
    waiting = {w.email: w.reason for w in plan.waiting}
    for email in sorted(audit):
        if email in protected or email not in observed.managed or email in contested:
            continue
        user = observed.users.get(email)
        # Someone who left every roster may be deactivated or removed by hand without harm; only a
        # seat they hold again matters (and is a wasted seat too).
        if email not in on_roster and (user is None or not user.holds_seat):
            continue
        if user is None and email in observed.invitations:
            continue  # no hand removed it: the invitation expired (INVITATION_EXPIRED says so)
        for item in _by_hand(email, user, audit[email]):
            if email in waiting:
                # The seat went to someone else meanwhile: a person has to decide.
                item["detail"] += f"; now {waiting[email]}"
            kinds[CHANGED_BY_HAND].append(item)

    def created_at(email: str) -> datetime | None:
        when = _aware(created.get(email))
        if when is None:
            made = audit.get(email, {}).get("status")
            if made is not None and made.action == ActionKind.CREATE.value:
                when = made.at
        return when

    if policy.inactive_days > 0:
        limit = now - timedelta(days=policy.inactive_days)
        for email in sorted(observed.users):
            user = observed.users[email]
            if not user.holds_seat or email in protected:
                continue
            login = user.last_login_time
            since = created_at(email)
            if login is not None and login < limit:
                detail = f"licensed, last login {login:%Y-%m-%d} ({(now - login).days} days ago)"
            elif login is None and since is not None and since < limit:
                detail = f"licensed, never logged in since created on {since:%Y-%m-%d}"
            else:
                continue
            kinds[INACTIVE].append(
                {
                    "email": email,
                    "institution_code": home.get(email),
                    "last_login_time": _iso(login),
                    "created_at": _iso(since),
                    "managed": email in observed.managed,
                    "detail": detail + "; a reclaim candidate",
                }
            )

    if policy.pending_days > 0:
        limit = now - timedelta(days=policy.pending_days)
        for email in sorted(observed.users):
            user = observed.users[email]
            since = created_at(email)
            if user.status != "pending" or since is None or since >= limit:
                continue
            kinds[PENDING_STALE].append(
                {
                    "email": email,
                    "institution_code": home.get(email),
                    "created_at": _iso(since),
                    "detail": f"invitation pending since {since:%Y-%m-%d} ({(now - since).days} days)",
                }
            )

    _invitation_items(observed, policy, home, on_roster, now, kinds)

    held: Counter[str] = Counter()
    for email, code in home.items():
        user = observed.users.get(email)
        if user is not None and user.holds_seat:
            held[code] += 1
    for code in sorted(held):
        school = desired.schools.get(code)
        if school is not None and held[code] > school.seats:
            kinds[OVER_QUOTA].append(
                {
                    "institution_code": code,
                    "name": school.name,
                    "quota": school.seats,
                    "licensed": held[code],
                    "detail": f"{held[code]} licenses held against a quota of {school.seats}",
                }
            )

    account = _seats(observed, kinds[ACCOUNT_SEATS], MAIN)
    if len(observed.accounts) > 1 or set(observed.accounts) - {MAIN}:
        # A ministry of several accounts: each one's seats, and each one judged on its own.
        account = dict(account)
        account["accounts"] = {
            key: _seats(part, kinds[ACCOUNT_SEATS], key)
            for key in sorted(observed.accounts)
            if (part := _account_part(observed, key)) is not None
        }
    for line in plan.waiting:
        if line.reason.startswith(MOVE_REASONS):
            kinds[WRONG_ACCOUNT].append(
                {"email": line.email, "institution_code": line.institution_code, "detail": line.reason}
            )

    for email in plan.unmanaged:
        user = observed.users.get(email)
        if user is not None and user.holds_seat:
            kinds[UNMANAGED_LICENSED].append(
                {
                    "email": email,
                    "institution_code": None,
                    "detail": "licensed, on no roster and not managed by provision: reported, never changed",
                }
            )

    _protected_left(desired, observed, policy, protected, kinds[PROTECTED_LEFT])
    kinds[LICENSE_KEPT].extend(
        {"email": k.email, "institution_code": k.institution_code, "detail": k.reason} for k in plan.kept
    )

    return Drift(
        at=now,
        kinds=kinds,
        account=account,
        snapshot_at=observed.snapshot_at,
        plan_fingerprint=plan.fingerprint,
        policy={
            "inactive_days": policy.inactive_days,
            "pending_days": policy.pending_days,
            "contested": policy.contested,
        },
        waiting=len(plan.waiting),
    )


def _protected_left(
    desired: Desired, observed: Observed, policy: Policy, protected: set[str], out: list[dict[str, Any]]
) -> None:
    """Protected people who left every roster and still hold a license (the plan only counts them)."""
    for email in sorted(protected):
        person = desired.people.get(email)
        user = observed.users.get(email)
        st = standing(person, policy) if person is not None else None
        if st is None or st.kind != LEFT or user is None or not user.holds_seat:
            continue
        why = role_protection(user.role_id, policy)
        if why == "owner":
            who = "the account owner"
        elif why == "admin":
            who = "an admin" if user.role_id == ADMIN_ROLE_ID else f"an admin (custom role {user.role_id})"
        else:
            who = "protected by the policy's protected_emails"
        code, left_at = st.member.institution_code, st.member.left_at
        out.append(
            {
                "email": email,
                "institution_code": code,
                "role_id": user.role_id,
                "left_at": _iso(left_at),
                "detail": f"{who}; left the roster of {code}"
                + (f" on {left_at:%Y-%m-%d}" if left_at is not None else "")
                + " and still licensed: never changed by provision, a person decides",
            }
        )


def _account_part(observed: Observed, key: str) -> Observed | None:
    seats = observed.accounts.get(key)
    if seats is None:
        return None
    return Observed(users={e: u for e, u in observed.users.items() if u.account == key}, account=seats)


def _seats(observed: Observed, alerts: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """One account's seats as the drift report shows them; over-use is an ACCOUNT_SEATS alert."""
    account: dict[str, Any] = {}
    if key == MAIN:
        observed = _account_part(observed, MAIN) or observed
    licensed = sum(1 for user in observed.users.values() if user.holds_seat)
    if observed.account is not None:
        # Counted from the users listed; plan usage is only the cross-check (core.readings).
        count = observed.seat_count()
        account = {
            "purchased": count.purchased,
            "used": count.licensed_active,
            "pending": count.licensed_pending,
            "free": count.free,
            "licensed_users": licensed,
            "observed_at": _iso(observed.account.observed_at),
            "usage_reported": count.reading.usage,
            "pending_reported": count.reading.pending,
            "pending_reading": count.reading.reading,
            "disagreement": count.disagreement,
        }
        if count.in_use > count.purchased:
            where = "" if key == MAIN else f"{describe(key)}: "
            alerts.append(
                {
                    "institution_code": None,
                    "detail": f"{where}{count.licensed_active} seats used and {count.licensed_pending} "
                    f"pending of {count.purchased} purchased",
                    **({"account": key} if key != MAIN else {}),
                }
            )
    return account
