"""Desired (rosters + policy) against observed (the Zoom snapshot) -> Plan. Pure: no I/O.

Everything is keyed by email in dicts, so a plan for 100,000 people is a few linear passes.
Only managed users (created or adopted by the tool) and people on a roster are ever acted upon;
anyone else on the account is listed as unmanaged. Protected users are listed and never touched.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from provision.core.actions import (
    NO_PAYLOAD,
    SPECS,
    Addon,
    Group,
    NewUser,
    Payload,
    licensing,
)
from provision.core.basic_cap import fit_basic_cap
from provision.core.contested import REPORT, Contest
from provision.core.plan import Action, ActionKind, Grace, Plan, Waiting, action_keys, sort_actions
from provision.core.policy import Policy
from provision.core.readings import SeatCount
from provision.core.seats import UNORDERED, Allocation, Candidate, allocate
from provision.core.state import (
    BASIC_TYPE,
    LICENSED_TYPE,
    UNASSIGNED_TYPE,
    Desired,
    DesiredPerson,
    Member,
    Observed,
    ZoomUser,
    unknown_school,
)
from provision.core.summary import PlanSummary, SchoolFigures, ShortageFigures, Totals, by_region
from provision.errors import InputError, SeatLimitError

ENTITLED = "entitled"
LEFT = "left"
NOT_LICENSED_ROLE = "not_licensed_role"

# Enum members bound once: attribute access on an Enum class is slow in a 100,000-person loop.
_REMOVE_ADDON, _REACTIVATE = (
    ActionKind.REMOVE_ADDON,
    ActionKind.REACTIVATE,
)
_CREATE, _ADD_ADDON, _ADD_TO_GROUP, _ADOPT = (
    ActionKind.CREATE,
    ActionKind.ADD_ADDON,
    ActionKind.ADD_TO_GROUP,
    ActionKind.ADOPT,
)

# policy create_waiting -> the type someone waiting for a seat is created with ("none": not created)
WAITING_TYPES = {"basic": BASIC_TYPE, "unassigned": UNASSIGNED_TYPE}

# tuple.__new__(NamedTupleClass, values) builds the NamedTuple in C, skipping its Python-level
# __new__ (as provision.store.loaders does): the passes below make one per person. Every field given.
new = tuple.__new__

OWNER_ROLE_ID = "0"
ADMIN_ROLE_ID = "1"
MEMBER_ROLE_ID = "2"  # the only role that is not an administrator of some kind


class Standing(NamedTuple):
    """Where a person stands by the rosters: their counting membership and what it means."""

    kind: str  # ENTITLED | LEFT | NOT_LICENSED_ROLE
    member: Member


def standing(person: DesiredPerson, policy: Policy) -> Standing | None:
    """A person counts once: at their primary institution, with their best licensed role."""
    memberships = person.memberships
    licensed_roles = policy.licensed_roles
    if len(memberships) == 1:  # nearly everyone: skip the general case
        only = memberships[0]
        if not only.active:
            return Standing(LEFT, only)
        return Standing(ENTITLED if only.role in licensed_roles else NOT_LICENSED_ROLE, only)
    if not memberships:
        return None
    active = [m for m in memberships if m.active]
    if active:
        licensed = [m for m in active if m.role in licensed_roles]
        pool = licensed or active
        best = min(pool, key=lambda m: (not m.is_primary, policy.role_rank(m.role), m.institution_code))
        return Standing(ENTITLED if licensed else NOT_LICENSED_ROLE, best)
    never = datetime.min.replace(tzinfo=UTC)
    last = max(memberships, key=lambda m: (m.left_at or never, m.is_primary, m.institution_code))
    return Standing(LEFT, last)


def protected_emails(observed: Observed, policy: Policy) -> set[str]:
    """The policy's emails, the owner (role "0") and every administrator: admin "1" and any custom
    role, i.e. every role but member "2" (ZOOM_API.md §11). An unknown role (None) is a member's."""
    protected = set(policy.protected_emails)
    for user in observed.users.values():
        if role_protection(user.role_id, policy) is not None:
            protected.add(user.email)
    return protected


def role_protection(role: str | None, policy: Policy) -> str | None:
    """ "owner" or "admin" when the user's Zoom role keeps them out of the tool's hands, else None."""
    if role is None or role == MEMBER_ROLE_ID:
        return None
    if role == OWNER_ROLE_ID:
        return "owner" if policy.protect_owner else None
    return "admin" if policy.protect_admins else None


def check_seat_answer(observed: Observed, holding: set[str] | None = None) -> None:
    """Refuse to plan from a plan-usage answer that makes no sense (it would drive revocations)."""
    if observed.account is None:
        raise InputError("no Zoom snapshot: run `provision sync` first")
    licensed = (
        len(holding) if holding is not None else sum(1 for u in observed.users.values() if u.holds_seat)
    )
    purchased = observed.account.purchased
    if purchased < 0 or (purchased < licensed):
        raise SeatLimitError(
            f"Zoom reports {purchased} seats purchased while {licensed} users hold a license: "
            "refusing to plan from this plan usage; check the account's plan and run `provision sync` again"
        )


def _within_grace(member: Member, now: datetime, grace: timedelta) -> bool:
    return member.left_at is not None and now < member.left_at + grace


def _left_reason(member: Member) -> str:
    if member.left_at is None:
        return f"left the roster of {member.institution_code}"
    return f"left the roster of {member.institution_code} on {member.left_at.date().isoformat()}"


def _canonical_dt(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def fingerprint(
    desired: Desired, observed: Observed, policy: Policy, actions: Iterable[Action], *, school: str | None
) -> str:
    """sha256 over the canonical JSON of the inputs and the actions they produce.

    The actions are part of it because the plan also depends on the time (grace periods): the
    same inputs a day later may mean different actions, and apply's journal is keyed by this.
    """
    # One orjson.dumps per table (canonical: sorted keys, compact UTF-8), not one per row.
    digest = hashlib.sha256()

    def feed(obj: Any) -> None:
        digest.update(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))
        digest.update(b"\n")

    feed({"policy": policy.to_data(), "school": school})
    feed([[s.code, s.seats, s.zoom_group_id] for s in sorted(desired.schools.values(), key=lambda s: s.code)])
    people = desired.people
    feed(
        [
            # The roster's order too: it decides who waits, even when no action changes.
            (
                email,
                m.institution_code,
                m.role,
                m.is_primary,
                m.active,
                m.left_at and m.left_at.isoformat(),
                m.priority,
                m.position,
            )
            for email in sorted(people)
            for m in people[email].memberships
        ]
    )
    account = observed.account
    feed(
        None
        if account is None
        else [
            account.purchased,
            account.used,
            account.pending,
            _canonical_dt(account.observed_at),
            account.addons,
        ]
    )
    users = observed.users
    # A ZoomUser is a tuple: email, zoom_id, type, status, group_ids, large meeting, role_id.
    feed([users[email][:8] for email in sorted(users)])
    feed(sorted(observed.managed))
    if observed.contested:  # fed only when some: plans without any keep their fingerprints
        feed(sorted(contest.key() for contest in observed.contested.values()))
    feed(action_keys(actions))
    return digest.hexdigest()


class _Builder:
    """Accumulates actions and per-school figures while walking the people once."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.schools: dict[str, Counter[str]] = {}
        self._last: tuple[ZoomUser | None, dict[str, Any]] = (None, {})
        self._after = {kind: spec.after for kind, spec in SPECS.items()}
        self._addons: dict[int | None, Addon] = {}
        self._groups: dict[str, Group] = {}

    def addon(self, capacity: int | None) -> Addon:
        """One shared payload per capacity (payloads are frozen): 100,000 actions share a few."""
        found = self._addons.get(capacity)
        if found is None:
            found = self._addons[capacity] = Addon(capacity)
        return found

    def group(self, group_id: str) -> Group:
        found = self._groups.get(group_id)
        if found is None:
            found = self._groups[group_id] = Group(group_id)
        return found

    def school(self, code: str | None) -> Counter[str]:
        counter = self.schools.get(code or "")
        if counter is None:
            counter = self.schools[code or ""] = Counter()
        return counter

    def add(
        self,
        kind: ActionKind,
        email: str,
        code: str | None,
        reason: str,
        user: ZoomUser | None,
        payload: Payload = NO_PAYLOAD,
    ) -> None:
        if user is None:
            before: dict[str, Any] = {}
        elif self._last[0] is user:  # a person's actions come one after another: one state dict
            before = self._last[1]
        else:
            before = user.state()
            self._last = (user, before)
        after = self._after[kind](payload, before)
        self.actions.append(
            Action.make(
                kind,
                email,
                code,
                reason,
                user.zoom_id if user is not None else None,
                payload,
                before,
                {**before, **after} if after else dict(before),
            )
        )
        counter = self.schools.get(code or "")
        if counter is None:
            counter = self.schools[code or ""] = Counter()
        counter[kind] += 1  # a StrEnum member counts under its value

    def remove_addon(self, email: str, code: str | None, reason: str, user: ZoomUser) -> None:
        self.add(
            _REMOVE_ADDON,
            email,
            code,
            reason,
            user,
            self.addon(user.large_meeting_capacity),
        )


def _addon_pools(observed: Observed) -> dict[int, int]:
    """Free Large Meetings add-ons per capacity, where the plan usage told us (else unlimited)."""
    pools: dict[int, int] = {}
    if observed.account is None:
        return pools
    for capacity in (500, 1000):
        pool = observed.account.addons.get(f"large_meeting_{capacity}")
        if isinstance(pool, dict) and "hosts" in pool:
            pools[capacity] = int(pool.get("hosts") or 0) - int(pool.get("usage") or 0)
    return pools


def compute_plan(
    desired: Desired,
    observed: Observed,
    policy: Policy,
    *,
    now: datetime | None = None,
    school: str | None = None,
    kept_licenses: Mapping[str, str] | None = None,
) -> Plan:
    """The actions that bring Zoom to the desired state, in apply order, with the waiting list.

    `school` restricts the returned actions and waiting list to one school; seats are still
    allocated over the whole account so the school gets exactly what a full plan would give it.
    `kept_licenses` (email -> reason): licenses Zoom would refuse to take back (core.basic_cap); a plan
    that meets such a refusal is made again with them holding their seats (see the end).
    """
    now = now or datetime.now(UTC)
    if school is not None and school not in desired.schools:
        raise unknown_school(school, sorted(desired.schools))
    users = observed.users
    # Who holds a seat now (active and Licensed), computed once for everything below.
    holding = {email for email, u in users.items() if u.type == LICENSED_TYPE and u.status == "active"}
    check_seat_answer(observed, holding)
    assert observed.account is not None
    account = observed.account
    protected = protected_emails(observed, policy)
    grace = timedelta(days=policy.grace_days)
    managed = observed.managed
    build = _Builder()
    # The product handed out (policy license): which kinds give and take it, and a leaver's revoke.
    lic = licensing(policy.zoom_one_type)
    revokes = [SPECS[kind] for kind in lic.revoke(policy.revoke)]
    revoke = revokes[0]
    ranks = {role: rank for rank, role in enumerate(policy.role_priority)}
    last_rank = len(ranks)

    standings: dict[str, Standing] = {}
    candidates: list[Candidate] = []
    # Zoom refused these for good lately: sending the same request again would only be refused
    # again, so they wait with that reason instead of taking a seat (provision.core.blocked).
    retry_after = timedelta(days=policy.retry_blocked_days)
    held_back = {
        email: block.reason()
        for email, block in observed.blocked.items()
        if now - block.at < retry_after and email not in holding
    }
    freed = 0  # seats this plan takes back outside the allocation (leavers, unlicensed roles)
    in_grace: list[Grace] = []
    licensed_before: Counter[str] = Counter()
    # Users another writer keeps setting back (core.contested), while the rosters still want what
    # we set; under policy contested = "report" the plan leaves them alone.
    contests: dict[str, Contest] = {}
    left_alone: set[str] = set()

    # Pass 1: where everyone stands, and who competes for seats.
    licensed_roles = set(policy.licensed_roles)
    people_active = 0
    for email, person in desired.people.items():
        memberships = person.memberships
        if len(memberships) == 1:  # nearly everyone: `standing` without the general case
            only = memberships[0]
            if only.active:
                st = new(Standing, (ENTITLED if only.role in licensed_roles else NOT_LICENSED_ROLE, only))
            else:
                st = new(Standing, (LEFT, only))
        else:
            found = standing(person, policy)
            if found is None:
                continue
            st = found
        standings[email] = st
        if st.kind != LEFT:
            people_active += 1
        code = st.member.institution_code
        user = users.get(email)
        if email in holding:
            licensed_before[code] += 1
        is_protected = email in protected
        if kept_licenses and email in kept_licenses and email in holding:
            # Zoom will not take it back: the seat stays taken, at the school where it counted.
            candidates.append(
                Candidate(email, code, ranks.get(st.member.role, last_rank), holds=True, fixed=True)
            )
            left_alone.add(email)
            continue
        if observed.contested and _contested(observed.contested.get(email), st, is_protected):
            contests[email] = observed.contested[email]
            if policy.contested == REPORT:
                left_alone.add(email)
                if email in holding:  # keeps the seat the other writer gave: it counts as used
                    candidates.append(
                        Candidate(email, code, ranks.get(st.member.role, last_rank), holds=True, fixed=True)
                    )
                continue
        if st.kind == ENTITLED:
            invited = observed.invitations.get(email) if user is None else None
            if invited is not None and email not in held_back:
                # An invitation that expired unanswered: sent once more when its time comes.
                why = invited.hold(days=policy.reinvite_after_days, now=now)
                if why is not None:
                    held_back[email] = why
            if email in held_back:
                continue
            member = st.member
            rank = ranks.get(member.role, last_rank)
            priority = UNORDERED if member.priority is None else member.priority
            position = UNORDERED if member.position is None else member.position
            if user is not None and user.status == "pending":
                # An invitation holds its seat (type 2) or its place in line (Basic) like an
                # accepted account would: the reason must not change when it is accepted.
                licensed = user.type == LICENSED_TYPE
                candidates.append(
                    new(Candidate, (email, code, rank, licensed, licensed, False, priority, position))
                )
                continue
            holds = user is not None and (email in holding)
            if is_protected and not holds:
                continue  # never touched, so never given a seat either
            kept = (
                not holds
                and user is not None
                and user.status == "active"
                and email in managed
                and email in observed.licensed_by_us
            )
            candidates.append(
                new(Candidate, (email, code, rank, holds, holds and is_protected, kept, priority, position))
            )
        elif user is not None and (email in holding):
            keeps = is_protected or (email not in managed and st.kind == LEFT)
            if st.kind == LEFT and not keeps and _within_grace(st.member, now, grace):
                keeps = True
            if keeps:
                # Still holds the seat (grace, protected, not ours): it counts against the quota.
                candidates.append(
                    Candidate(email, code, ranks.get(st.member.role, last_rank), holds=True, fixed=True)
                )
            else:
                freed += 1

    # Seats in use are counted from the users listed (licensed active + licensed pending), never
    # usage + pending: under one reading of plan usage that counts every invitation twice.
    seats = observed.seat_count()
    account_free = account.purchased - seats.in_use + freed
    allocation = allocate(
        candidates,
        {code: s.seats for code, s in desired.schools.items()},
        account_free=account_free,
        account_seats=account.purchased,
        keep_holders=policy.keep_holders,
        allocation=policy.allocation,
    )

    pools = _addon_pools(observed)
    addon_short: Counter[int] = Counter()
    want_addon: list[tuple[int, str, int, ZoomUser, str]] = []  # (rank, email, capacity, user, code)
    protected_seen: set[str] = set()

    # Pass 2: the actions per person.
    for email, st in standings.items():
        member = st.member
        code = member.institution_code
        user = users.get(email)
        counter = build.school(code)
        if email in protected:
            if user is not None:
                protected_seen.add(email)
            continue
        if email in left_alone:
            continue
        if st.kind == ENTITLED:
            institution = desired.schools.get(code)
            gets = email in allocation.granted
            role_reason = f"on the roster of {code} as {member.role}"
            if email in allocation.waiting or email in held_back:
                counter["waiting"] += 1
            if email in held_back:
                continue
            if user is None:
                if not gets and policy.create_waiting == "none":
                    continue  # no Zoom account until a seat is theirs (and none in the Basic cap)
                invited = observed.invitations.get(email)
                if invited is not None:
                    role_reason = f"{role_reason}; {invited.resend_reason()}"
                build.add(
                    _CREATE,
                    email,
                    code,
                    role_reason if gets else allocation.waiting.get(email, role_reason),
                    None,
                    NewUser(
                        policy.create_action,
                        LICENSED_TYPE if gets else WAITING_TYPES[policy.create_waiting],
                        email,
                        desired.people[email].given_name,
                        desired.people[email].family_name,
                        lic.zoom_one_type if gets else None,
                    ),
                )
                continue
            if user.status == "pending":
                continue  # no id yet: nothing Zoom can do until the invitation is accepted
            if email not in managed:
                build.add(_ADOPT, email, code, f"{role_reason}, already on Zoom", user)
            if user.status != "active":
                build.add(
                    _REACTIVATE,
                    email,
                    code,
                    f"{role_reason} again",
                    user,
                )
            if gets and email not in holding:
                build.add(lic.give, email, code, role_reason, user, lic.give_payload)
            elif not gets and (email in holding):
                # Only when the quota shrank (or strict priority): they stay on the waiting list.
                if user.large_meeting:
                    build.remove_addon(email, code, allocation.waiting[email], user)
                build.add(lic.take, email, code, allocation.waiting[email], user, lic.take_payload)
            capacity = policy.addons.get(member.role) if gets else None
            if user.large_meeting and capacity is None and (email in holding) and gets:
                build.remove_addon(email, code, f"role {member.role} gets no add-on by the policy", user)
                if user.large_meeting_capacity in pools:
                    pools[user.large_meeting_capacity] += 1
            elif capacity is not None and not (
                user.large_meeting and user.large_meeting_capacity == capacity
            ):
                want_addon.append((ranks.get(member.role, last_rank), email, capacity, user, code))
            if (
                policy.use_groups
                and institution is not None
                and institution.zoom_group_id
                and institution.zoom_group_id not in user.group_ids
            ):
                build.add(
                    _ADD_TO_GROUP,
                    email,
                    code,
                    f"member of {code}",
                    user,
                    build.group(institution.zoom_group_id),
                )
            continue

        # Not entitled: left the rosters, or on them in a role the policy does not license.
        if user is None or user.status == "pending":
            continue
        if st.kind == LEFT:
            if email not in managed:
                continue  # never ours: listed as unmanaged below, not changed
            if _within_grace(member, now, grace):
                assert member.left_at is not None
                in_grace.append(Grace(email, code, member.left_at + grace))
                counter["grace"] += 1
                continue
            # The policy's revoke (downgrade, deactivate, ...): its entry says whom it concerns.
            if (user.status == "active") if revoke.revokes_active else (email in holding):
                if user.large_meeting:
                    build.remove_addon(email, code, _left_reason(member), user)
                for spec in revokes:
                    build.add(spec.kind, email, code, _left_reason(member), user, spec.default)
            continue
        if not ((email in holding) or user.large_meeting):
            continue
        reason = f"role {member.role} at {code} is not licensed by the policy"
        if email not in managed:
            build.add(
                _ADOPT,
                email,
                code,
                f"on the roster of {code} as {member.role}, already on Zoom",
                user,
            )
        if user.large_meeting:
            build.remove_addon(email, code, reason, user)
        if email in holding:
            build.add(lic.take, email, code, reason, user, lic.take_payload)

    # Add-ons last, by priority, while each pool lasts (pools the usage did not report: no limit).
    want_addon.sort(key=lambda item: (item[0], item[1]))
    for _rank, email, capacity, user, code in want_addon:
        if capacity in pools:
            if pools[capacity] <= 0:
                addon_short[capacity] += 1
                continue
            pools[capacity] -= 1
        build.add(
            _ADD_ADDON,
            email,
            code,
            f"{standings[email].member.role} at {code}: Large Meetings {capacity}",
            user,
            build.addon(capacity),
        )

    unmanaged: list[str] = []
    orphans: list[str] = []
    for email in users:
        if email in protected:
            protected_seen.add(email)
            continue
        listed = standings.get(email)
        if email in managed:
            if listed is None:
                orphans.append(email)  # managed but on no roster at all: reported, not revoked
            continue
        if listed is None or listed.kind == LEFT:
            unmanaged.append(email)

    # The Basic-user cap: what would pass it is unassigned instead or waits (core.basic_cap).
    fitted = fit_basic_cap(sort_actions(build.actions), users, policy.basic_cap)
    if fitted.kept:
        # A license Zoom refuses to take back keeps its seat: the seats, the lines and the
        # figures are those of a plan where it stays, so nobody is promised that seat.
        return compute_plan(
            desired,
            observed,
            policy,
            now=now,
            school=school,
            kept_licenses={**(kept_licenses or {}), **fitted.kept},
        )
    actions = fitted.actions
    held_back = dict(held_back)
    for action in fitted.dropped:
        build.school(action.institution_code)[action.kind] -= 1
    for action in fitted.unassigned:
        build.school(action.institution_code)[ActionKind.UNLICENSE] -= 1
        build.school(action.institution_code)[ActionKind.UNASSIGN] += 1
    for email, reason in fitted.held.items():
        if email in allocation.waiting:
            allocation.waiting[email] = reason
        else:
            held_back[email] = reason
            build.school(standings[email].member.institution_code)["waiting"] += 1

    waiting = _waiting_list(desired, standings, allocation, protected, held_back)
    summary = _summary(
        desired, observed, seats, holding, allocation.school_used, licensed_before, build, actions
    )
    summary.totals.pending_reading = seats.reading.reading
    summary.totals.basic_before = fitted.basic_before
    summary.totals.basic_after = fitted.basic_after
    summary.totals.basic_cap = policy.basic_cap
    summary.totals.seats_usage_reported = account.used
    summary.totals.people_active = people_active
    summary.totals.seats_free_after = allocation.account_free_after
    summary.totals.addons_short = dict(sorted(addon_short.items()))
    summary.totals.in_grace = len(in_grace)
    summary.managed_without_roster = sorted(orphans)
    summary.scope = school
    summary.shortage = _shortage(allocation)
    summary.regions = by_region(summary.schools)
    in_grace.sort(key=lambda g: (g.until, g.institution_code or "", g.email))

    contested = [contests[email].to_data(left_alone=email in left_alone) for email in sorted(contests)]
    kept_lines = [
        Waiting(email, standings[email].member.institution_code, standings[email].member.role, reason)
        for email, reason in sorted((kept_licenses or {}).items())
        if email in left_alone
    ]
    if school is not None:
        kept_lines = [k for k in kept_lines if k.institution_code == school]
        actions = [a for a in actions if a.institution_code == school]
        waiting = [w for w in waiting if w.institution_code == school]
        in_grace = [g for g in in_grace if g.institution_code == school]
        contested = [c for c in contested if c["institution_code"] == school]
        summary.schools = {school: summary.schools.get(school, SchoolFigures())}
    return Plan(
        actions=actions,
        waiting=waiting,
        unmanaged=sorted(unmanaged),
        protected=sorted(protected_seen),
        summary=summary,
        fingerprint=fingerprint(desired, observed, policy, actions, school=school),
        grace=in_grace,
        contested=contested,
        snapshot_at=observed.snapshot_at,
        created_at=now,
        kept=kept_lines,
    )


def _contested(contest: Contest | None, st: Standing, is_protected: bool) -> bool:
    """The contest still stands for the plan: the rosters want what we set (a license for someone
    entitled, none for anyone else) at the school we set it for. A roster change ends it."""
    if contest is None or is_protected:
        return False
    wants_license = st.kind == ENTITLED
    return (contest.ours == LICENSED_TYPE) == wants_license and contest.institution_code in (
        None,
        st.member.institution_code,
    )


def _waiting_list(
    desired: Desired,
    standings: dict[str, Standing],
    allocation: Allocation,
    protected: set[str],
    held_back: Mapping[str, str],
) -> list[Waiting]:
    """The waiting lines school by school, in order; a person on two rosters also has an entry at
    the other school, naming the school where they count. People held back by a refusal Zoom
    would repeat wait outside the line (no place), with that refusal as their reason."""
    waiting: list[Waiting] = []
    for email, reason in (*allocation.waiting.items(), *held_back.items()):
        if email in protected:
            continue
        member = standings[email].member
        code = member.institution_code
        waiting.append(Waiting(email, code, member.role, reason, allocation.places.get(email)))
        memberships = desired.people[email].memberships
        if len(memberships) > 1:
            there = reason.removeprefix("waiting: ")
            waiting.extend(
                Waiting(email, m.institution_code, m.role, f"waiting: counted at {code}, {there}", None, code)
                for m in memberships
                if m.active and m.institution_code != code
            )
    waiting.sort(key=lambda w: (w.institution_code or "", w.counted_at is not None, w.place or 0, w.email))
    return waiting


def _shortage(allocation: Allocation) -> ShortageFigures | None:
    short = allocation.shortage
    if short is None:
        return None
    served = sum(1 for used in allocation.school_used.values() if used > 0)
    return ShortageFigures(short.schools, short.demand, short.quotas, short.seats, short.allocation, served)


def _summary(
    desired: Desired,
    observed: Observed,
    seats: SeatCount,
    holding: set[str],
    school_used: dict[str, int],
    licensed_before: Counter[str],
    build: _Builder,
    actions: list[Action],
) -> PlanSummary:
    assert observed.account is not None
    account = observed.account
    kinds = tuple(ActionKind)
    schools: dict[str, SchoolFigures] = {}
    for code in sorted(set(desired.schools) | {c for c in build.schools if c}):
        info = desired.schools.get(code)
        counter = build.schools.get(code, Counter())
        if not counter and not licensed_before.get(code) and not school_used.get(code):
            continue  # a school with nobody on its roster and nothing to do
        schools[code] = SchoolFigures(
            name=info.name if info else "",
            region=info.region if info else "",
            quota=info.seats if info else 0,
            licensed_before=licensed_before.get(code, 0),
            licensed_after=school_used.get(code, 0),
            waiting=counter.get("waiting", 0),
            grace=counter.get("grace", 0),
            actions={kind: counter[kind] for kind in kinds if counter.get(kind)},
        )
    totals_counter = Counter(action.kind for action in actions)
    managed_licensed = sum(1 for email in observed.managed if email in holding)
    return PlanSummary(
        schools=schools,
        totals=Totals(
            seats_purchased=account.purchased,
            seats_used=seats.licensed_active,
            seats_pending=seats.licensed_pending,
            seats_free_before=seats.free,
            licensed_before=len(holding),
            managed_licensed_before=managed_licensed,
            actions=dict(totals_counter),
        ),
    )
