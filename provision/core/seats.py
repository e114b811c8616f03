"""Who gets a seat: each school's quota first, then the account's seats (pure).

Inside a school, candidates are served in a deterministic order: people who cannot be moved
(protected, in their grace period, invited with a seat), then (with keep_holders) people who
already hold a seat (or held one we gave until someone took it back by hand in Zoom), then the
roster's own order: its priority column, else its rows' order, then role priority
(allocation = "priority": role priority first, then the roster's order). The email never decides
who goes first; it only keeps rows with no recorded order (imported before the order was kept)
in a stable order.

When the account cannot give every school with demand what its quota allows, the seats are
shared ("proportional", the default) in proportion to the schools' quotas by largest remainder,
every school with demand getting one seat first while seats last; or ("priority") by role
priority across the whole account. Nobody is dropped: whoever does not fit is returned as
waiting, with their place in their school's line and the rule that keeps them there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

UNORDERED = 1 << 30  # a row with no recorded priority or position comes after those with one
PROPORTIONAL, PRIORITY = "proportional", "priority"


class Candidate(NamedTuple):
    email: str
    institution_code: str
    rank: int  # role priority: lower is served first
    holds: bool = False  # holds a seat now
    fixed: bool = False  # holds a seat the plan must not take (protected, grace, pending invitation)
    kept: bool = False  # we licensed them and the license was taken by hand: still first in line
    priority: int = UNORDERED  # the roster's priority column (lower first)
    position: int = UNORDERED  # the row's place in the school's roster file


@dataclass(frozen=True)
class Shortage:
    """The quotas of the schools with demand add up to more than the seats the account can give."""

    schools: int  # schools with someone entitled to a seat
    demand: int  # people entitled to a seat at those schools
    quotas: int  # the seats their quotas allow (each quota capped by its school's demand)
    seats: int  # the seats that can go to them: held by them now plus the account's free ones
    allocation: str  # the policy's rule: "proportional" or "priority"

    @property
    def shortfall(self) -> int:
        return self.quotas - self.seats


@dataclass
class Allocation:
    granted: set[str] = field(default_factory=set)  # hold a seat after the plan (old and new)
    new: set[str] = field(default_factory=set)  # granted but not holding now: need a license
    displaced: set[str] = field(default_factory=set)  # hold now, lose the seat to the quota
    waiting: dict[str, str] = field(default_factory=dict)  # email -> reason (displaced included)
    places: dict[str, int] = field(default_factory=dict)  # email -> place in its school's line (1 first)
    school_used: dict[str, int] = field(default_factory=dict)  # seats held per school after
    shares: dict[str, int] = field(default_factory=dict)  # seats a school may hold when short
    shortage: Shortage | None = None
    account_free_after: int = 0


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def school_order(keep_holders: bool, allocation: str) -> Callable[[Candidate], tuple[object, ...]]:
    """The order of a school's line: fixed seats, then holders (keep_holders), then the roster's
    order and role (allocation "proportional") or role and the roster's order ("priority").

    One key function per allocation, built once: it runs for every candidate of the account.
    """
    if allocation == PRIORITY:
        if keep_holders:
            return lambda c: (not c.fixed, not (c.holds or c.kept), c.rank, c.priority, c.position, c.email)
        return lambda c: (not c.fixed, False, c.rank, c.priority, c.position, c.email)
    if keep_holders:
        return lambda c: (not c.fixed, not (c.holds or c.kept), c.priority, c.position, c.rank, c.email)
    return lambda c: (not c.fixed, False, c.priority, c.position, c.rank, c.email)


def _account_order(candidate: Candidate) -> tuple[object, ...]:
    # allocation = "priority": role priority across the account, then each roster's own order.
    return (
        candidate.rank,
        candidate.priority,
        candidate.position,
        candidate.institution_code,
        candidate.email,
    )


def apportion(
    total: int, weights: Mapping[str, int], lower: Mapping[str, int], upper: Mapping[str, int]
) -> dict[str, int]:
    """Split `total` seats in proportion to `weights` by largest remainder, within [lower, upper].

    Needs sum(lower) <= total. Schools whose proportional share falls below their lower bound
    are held at it and the rest is shared again among the others; then those above their upper
    bound likewise (their surplus goes back to the others). Ties of remainder go to the larger
    weight, then the smaller code: deterministic. Integer arithmetic throughout.
    """
    codes = sorted(weights)
    result: dict[str, int] = {}
    active = list(codes)
    while True:
        left = total - sum(result.values())
        weight = sum(weights[c] for c in active)
        if not active or weight <= 0:
            for code in active:
                result[code] = lower[code]
            active = []
            break
        below = [c for c in active if left * weights[c] < lower[c] * weight]
        if below:
            for code in below:
                result[code] = lower[code]
            active = [c for c in active if c not in result]
            continue
        above = [c for c in active if left * weights[c] > upper[c] * weight]
        if above:
            for code in above:
                result[code] = upper[code]
            active = [c for c in active if c not in result]
            continue
        break
    if not active:
        return result
    left = total - sum(result.values())
    weight = sum(weights[c] for c in active)
    remainders: list[tuple[int, int, str]] = []
    for code in active:
        share, remainder = divmod(left * weights[code], weight)
        result[code] = share
        remainders.append((-remainder, -weights[code], code))
    spare = left - sum(result[c] for c in active)
    for _remainder, _weight, code in sorted(remainders):
        if spare <= 0:
            break
        if result[code] < upper[code]:
            result[code] += 1
            spare -= 1
    return result


def allocate(
    candidates: Iterable[Candidate],
    quotas: Mapping[str, int],
    *,
    account_free: int,
    account_seats: int,
    keep_holders: bool = True,
    allocation: str = PROPORTIONAL,
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
    free = account_free
    held: dict[str, int] = {}  # seats each school keeps (holders within the quota)
    wants: dict[str, list[Candidate]] = {}  # within the quota, without a seat: in line for one
    over_quota: set[str] = set()
    room_of: dict[str, int] = {}
    in_line = school_order(keep_holders, allocation)
    for code, group in by_school.items():
        quota = max(quotas.get(code, 0), 0)
        group.sort(key=in_line)
        fixed = sum(1 for c in group if c.fixed)
        room = room_of[code] = max(quota, fixed)  # fixed seats are never taken back, even above the quota
        fits, over = group[:room], group[room:]
        held[code] = 0
        wants[code] = []
        for candidate in fits:
            if candidate.holds:
                result.granted.add(candidate.email)
                held[code] += 1
            else:
                wants[code].append(candidate)
        for candidate in over:
            over_quota.add(candidate.email)
            if candidate.holds:
                result.displaced.add(candidate.email)
                free += 1

    def grant(candidate: Candidate) -> None:
        result.granted.add(candidate.email)
        result.new.add(candidate.email)
        held[candidate.institution_code] += 1

    # A license taken by hand is given back before anyone else gets a free seat (keep_holders).
    if keep_holders:
        kept = sorted((c for group in wants.values() for c in group if c.kept), key=_account_order)
        for candidate in kept:
            if free <= 0:
                break
            free -= 1
            grant(candidate)
        for code in wants:
            wants[code] = [c for c in wants[code] if c.email not in result.granted]

    seats = free + sum(held.values())
    needed = sum(held[code] + len(wants[code]) for code in by_school)
    if needed <= seats:
        for group in wants.values():
            for candidate in group:
                grant(candidate)
        free -= sum(len(group) for group in wants.values())
    else:
        demand_schools = [code for code in by_school if held[code] or wants[code]]
        result.shortage = Shortage(
            schools=len(demand_schools),
            demand=sum(len(by_school[code]) for code in demand_schools),
            quotas=needed,
            seats=seats,
            allocation=allocation,
        )
        if allocation == PRIORITY:
            for candidate in sorted((c for g in wants.values() for c in g), key=_account_order):
                if free <= 0:
                    break
                free -= 1
                grant(candidate)
        else:
            result.shares = _shares(wants, held, room_of, quotas, free)
            for code, group in wants.items():
                for candidate in group[: result.shares[code] - held[code]]:
                    grant(candidate)
            free = seats - sum(held.values())

    in_use = account_seats - free
    seats_used = f"account seats {in_use:,} of {account_seats:,} in use"
    for code, group in by_school.items():
        quota = max(quotas.get(code, 0), 0)
        line = [c for c in group if c.email not in result.granted]
        # Why the people in this school's line wait, but for their place (the same for all).
        full = f"(quota {room_of[code]:,} of {quota:,} in use)"
        share = result.shares.get(code, held[code])
        if allocation == PRIORITY:
            short = f"({seats_used}, served by role priority)"
        elif share:
            short = f"({seats_used}, {code} has its proportional share of {share:,})"
        else:  # fewer seats than schools in line: the larger quotas got their first seat
            short = f"({seats_used}, none left for a first seat at {code})"
        for place, candidate in enumerate(line, start=1):
            result.places[candidate.email] = place
            why = full if candidate.email in over_quota else short
            result.waiting[candidate.email] = f"waiting: {ordinal(place)} in line at {code} {why}"
        result.school_used[code] = held[code]
    result.account_free_after = free
    return result


def _shares(
    wants: Mapping[str, list[Candidate]],
    held: Mapping[str, int],
    room: Mapping[str, int],
    quotas: Mapping[str, int],
    free: int,
) -> dict[str, int]:
    """Seats each school may hold: its holders, one for every school in line while seats last,
    then the rest in proportion to the quotas (capped at what each school's line can use)."""
    lower = dict(held)
    firsts = sorted((c for c in wants if wants[c] and not held[c]), key=lambda c: (-quotas.get(c, 0), c))
    for code in firsts[: max(free, 0)]:  # free < 0: the account is over its seats, nobody new gets in
        lower[code] = 1
    if len(firsts) >= free:
        return lower  # the seats ran out on the first seat of each school
    upper = {code: held[code] + len(wants[code]) for code in wants}
    weights = {code: room[code] for code in wants}  # the quota (or the seats fixed above it)
    return apportion(free + sum(held.values()), weights, lower, upper)
