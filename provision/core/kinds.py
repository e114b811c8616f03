"""The core's vocabularies as StrEnums: the kinds of action and the kinds of drift.

They sit apart from what uses them so that the action registry (actions.py), the plan (plan.py)
and drift (drift.py) can all name them without importing one another. Being StrEnums, they
compare equal to the strings stored in plan files, the journal, the audit log and drift reports.
"""

from __future__ import annotations

from enum import StrEnum


class ActionKind(StrEnum):
    """What one action does. The declaration order is the apply order (`plan.ORDER`).

    What each kind means (its payload, seat, Zoom call, snapshot change, wording) is its entry in
    `provision.core.actions.SPECS` and, for the Zoom side, `provision.run.executors`.
    """

    # Add-ons come off first: it frees the add-on pool and Zoom may refuse to downgrade a host
    # that still holds one.
    REMOVE_ADDON = "remove_addon"
    UNLICENSE = "unlicense"  # type -> 1 Basic: the default revoke
    # zoom_one_type -> 0: a Zoom One / Workplace license back (the user is Basic); policy license
    # names a Zoom One product. Before unassign: under revoke = "unassign" the license goes first.
    ZOOM_ONE_OFF = "zoom_one_off"
    UNASSIGN = "unassign"  # type -> 4 Unassigned: only with policy revoke = "unassign"
    DEACTIVATE = "deactivate"  # only with policy revoke = "deactivate"; never delete
    # To the account of the person's school, after the license went back in the account it was
    # bought in (provision.core.moves); sent by the account the user is in.
    MOVE = "move"
    REACTIVATE = "reactivate"  # status -> active; Zoom does not restore the type, LICENSE follows
    CREATE = "create"  # POST /users
    LICENSE = "license"  # type -> 2 Licensed (bulk POST /users/features)
    ZOOM_ONE_ON = "zoom_one_on"  # zoom_one_type -> the policy's product (bulk POST /users/features)
    ADD_ADDON = "add_addon"  # large meeting on
    ADD_TO_GROUP = "add_to_group"
    ADOPT = "adopt"  # no Zoom call: a roster person already on Zoom becomes managed


class DriftKind(StrEnum):
    """How Zoom differs from what it should be. The declaration order is the order shown."""

    LICENSED_NOT_ENTITLED = "licensed_not_entitled"  # a wasted seat: managed, licensed, no right to it
    ENTITLED_NOT_LICENSED = "entitled_not_licensed"  # the plan would license or create them
    CHANGED_BY_HAND = "changed_by_hand"  # Zoom differs from what our last apply set
    CONTESTED = "contested"  # another writer set our last changes back, twice in a row (core.contested)
    INACTIVE = "inactive"  # licensed, no login for policy.inactive_days: reclaim candidates
    PENDING_STALE = "pending_stale"  # invitation not accepted for policy.pending_days
    # Expired unanswered (Zoom, 30 days): sent once more after policy.reinvite_after_days (info).
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_NOT_RESENT = "invitation_not_resent"  # expired again after that: a person decides
    OVER_QUOTA = "over_quota"  # a school holds more licenses than its quota
    ACCOUNT_SEATS = "account_seats"  # Zoom counts more seats in use than purchased
    ADDON = "addon"  # Large Meetings add-on missing or not due
    GROUP = "group"  # not in the school's Zoom group
    ADOPTABLE = "adoptable"  # on a roster and already on Zoom, not yet managed by us
    UNMANAGED_LICENSED = "unmanaged_licensed"  # licensed, not ours, on no roster: reported only
    # The owner, an admin or a policy-protected email who left every roster and still holds a
    # license: never touched by the tool (its seat counts against the quota), so a person decides.
    PROTECTED_LEFT = "protected_left"
    # A license the rosters no longer want that Zoom refuses to take back (a Zoom One license past
    # the Basic-user cap, 2039): it keeps its seat until Basic users make room; a person decides.
    LICENSE_KEPT = "license_kept"
    WRONG_ACCOUNT = "wrong_account"  # the Zoom user is in another account than its school's
