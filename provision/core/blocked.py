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
# A create apply did not send: the account lacks what the create action needs (a managed domain
# for autoCreate), or Zoom already refused the same action or domain for the account this run.
CREATE_NOT_SENT = "not sent: the create action's prerequisites"

# Create refusals (POST /users) in plain words, with what fixes each (ZOOM_API.md §5, §11).
CREATE_FIXES: dict[int, str] = {
    1116: (
        "the email's domain is not one the Zoom account accepts (its limited domains, or for autoCreate "
        "its managed domains): correct the address on the roster, add the domain to the account in Zoom, "
        'or set policy create_action = "create"'
    ),
    1107: (
        "the email's domain is blocked on the Zoom account: correct the address, or unblock the domain "
        "in Zoom"
    ),
    2002: (
        "SSO is not enabled on the Zoom account, and ssoCreate needs it: enable SSO, or set policy "
        'create_action = "create"'
    ),
    2032: (
        "ssoCreate needs Zoom's SSO pre-provisioning option, which the account lacks: ask Zoom to enable it, "
        'or set policy create_action = "create"'
    ),
    1009: (
        "the address already holds an active Zoom account outside this one: ask the person to join this "
        "account, or give another address on the roster"
    ),
    200: (
        "the create action is not permitted on this Zoom account (autoCreate needs a managed domain, "
        'custCreate Zoom\'s ISV option): set policy create_action = "create", or have Zoom enable it'
    ),
}
MANAGED_DOMAIN_FIX = (
    "autoCreate works only for the account's managed (associated) domains, and this address's domain "
    "is not one: add the domain in Zoom (Account Profile, Associated Domains), correct the address, or "
    'set policy create_action = "create"'
)


@dataclass(frozen=True, slots=True)
class Blocked:
    """The last permanent refusal of an action for one person."""

    kind: str  # the action kind Zoom refused (create, license, ...)
    at: datetime
    zoom_code: int | None
    error: str

    def reason(self) -> str:
        """The waiting reason a plan shows for this person while the block holds."""
        said = "held back" if self.error.startswith(CREATE_NOT_SENT) else "Zoom refused"
        return (
            f"blocked: {explain_block(self.zoom_code, self.error)} "
            f"({said} the {self.kind} on {self.at:%Y-%m-%d}; a rerun will not help: once it is fixed, "
            "`provision apply --retry-blocked` tries again)"
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
    if error.startswith(CREATE_NOT_SENT) and code is None:
        return MANAGED_DOMAIN_FIX
    if code in CREATE_FIXES and (
        code != 200 or error.startswith(CREATE_NOT_SENT) or "create action not permitted" in error
    ):
        return f"Zoom refuses to create the user (code {code}): {CREATE_FIXES[code]}"
    if code == 4711 or (code in (4700, 104) and "scope" in error.lower()):
        return "the Zoom app lacks a scope (see `provision doctor`): add it in the Marketplace"
    if code == 1120:
        return "the invitation expired: the next plan invites the person again"
    if is_seat_wait(error):
        return "no free seat is left: free or buy seats"
    if error.startswith("not sent to Zoom"):
        return "the roster's data breaks Zoom's rules (see the failure list): correct it at its source"
    return f"Zoom refused it (code {code})" if code is not None else "Zoom refused it"
