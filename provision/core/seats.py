"""Who gets a seat: each school's quota first, then the account's free seats (pure).

Inside a school, candidates are served in a deterministic order: people who cannot be moved
(protected, in their grace period, invited with a seat), then (with keep_holders) people who
already hold a seat (or held one we gave until someone took it back by hand in Zoom), then by
role priority, then by email. Across the account, newcomers are
served by role priority then email, while free seats last. Nobody is dropped: whoever does not
fit is returned as waiting, with the reason an operator can read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


class Candidate(NamedTuple):
    email: str
    institution_code: str
    rank: int  # role priority: lower is served first
    holds: bool = False  # holds a seat now
    fixed: bool = False  # holds a seat the plan must not take (protected, grace, pending invitation)
    kept: bool = False  # we licensed them and the license was taken by hand: still first in line


@dataclass
class Allocation:
    granted: set[str] = field(default_factory=set)  # hold a seat after the plan (old and new)
    new: set[str] = field(default_factory=set)  # granted but not holding now: need a license
    displaced: set[str] = field(default_factory=set)  # hold now, lose the seat to the quota
    waiting: dict[str, str] = field(default_factory=dict)  # email -> reason (displaced included)
    school_used: dict[str, int] = field(default_factory=dict)  # seats held per school after
    account_free_after: int = 0


def _school_order(candidate: Candidate, keep_holders: bool) -> tuple[bool, bool, int, str]:
    holder = candidate.holds or candidate.kept
    return (not candidate.fixed, keep_holders and not holder, candidate.rank, candidate.email)


def allocate(
    candidates: Iterable[Candidate],
    quotas: Mapping[str, int],
    *,
    account_free: int,
    account_seats: int,
    keep_holders: bool = True,
) -> Allocation:
    """Decide who holds a seat after the plan.

    `account_free` is what the account has for this plan before any grant: purchased seats
    minus the seats held by everyone who keeps theirs, minus pending invitations, plus the seats
    the plan frees outside this allocation (leavers). Candidates displaced here add to it.
    """
    by_school: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_school.setdefault(candidate.institution_code, []).append(candidate)

    result = Allocation()
    newcomers: list[Candidate] = []
    free = account_free
    for code, group in by_school.items():
        quota = max(quotas.get(code, 0), 0)
        group.sort(key=lambda c: _school_order(c, keep_holders))
        fixed = sum(1 for c in group if c.fixed)
        room = max(quota, fixed)  # fixed seats are never taken back, even above the quota
        fits, over = group[:room], group[room:]
        used = len(fits)
        for candidate in fits:
            if candidate.holds:
                result.granted.add(candidate.email)
            else:
                newcomers.append(candidate)
        for candidate in over:
            result.waiting[candidate.email] = f"waiting: school quota {used} of {quota} in use"
            if candidate.holds:
                result.displaced.add(candidate.email)
                free += 1
        result.school_used[code] = used

    # A license taken by hand is given back before newcomers get free seats (with keep_holders).
    newcomers.sort(key=lambda c: (not (keep_holders and c.kept), c.rank, c.email))
    for candidate in newcomers:
        if free > 0:
            free -= 1
            result.granted.add(candidate.email)
            result.new.add(candidate.email)
        else:
            in_use = account_seats - free
            result.waiting[candidate.email] = f"waiting: account seats {in_use} of {account_seats} in use"
            result.school_used[candidate.institution_code] -= 1
    result.account_free_after = free
    return result
