"""The imperative shell around the pure diff: load the inputs, compute, check safety, record.

`make_plan` is what `provision plan` (and `apply` without a plan file, and `reconcile --fix`)
calls. `check_fresh` is what `apply` calls before acting on a saved plan.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from provision.desired import Desired, Observed, load_desired, load_observed
from provision.diff import compute_plan
from provision.errors import InputError, UnsafePlanError
from provision.plan import ActionKind, Plan
from provision.policy import Policy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

REVOKES = (ActionKind.UNLICENSE, ActionKind.DEACTIVATE)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a plan.

    Loading and diffing 100,000 people allocates a few hundred thousand small objects, none in
    reference cycles; the collector's repeated full passes over them cost more than the work
    (3.0 s of 5.5 s CPU in bench/plan). Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _share(part: int, whole: int) -> float:
    return part / whole if whole else (1.0 if part else 0.0)


def safety_problems(plan: Plan, policy: Policy) -> list[str]:
    """Every threshold of the policy the plan crosses, as sentences (empty: the plan is safe)."""
    revoked_by_school: Counter[str] = Counter()
    revoked: set[str] = set()
    for action in plan.actions:
        if action.kind in REVOKES and action.email not in revoked:
            revoked.add(action.email)
            revoked_by_school[action.institution_code or ""] += 1

    problems: list[str] = []
    totals = plan.summary.get("totals", {})
    held = int(totals.get("managed_licensed_before", 0)) or int(totals.get("licensed_before", 0))
    count = len(revoked)
    share = _share(count, held)
    if count > policy.max_revoke_count:
        problems.append(
            f"the plan revokes {count} licenses on the account, "
            f"above max_revoke_count {policy.max_revoke_count}"
        )
    if count > policy.revoke_share_min_count and share > policy.max_revoke_share:
        problems.append(
            f"the plan revokes {count} of {held} managed licenses ({share:.0%}), "
            f"above max_revoke_share {policy.max_revoke_share:.0%}"
        )
    schools = plan.summary.get("schools", {})
    for code, n in sorted(revoked_by_school.items()):
        school_held = int(schools.get(code, {}).get("licensed_before", 0))
        school_share = _share(n, school_held)
        if n > policy.max_school_revoke_count:
            problems.append(
                f"school {code}: revokes {n} licenses, above max_school_revoke_count "
                f"{policy.max_school_revoke_count}"
            )
        if n > policy.revoke_share_min_count and school_share > policy.max_school_revoke_share:
            problems.append(
                f"school {code}: revokes {n} of {school_held} licenses ({school_share:.0%}), "
                f"above max_school_revoke_share {policy.max_school_revoke_share:.0%}"
            )
    return problems


def check_safety(plan: Plan, policy: Policy, *, force: bool = False) -> None:
    """Raise UnsafePlanError when the plan revokes more than the policy allows (unless force).

    A roster with no active member at all while managed users hold licenses is refused even
    with force: an empty desired state is a missing import, never "revoke everyone".
    """
    totals = plan.summary.get("totals", {})
    managed_licensed = int(totals.get("managed_licensed_before", 0))
    if int(totals.get("people_active", 0)) == 0 and managed_licensed > 0:
        raise UnsafePlanError(
            f"no roster has any active member while {managed_licensed} managed users hold a license: "
            "import the rosters first (an empty roster never means revoke everyone)"
        )
    if force:
        return
    problems = safety_problems(plan, policy)
    if problems:
        raise UnsafePlanError("unsafe plan: " + "; ".join(problems) + "; rerun with --force to accept")


def load_inputs(session: Session) -> tuple[Desired, Observed]:
    """The rosters and the last snapshot; no snapshot at all is the operator's to fix."""
    observed = load_observed(session, logins=False)
    if observed.account is None and not observed.users:
        raise InputError("no Zoom snapshot: run `provision sync` first")
    return load_desired(session), observed


def make_plan(
    session: Session,
    policy: Policy,
    *,
    school: str | None = None,
    now: datetime | None = None,
    force: bool = False,
    actor: str = "unknown",
    record: bool = True,
) -> Plan:
    """Compute the plan from the database, refuse it if unsafe, and keep it as a PlanRecord.

    Seats are always allocated over the whole account; `school` only narrows what is shown and
    applied. The record is keyed by fingerprint: planning the same inputs twice updates it.
    """
    with gc_paused():
        desired, observed = load_inputs(session)
        plan = compute_plan(desired, observed, policy, now=now or datetime.now(UTC), school=school)
        del desired, observed  # the plan no longer needs them: lower the peak before saving
        plan.summary["policy"] = policy.to_data()
        plan.summary["forced"] = force
        check_safety(plan, policy, force=force)
        if record:
            save_plan(session, plan, actor=actor)
    return plan


def save_plan(session: Session, plan: Plan, *, actor: str, data: dict[str, Any] | None = None) -> None:
    """Keep the plan as a PlanRecord (`data`: its to_data(), when the caller already has it)."""
    from sqlalchemy import select

    from models import PlanRecord

    existing = session.execute(
        select(PlanRecord).where(PlanRecord.fingerprint == plan.fingerprint)
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            PlanRecord(
                fingerprint=plan.fingerprint,
                created_at=plan.created_at,
                snapshot_at=plan.snapshot_at,
                actor=actor,
                data=data if data is not None else plan.to_data(),
            )
        )
    else:
        # Same inputs, same actions: the journal of a half-done apply stays valid.
        existing.data = data if data is not None else plan.to_data()
        existing.actor = actor
        existing.created_at = plan.created_at
    session.flush()


def check_fresh(
    session: Session, plan: Plan, policy: Policy | None = None, *, now: datetime | None = None
) -> None:
    """Refuse a plan whose inputs changed since it was made (rosters, snapshot, policy, or time).

    `policy` should be the policy in force now; without it the plan's own policy is used, which
    still catches roster and snapshot changes but not an edited policy file.
    """
    if policy is None:
        embedded = plan.summary.get("policy")
        policy = Policy.model_validate(embedded) if embedded else Policy()
    scope = plan.summary.get("scope")
    with gc_paused():
        desired, observed = load_inputs(session)
        current = compute_plan(desired, observed, policy, now=now or datetime.now(UTC), school=scope)
    if current.fingerprint != plan.fingerprint:
        made = plan.created_at.isoformat(timespec="seconds")
        snap = current.snapshot_at.isoformat(timespec="seconds") if current.snapshot_at else "none"
        raise InputError(
            f"plan is stale: the rosters, the Zoom snapshot (now {snap}) or the policy changed since it "
            f"was made at {made}; run provision plan again"
        )
