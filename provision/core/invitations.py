"""Expired invitations: sent once more after `reinvite_after_days`, never a second time by itself.

Zoom drops an invitation nobody accepted after 30 days: the user leaves the pending list and a
read answers 400/1120 (ZOOM_API.md §11). Sync records each one it finds (an audit event
"invitation_expired"); the plan then holds the person back for `reinvite_after_days` (time for
the school to correct an address that never reached anyone), invites them once more, and if
that invitation expires too, holds them back for good: a person has to look at the address
(`provision apply --retry-blocked` sends it again). Pure: the history comes from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

EXPIRED_EVENT = "invitation_expired"  # the audit action sync records
RESEND_LIMIT = 1  # invitations sent again automatically after an expiry


@dataclass(frozen=True, slots=True)
class Invitations:
    """One person's expired invitations (when sync found each, oldest first) and our creates
    that invited them again after the first."""

    expired: tuple[datetime, ...]
    resent: tuple[datetime, ...] = ()

    @property
    def given_up(self) -> bool:
        """Expired again after the automatic resend: no further invitation by itself."""
        return len(self.expired) > RESEND_LIMIT

    def resend_due(self, days: int) -> datetime:
        return self.expired[-1] + timedelta(days=days)

    def hold(self, *, days: int, now: datetime) -> str | None:
        """Why no invitation goes out now (the person's waiting reason), or None: send it."""
        found = ", ".join(f"{at:%Y-%m-%d}" for at in self.expired)
        if self.given_up:
            return (
                f"waiting: invitations expired unanswered twice (found {found}): not sent again "
                "automatically; check the address on the roster, then `provision apply --retry-blocked`"
            )
        due = self.resend_due(days)
        if now < due:
            return (
                f"waiting: the invitation expired unanswered (found {found}); sent once more on "
                f"{due:%Y-%m-%d} (policy reinvite_after_days)"
            )
        return None

    def resend_reason(self) -> str:
        """The create's reason when it is the one automatic resend."""
        return f"invitation expired unanswered (found {self.expired[-1]:%Y-%m-%d}): sent once more"
