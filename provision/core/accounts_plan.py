"""One plan over many Zoom accounts (issue 17): every account planned on its own.

Each account has its own seats, Basic-user cap, daily create cap and rate budget (ZOOM_API.md
§2.2, §4), so a school's people are planned against the account of their school: the rosters and
the snapshot are split by account, `diff.compute_plan` runs once per account with that account's
policy (`Policy.for_account`: its [accounts.KEY] caps and thresholds), and the parts are put
back into one plan whose actions carry their account (grouped by it) and whose summary has each
account's figures. One account only (everything on the main account) is exactly the plan it always was.

A person whose school is in one account while Zoom holds their user in another is a move
(`provision.core.moves`): never created twice, never revoked for it. Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import orjson

from provision.core.accounts import MAIN, config_for, describe
from provision.core.actions import MoveTo
from provision.core.basic_cap import basic_count, is_basic
from provision.core.diff import LEFT, compute_plan, standing
from provision.core.kinds import ActionKind
from provision.core.moves import Move, plan_moves
from provision.core.plan import Action, Plan, Waiting, sort_actions
from provision.core.policy import Policy
from provision.core.state import LICENSED_TYPE, Desired, DesiredPerson, Observed, ZoomUser
from provision.core.summary import AccountFigures, PlanSummary, SchoolFigures, Totals, by_region
from provision.errors import InputError

# Zoom's cap on POST /users action=create per account and day (ZOOM_API.md §1.4, §4).
CREATE_CAPS = {"business_plus": 10_000, "pro": 1_500}


def create_cap(policy: Policy, key: str) -> int | None:
    """POST /users `create` calls account `key` may still take today's plan (None: no cap applies,
    the policy creates with another action, which Zoom does not count against it)."""
    if policy.create_action != "create":
        return None
    config = config_for(policy.accounts, key)
    if config.daily_create_cap is not None:
        return config.daily_create_cap
    return CREATE_CAPS[config.tier or "business_plus"]


def accounts_in_play(desired: Desired, observed: Observed) -> set[str]:
    keys = {school.account for school in desired.schools.values()}
    keys.update(user.account for user in observed.users.values())
    keys.update(observed.accounts)
    return keys


@dataclass
class Part:
    """One account's share of the inputs."""

    key: str
    desired: Desired
    observed: Observed
    moves: list[Move] = field(default_factory=list)


def split(desired: Desired, observed: Observed, policy: Policy) -> dict[str, Part]:
    """The rosters and the snapshot, account by account; people whose Zoom user lives in another
    account than their school's are set apart as moves (planned in no account's rosters)."""
    school_account = {code: school.account for code, school in desired.schools.items()}
    keys = accounts_in_play(desired, observed)
    people: dict[str, dict[str, DesiredPerson]] = {key: {} for key in keys}
    moves: dict[str, list[Move]] = {key: [] for key in keys}
    users = observed.users
    for email, person in desired.people.items():
        found = standing(person, policy)
        if found is None:
            continue
        home = school_account.get(found.member.institution_code, MAIN)
        user = users.get(email)
        if user is not None and user.account != home:
            if found.kind == LEFT:
                # Left every roster: nothing to move; what their leaving means is planned in the
                # account they are in (their license taken back there after the grace period).
                people[user.account][email] = person
                continue
            moves[user.account].append(Move(email, found, user, home))
            continue
        people[home][email] = person
    parts: dict[str, Part] = {}
    for key in sorted(keys):
        parts[key] = Part(
            key,
            Desired(
                schools={c: s for c, s in desired.schools.items() if s.account == key},
                people=people[key],
                scope=desired.scope,
            ),
            Observed(
                users={e: u for e, u in users.items() if u.account == key},
                # Observed values built by hand may carry the main account's seats only.
                account=observed.accounts.get(key) or (observed.account if key == MAIN else None),
                managed=observed.managed,
                licensed_by_us=observed.licensed_by_us,
                blocked=observed.blocked,
                invitations=observed.invitations,
                contested=observed.contested,
                accounts={key: observed.accounts[key]} if key in observed.accounts else {},
                created_today={key: observed.created_today.get(key, 0)},
            ),
            moves[key],
        )
    return parts


def compute_accounts_plan(
    desired: Desired,
    observed: Observed,
    policy: Policy,
    *,
    now: datetime,
    school: str | None = None,
) -> Plan:
    """`diff.compute_plan` per account, as one plan (see the module docstring)."""
    if accounts_in_play(desired, observed) <= {MAIN} and not policy.accounts:
        # One account: the plan it always was, within the account's daily create cap.
        plan = compute_plan(desired, observed, policy, now=now, school=school)
        today = observed.created_today.get(MAIN, 0)
        fit_create_cap(plan, create_cap(policy, MAIN), today, partial(_role, desired, policy=policy))
        return plan
    parts = split(desired, observed, policy)
    if school is not None:
        if school not in desired.schools:
            # compute_plan's message, with the closest codes
            compute_plan(desired, observed, policy, now=now, school=school)
        home = desired.schools[school].account
        parts = {home: parts[home]}
    plans: dict[str, Plan] = {}
    figures: dict[str, AccountFigures] = {}
    moved: list[Action] = []  # counted at their school, whose figures are the target account's
    waits: list[Waiting] = []
    for key, part in parts.items():
        if not part.desired.schools and not part.desired.people and not part.moves:
            continue  # an account with users but no school of ours: nothing to plan there
        if part.observed.account is None:
            raise InputError(f"no Zoom snapshot of {describe(key)}: run `provision sync` first")
        own = policy.for_account(key)
        plan = compute_plan(part.desired, part.observed, own, now=now, school=school)
        cap = create_cap(policy, key)
        today = observed.created_today.get(key, 0)
        held = fit_create_cap(plan, cap, today, partial(_role, part.desired, policy=policy))
        added, refused = plan_moves(plan, part.moves, part.observed, own, key)
        moved.extend(added)
        waits.extend(refused)
        plans[key] = plan
        figures[key] = AccountFigures(
            totals=plan.summary.totals,
            shortage=plan.summary.shortage,
            create_cap=cap,
            created_today=today,
            creates_held=held,
        )
    roles = {
        e: st.member.role for e in {a.email for a in moved} if (st := standing(desired.people[e], policy))
    }
    fit_moves(plans, moved, waits, observed, policy, roles)
    merged = merge(
        plans,
        figures,
        now=now,
        school=school,
        school_accounts={code: s.account for code, s in desired.schools.items()},
    )
    for action in moved:
        counts = merged.summary.schools.get(action.institution_code or "")
        if counts is not None:
            counts.actions[action.kind] = counts.actions.get(action.kind, 0) + 1
    for line in waits:
        counts = merged.summary.schools.get(line.institution_code or "")
        if counts is not None:
            counts.waiting += 1
    return merged


def _role(desired: Desired, email: str, *, policy: Policy) -> str:
    person = desired.people.get(email)
    found = standing(person, policy) if person is not None else None
    return found.member.role if found is not None else ""


def fit_moves(
    plans: Mapping[str, Plan],
    moved: list[Action],
    waits: list[Waiting],
    observed: Observed,
    policy: Policy,
    roles: Mapping[str, str],
) -> None:
    """A moved user arrives Basic (its license stays behind): moves past the target account's
    Basic cap wait, with their license kept where it is, instead of being refused by Zoom after
    the license was given back."""
    incoming: dict[str, list[Action]] = {}
    for action in moved:
        if isinstance(action.payload, MoveTo):
            incoming.setdefault(action.payload.account, []).append(action)
    held: set[str] = set()
    for target, moves in sorted(incoming.items()):
        cap = policy.for_account(target).basic_cap
        plan = plans.get(target)
        if plan is not None:
            basic = plan.summary.totals.basic_after
        else:
            basic = basic_count(u for u in observed.users.values() if u.account == target)
        room = max(cap - basic, 0)
        for action in moves[room:]:
            held.add(action.email)
            waits.append(
                Waiting(
                    action.email,
                    action.institution_code,
                    roles.get(action.email, ""),
                    f"account move waits: {describe(target)} holds its {cap:,} Basic users already "
                    f"(its Basic cap) and a moved user arrives Basic; moved once it has room",
                )
            )
    if not held:
        return
    dropped = [a for a in moved if a.email in held]
    moved[:] = [a for a in moved if a.email not in held]
    for action in dropped:
        plan = plans[action.account]
        plan.actions = [a for a in plan.actions if a is not action]
        counts = plan.summary.totals.actions
        counts[action.kind] = counts.get(action.kind, 0) - 1
        if isinstance(action.payload, MoveTo):
            plan.waiting.extend(w for w in waits if w.email == action.email and "Basic cap" in w.reason)


def fit_create_cap(plan: Plan, cap: int | None, created_today: int, role_of: Callable[[str], str]) -> int:
    """Creates past the account's daily create cap wait for a later plan, with the reason; licensed
    creates are kept before Basic ones (the people a seat is waiting for). Returns how many wait."""
    if cap is None:
        return 0
    creates = [a for a in plan.actions if a.kind is ActionKind.CREATE]
    room = max(cap - created_today, 0)
    if len(creates) <= room:
        return 0
    ranked = sorted(creates, key=lambda a: (getattr(a.payload, "type", 0) != LICENSED_TYPE, a.sort_key()))
    held = {id(a) for a in ranked[room:]}
    reason = (
        f"waiting: the account creates at most {cap:,} users a day (Zoom's daily create cap; "
        f"{created_today:,} created today): created by a later plan"
    )
    kept: list[Action] = []
    for action in plan.actions:
        if id(action) not in held:
            kept.append(action)
            continue
        # The person stays as they are today: their seat (or Basic user) is not taken after the plan.
        licensed = getattr(action.payload, "type", None) == LICENSED_TYPE
        totals = plan.summary.totals
        figures = plan.summary.schools.get(action.institution_code or "")
        if figures is not None:
            figures.actions[ActionKind.CREATE] = figures.actions.get(ActionKind.CREATE, 0) - 1
            figures.waiting += 1
            figures.licensed_after -= licensed
        totals.actions[ActionKind.CREATE] -= 1
        if licensed:
            totals.seats_free_after += 1
        totals.basic_after -= is_basic(action.after)
        plan.waiting.append(Waiting(action.email, action.institution_code, role_of(action.email), reason))
    plan.actions = kept
    plan.summary.regions = by_region(plan.summary.schools)
    # The actions are part of the fingerprint: fewer creates (more made today) is another plan.
    plan.fingerprint = hashlib.sha256(f"{plan.fingerprint}:creates held:{len(held)}".encode()).hexdigest()
    return len(held)


def _tag(actions: Iterable[Action], key: str) -> list[Action]:
    tagged = []
    for action in actions:
        if action.account != key:
            # Fresh objects of this account's plan, not shared: set in place (frozen to callers).
            action.__dict__["account"] = key
        tagged.append(action)
    return tagged


def _combined(home: SchoolFigures, other: SchoolFigures) -> SchoolFigures:
    """The school's own figures (its account's plan) plus what another account's plan did there."""
    home.licensed_before += other.licensed_before
    home.licensed_after += other.licensed_after
    home.waiting += other.waiting
    home.grace += other.grace
    for kind, n in other.actions.items():
        home.actions[kind] = home.actions.get(kind, 0) + n
    return home


def merge(
    plans: Mapping[str, Plan],
    accounts: dict[str, AccountFigures],
    *,
    now: datetime,
    school: str | None,
    school_accounts: Mapping[str, str] | None = None,
) -> Plan:
    """The accounts' plans as one: actions grouped by account, figures per account and summed."""
    school_accounts = school_accounts or {}
    actions: list[Action] = []
    waiting: list[Waiting] = []
    unmanaged: set[str] = set()
    protected: set[str] = set()
    grace = []
    kept: list[Waiting] = []
    contested: list[dict[str, Any]] = []
    schools: dict[str, SchoolFigures] = {}
    totals = Totals()
    orphans: list[str] = []
    digest = hashlib.sha256()
    for key, plan in sorted(plans.items()):
        actions.extend(sort_actions(_tag(plan.actions, key)))
        waiting.extend(plan.waiting)
        unmanaged.update(plan.unmanaged)
        protected.update(plan.protected)
        grace.extend(plan.grace)
        kept.extend(plan.kept)
        contested.extend(plan.contested)
        summary = plan.summary
        for code, figures in summary.schools.items():
            home = school_accounts.get(code, key)
            figures.account = home
            known = schools.get(code)
            if known is None:
                schools[code] = figures
            else:
                # A school's leavers still in another account are planned there: one row.
                schools[code] = (
                    _combined(known, figures) if known.account == home else _combined(figures, known)
                )
        totals.add(summary.totals)
        orphans.extend(summary.managed_without_roster)
        digest.update(orjson.dumps([key, plan.fingerprint, [a.key() for a in plan.actions]]))
    waiting.sort(key=lambda w: (w.institution_code or "", w.counted_at is not None, w.place or 0, w.email))
    grace.sort(key=lambda g: (g.until, g.institution_code or "", g.email))
    snapshots = [p.snapshot_at for p in plans.values() if p.snapshot_at is not None]
    return Plan(
        actions=actions,
        waiting=waiting,
        unmanaged=sorted(unmanaged),
        protected=sorted(protected),
        summary=PlanSummary(
            schools=dict(sorted(schools.items())),
            totals=totals,
            managed_without_roster=sorted(orphans),
            scope=school,
            regions=by_region(schools),
            accounts=accounts,
        ),
        fingerprint=digest.hexdigest(),
        grace=grace,
        contested=sorted(contested, key=lambda c: str(c.get("email"))),
        snapshot_at=min(snapshots) if snapshots else None,
        created_at=now,
        kept=sorted(kept, key=lambda k: (k.institution_code or "", k.email)),
    )


def account_users(observed: Observed, key: str) -> dict[str, ZoomUser]:
    return {e: u for e, u in observed.users.items() if u.account == key}
