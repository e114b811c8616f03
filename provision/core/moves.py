"""A person whose school is in one Zoom account while Zoom holds their user in another (issue 17, ask 3).

What Zoom documents (the 2021 unified spec, ../shared/zoom-spec, operation `switchUserAccount`):
`PUT /accounts/{accountId}/users/{userId}/account` with `{"account_id": TARGET}` (Light, scope
`user:master`) "disassociates a user from one account and moves the user to another account
under the same master account": from the master (`accountId` = `me`) to a sub-account, or from
one sub-account to another. Prerequisites: the master-account option; the user is neither an
admin nor the owner (400/1117); the user is not of the owner's managed domain. Moving a user
*into* the master account, or between accounts that are not under one master, is not documented.
Nor is what happens to the user's license: so the license is taken back in the account it was
bought in before the move, and the target account licenses the person after the move against
its own seats (the next plan, after a sync sees them there).

So a move is planned as explicit actions in the source account (add-on off, license back, then
`move`), where Zoom documents it; otherwise the person waits with the reason, naming both
accounts and what the operator must do. Never created twice, never revoked for it. Pure.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from provision.core.accounts import MAIN, describe
from provision.core.actions import Addon, MoveTo, licensing
from provision.core.diff import Standing, protected_emails
from provision.core.kinds import ActionKind
from provision.core.plan import Action, Plan, Waiting
from provision.core.policy import Policy
from provision.core.state import LICENSED_TYPE, Observed, ZoomUser

SWITCH = "PUT /accounts/{accountId}/users/{userId}/account"
# How the waiting lines of refused or waiting moves begin (drift reports them as WRONG_ACCOUNT).
MOVE_REASONS = ("account move refused", "account move waits")


class Move(NamedTuple):
    """Someone counted at a school of account `home` whose Zoom user is in `user.account`."""

    email: str
    standing: Standing
    user: ZoomUser
    home: str


def refusal(move: Move, aliases: frozenset[str], protected: set[str]) -> str | None:
    """Why Zoom cannot move this user (a sentence for the waiting list), or None when it can."""
    source, target = move.user.account, move.home
    where = f"Zoom holds this user in {describe(source)}, their school is in {describe(target)}"
    if source in aliases or target in aliases:
        return (
            f"account move refused: {where}; Zoom moves users only between a master account and "
            f"its sub-accounts ({SWITCH}), and an account with credentials of its own is not one of "
            f"them: remove the user from {describe(source)} in Zoom (they keep a free account) so "
            f"the next plan creates them in {describe(target)}, or put the school back in "
            f"{describe(source)}"
        )
    if target == MAIN:
        return (
            f"account move refused: {where}; Zoom documents moving a user from the master account "
            f"to a sub-account or between sub-accounts ({SWITCH}), not into the master account: "
            f"move the user in Zoom's admin portal (Sub Account Management), then run `provision "
            f"sync`, or put the school back in {describe(source)}"
        )
    if move.user.zoom_id is None or move.user.status == "pending":
        return (
            f"account move waits: {where}; the user's invitation in {describe(source)} is not "
            f"accepted yet and Zoom moves users, not invitations: it moves once they accept"
        )
    if move.email in protected:
        return (
            f"account move refused: {where}; Zoom does not move an account's owner or admins "
            f"(400/1117): make them a member of {describe(source)} first, or move them by hand"
        )
    return None


def plan_moves(
    plan: Plan, moves: list[Move], observed: Observed, policy: Policy, source: str
) -> tuple[list[Action], list[Waiting]]:
    """Add the moves out of account `source` to its plan: actions where Zoom documents the move,
    a waiting line with the reason where it does not (see the module docstring). Returns what it
    added, for the figures of the schools (which live in the target account's summary)."""
    added: list[Action] = []
    refused: list[Waiting] = []
    if not moves:
        return added, refused
    protected = protected_emails(observed, policy)
    # On a roster still: they count among the active people (an empty roster is never a move).
    plan.summary.totals.people_active += sum(1 for m in moves if m.standing.member.active)
    for move in moves:
        member = move.standing.member
        code = member.institution_code
        why = refusal(move, policy.aliases, protected)
        if why is not None:
            refused.append(Waiting(move.email, code, member.role, why))
            continue
        user = move.user
        before: dict[str, Any] = {**user.state(), "account": source}
        reason = f"{code} is in {describe(move.home)}: moved there from {describe(source)}"
        if user.large_meeting:
            added.append(
                _action(ActionKind.REMOVE_ADDON, move, reason, Addon(user.large_meeting_capacity), before)
            )
        if user.type == LICENSED_TYPE and user.status == "active":
            # The license belongs to the source account's plan: given back there before the move.
            # The product the policy hands out (Zoom Meetings or a Zoom One product) comes back.
            lic = licensing(policy.zoom_one_type)
            added.append(_action(lic.take, move, f"{reason}; its license stays", lic.take_payload, before))
        added.append(_action(ActionKind.MOVE, move, reason, MoveTo(move.home), before))
    plan.actions.extend(added)
    plan.waiting.extend(refused)
    counts = plan.summary.totals.actions  # the source account's figures: its calls
    for action in added:
        counts[action.kind] = counts.get(action.kind, 0) + 1
    return added, refused


def _action(kind: ActionKind, move: Move, reason: str, payload: Any, before: dict[str, Any]) -> Action:
    from provision.core.actions import SPECS

    after = SPECS[kind].after(payload, before)
    return Action.make(
        kind,
        move.email,
        move.standing.member.institution_code,
        reason,
        move.user.zoom_id,
        payload,
        before,
        {**before, **after},
        move.user.account,
    )
