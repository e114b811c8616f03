"""The plan's safety thresholds: what a plan may take back before an operator must say --force."""

from __future__ import annotations

from collections import Counter

from provision.core.accounts import describe
from provision.core.actions import REVOKES
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.errors import UnsafePlanError

__all__ = ["REVOKES", "account_problems", "check_safety", "safety_problems"]


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
    totals = plan.summary.totals
    # Before the tool manages anyone, the account's licenses are the measure; say which it is.
    held = totals.managed_licensed_before or totals.licensed_before
    held_words = "managed licenses" if totals.managed_licensed_before else "licenses on the account"
    count = len(revoked)
    share = _share(count, held)
    if count > policy.max_revoke_count:
        problems.append(
            f"the plan revokes {count} licenses on the account, "
            f"above max_revoke_count {policy.max_revoke_count}"
        )
    if count > policy.revoke_share_min_count and share > policy.max_revoke_share:
        problems.append(
            f"the plan revokes {count} of {held} {held_words} ({share:.0%}), "
            f"above max_revoke_share {policy.max_revoke_share:.0%}"
        )
    schools = plan.summary.schools
    for code, n in sorted(revoked_by_school.items()):
        figures = schools.get(code)
        school_held = figures.licensed_before if figures is not None else 0
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


def account_problems(plan: Plan, policy: Policy) -> list[str]:
    """`safety_problems`, account by account for a plan over several Zoom accounts: each account
    is judged against its own licenses and its own thresholds (the policy's [accounts.KEY])."""
    if not plan.summary.accounts:
        return safety_problems(plan, policy)
    return [
        f"{describe(key)}: {problem}"
        for key in sorted(plan.summary.accounts)
        for problem in safety_problems(plan.for_account(key), policy.for_account(key))
    ]


def check_safety(plan: Plan, policy: Policy, *, force: bool = False) -> None:
    """Raise UnsafePlanError when the plan revokes more than the policy allows (unless force).

    A roster with no active member at all while managed users hold licenses is refused even
    with force: an empty desired state is a missing import, never "revoke everyone".
    """
    totals = plan.summary.totals
    managed_licensed = totals.managed_licensed_before
    if totals.people_active == 0 and managed_licensed > 0:
        raise UnsafePlanError(
            f"no roster has any active member while {managed_licensed} managed users hold a license: "
            "import the rosters first (an empty roster never means revoke everyone)"
        )
    if force:
        return
    problems = account_problems(plan, policy)
    if problems:
        raise UnsafePlanError("unsafe plan: " + "; ".join(problems) + "; rerun with --force to accept")
