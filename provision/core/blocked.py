"""Refusals Zoom would repeat: what each means in plain words, and how long a plan holds them back.

An action Zoom refused for good (a cap, a field it rejects, a refused domain) is `blocked` in the
journal. Plans do not propose it again (the person waits, with this reason) until the person's
roster data changes, `retry_blocked_days` pass, or the operator asks with --retry-blocked: sending
the same request again would only be refused again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SEATS_WAITING = "waiting: account seats"
ADDON_WAITING = "waiting: add-on seats"


@dataclass(frozen=True, slots=True)
class Blocked:
    """The last permanent refusal of an action for one person."""

    kind: str  # the action kind Zoom refused (create, license, ...)
    at: datetime
    zoom_code: int | None
    error: str

    def reason(self) -> str:
        """The waiting reason a plan shows for this person while the block holds."""
        return (
            f"blocked: {explain_block(self.zoom_code, self.error)} "
            f"(Zoom refused the {self.kind} on {self.at:%Y-%m-%d}; `provision apply --retry-blocked` "
            "tries again)"
        )


def is_seat_wait(error: str | None) -> bool:
    """A seat that ran out blocks only the rest of one plan: the next plan counts seats again."""
    return bool(error) and str(error).startswith((SEATS_WAITING, ADDON_WAITING))


def explain_block(code: int | None, error: str) -> str:
    """The plain reason and the fix for one blocked operation."""
    if code in (2033, 2039, 3412):
        return (
            "the account's Basic-user cap is reached: remove Basic or pending users, or keep people who "
            'wait for a seat without a Zoom account (policy create_waiting = "none")'
        )
    if code in (1116, 1107, 2002, 2032, 1009):
        return f"Zoom refused to create the user (code {code}): check the account's domains and create action"
    if code == 4711 or (code in (4700, 104) and "scope" in error.lower()):
        return "the Zoom app lacks a scope (see `provision doctor`): add it in the Marketplace"
    if code == 1120:
        return "the invitation expired: the next plan invites the person again"
    if is_seat_wait(error):
        return "no free seat is left: free or buy seats"
    if error.startswith("not sent to Zoom"):
        return "the roster's data breaks Zoom's rules (see the failure list): correct it at its source"
    return f"Zoom refused it (code {code})" if code is not None else "Zoom refused it"
