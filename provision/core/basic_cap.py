"""The account's Basic-user cap (policy `basic_cap`, Zoom's 9,999): counted, never exceeded by a plan.

Zoom refuses a Basic user beyond the cap with 2033/3412, and a rerun meets the same refusal
(ZOOM_API.md §11). A plan therefore counts the Basic users it leaves at every step of the apply
order (a phase's additions counted before its removals, since a phase runs concurrently) and
fits into what is left:
- a license taken back that would make one Basic user too many unassigns instead (type 4, which
  keeps the account and sits outside the cap), said in the action's reason;
- a Basic account for someone waiting (create_waiting = "basic") that does not fit is not
  created: the person waits, with the reason;
- a reactivation that does not fit waits too (with the actions that would have followed it);
- a Zoom One license that would make one Basic user too many stays (Zoom refuses to switch it
  off, 2039, and has no unassigned type for it): the plan keeps its seat taken (core.diff).
Pure: works on the plan's actions and the observed users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provision.core.actions import SPECS, SetType
from provision.core.kinds import ActionKind
from provision.core.plan import ORDER, Action
from provision.core.state import BASIC_TYPE, UNASSIGNED_TYPE, ZoomUser

HOLDS_BASIC = ("active", "pending")  # deactivated users leave the cap, invitations count
TO_UNASSIGNED = SetType(UNASSIGNED_TYPE)


def basic_count(users: Iterable[ZoomUser]) -> int:
    """Basic users now (active and invited; type 4 and deactivated users are outside the cap)."""
    return sum(1 for u in users if u.type == BASIC_TYPE and u.status in HOLDS_BASIC)


def is_basic(state: Mapping[str, Any]) -> bool:
    return state.get("type") == BASIC_TYPE and state.get("status", "active") in HOLDS_BASIC


def cap_reason(cap: int) -> str:
    return f"Basic-user cap: the account's {cap:,} Basic users are all taken"


@dataclass
class Fitted:
    actions: list[Action]
    unassigned: list[Action] = field(default_factory=list)  # downgrades turned into unassign
    held: dict[str, str] = field(default_factory=dict)  # email -> reason: not created / reactivated
    # email -> reason: a Zoom One license Zoom refuses to take back past the cap (2039): it stays
    kept: dict[str, str] = field(default_factory=dict)
    dropped: list[Action] = field(default_factory=list)  # the actions left out for `held`
    basic_before: int = 0
    basic_after: int = 0
    basic_peak: int = 0


def fit_basic_cap(actions: list[Action], users: Mapping[str, ZoomUser], cap: int) -> Fitted:
    """The actions (in apply order) with what would pass the cap changed or held back."""
    running = basic_count(users.values())
    fitted = Fitted(actions=[], basic_before=running)
    # Each user's state as the actions so far leave it. States are never changed in place (a
    # change makes a new dict), so an action's own `before` serves as it is.
    state: dict[str, Mapping[str, Any]] = {}
    held: set[str] = set()
    by_kind: dict[ActionKind, list[Action]] = {}
    for action in actions:
        by_kind.setdefault(action.kind, []).append(action)
    peak = running
    kept = fitted.actions
    for kind in ORDER:
        phase = by_kind.get(kind)
        if not phase:
            continue
        change = SPECS[kind].after
        adds = removes = 0
        for action in phase:
            email = action.email
            if email in held:
                fitted.dropped.append(action)
                continue
            current = state.get(email)
            if current is None:
                current = action.before
            changes = change(action.payload, current)
            if not changes:  # adopt: nothing changes in Zoom
                state[email] = current
                kept.append(action)
                continue
            after = {**current, **changes}
            # Only the type and the status make a Basic user (is_basic).
            delta = (
                int(is_basic(after)) - int(is_basic(current))
                if "type" in changes or "status" in changes
                else 0
            )
            if delta > 0 and running + adds >= cap:
                if kind is ActionKind.UNLICENSE:
                    action = _unassign_instead(action, current, cap)
                    fitted.unassigned.append(action)
                    after = {**current, **SPECS[action.kind].after(action.payload, current)}
                    delta = 0
                else:
                    held.add(email)
                    reasons = fitted.kept if kind is ActionKind.ZOOM_ONE_OFF else fitted.held
                    reasons[email] = _held_reason(kind, cap)
                    fitted.dropped.append(action)
                    continue
            if delta > 0:
                adds += 1
            elif delta < 0:
                removes += 1
            state[email] = after
            kept.append(action)
        peak = max(peak, running + adds)
        running += adds - removes
    fitted.basic_after = running
    fitted.basic_peak = peak
    return fitted


def _unassign_instead(action: Action, before: Mapping[str, Any], cap: int) -> Action:
    after = SPECS[ActionKind.UNASSIGN].after(TO_UNASSIGNED, before)
    return Action.make(
        ActionKind.UNASSIGN,
        action.email,
        action.institution_code,
        f"{action.reason}; unassigned, not downgraded: {cap_reason(cap)}",
        action.zoom_id,
        TO_UNASSIGNED,
        action.before,
        {**action.before, **after},
        action.account,
    )


def _held_reason(kind: ActionKind, cap: int) -> str:
    if kind is ActionKind.ZOOM_ONE_OFF:
        # Zoom refuses to switch a Zoom One license off past the cap (2039): the user keeps it.
        return f"Zoom One license kept: {cap_reason(cap)} (Zoom refuses to take it back, 2039)"
    what = "no Zoom account yet" if kind is ActionKind.CREATE else "not reactivated yet"
    return (
        f'waiting: {cap_reason(cap)}; {what} (policy create_waiting = "unassigned" or '
        'revoke = "unassign" make room)'
    )
