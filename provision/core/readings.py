"""Which reading of plan usage `usage` an account uses, told from the numbers (pure).

Zoom does not document whether a pool's `usage` already counts the pending invitations it also
reports in `pending` (ZOOM_API.md §11). Counting seats from the users we listed (licensed active
+ licensed pending) never depends on it; plan usage is the cross-check, and this says which
reading its numbers fit, so that neither answer is ever subtracted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Reading = Literal["pending_in_usage", "pending_apart", "undetermined", "disagrees"]


@dataclass(frozen=True)
class PendingReading:
    """The verdict and the numbers it came from."""

    reading: Reading
    usage: int
    pending: int
    licensed_active: int
    licensed_pending: int

    @property
    def detail(self) -> str:
        listed = f"{self.licensed_active} licensed active + {self.licensed_pending} pending listed"
        if self.reading == "pending_in_usage":
            return f"usage {self.usage} counts pending invitations ({listed})"
        if self.reading == "pending_apart":
            return f"usage {self.usage} leaves pending invitations apart ({listed})"
        if self.reading == "undetermined":
            return f"usage {self.usage}, no pending invitation to tell the readings apart ({listed})"
        return f"usage {self.usage} / pending {self.pending} match neither reading ({listed})"

    def to_data(self) -> dict[str, object]:
        return {
            "reading": self.reading,
            "usage": self.usage,
            "pending": self.pending,
            "licensed_active": self.licensed_active,
            "licensed_pending": self.licensed_pending,
            "detail": self.detail,
        }


def detect_pending_reading(
    *, usage: int, pending: int, licensed_active: int, licensed_pending: int
) -> PendingReading:
    """The reading the pool's numbers fit, given the users listed in that pool.

    With no pending invitation both readings give the same numbers: "undetermined" (nothing to
    double-count either). When neither fits (someone changed licenses between the two reads, or
    users outside the list hold seats) the answer is "disagrees" and the listed users win."""
    numbers = (usage, pending, licensed_active, licensed_pending)
    if licensed_pending == 0:
        verdict: Reading = "undetermined" if usage == licensed_active else "disagrees"
    elif usage == licensed_active + licensed_pending:
        verdict = "pending_in_usage"
    elif usage == licensed_active:
        verdict = "pending_apart"
    else:
        verdict = "disagrees"
    return PendingReading(verdict, *numbers)


@dataclass(frozen=True)
class SeatCount:
    """The managed pool's seats as the plan counts them: from the users we listed, never from
    `usage` and `pending` added together (which counts an invitation twice under one reading)."""

    purchased: int
    licensed_active: int
    licensed_pending: int
    reading: PendingReading

    @property
    def in_use(self) -> int:
        return self.licensed_active + self.licensed_pending

    @property
    def free(self) -> int:
        return max(0, self.purchased - self.in_use)

    @property
    def disagreement(self) -> str | None:
        """What to show when Zoom's plan usage fits neither reading (None when it fits one)."""
        if self.reading.reading != "disagrees":
            return None
        return (
            f"Zoom's plan usage does not match the users listed: {self.reading.detail}; "
            f"seats are counted from the users ({self.in_use} of {self.purchased} in use)"
        )

    def to_data(self) -> dict[str, object]:
        return {
            "purchased": self.purchased,
            "licensed_active": self.licensed_active,
            "licensed_pending": self.licensed_pending,
            "in_use": self.in_use,
            "free": self.free,
            "pending_reading": self.reading.reading,
            "usage_reported": self.reading.usage,
            "pending_reported": self.reading.pending,
        }


def count_seats(
    *, purchased: int, usage: int, pending: int, licensed_active: int, licensed_pending: int
) -> SeatCount:
    """Seats counted from the listed users, with plan usage's reading as the cross-check."""
    reading = detect_pending_reading(
        usage=usage, pending=pending, licensed_active=licensed_active, licensed_pending=licensed_pending
    )
    return SeatCount(purchased, licensed_active, licensed_pending, reading)


def free_by_reading(*, hosts: int, usage: int, pending: int, reading: str | None) -> int:
    """Free seats from plan usage alone (apply, mid-run, has no fresh user list): `usage` already
    holds the invitations under one reading; any reading not established counts them apart
    (cautious: a seat too few, never one too many)."""
    held = usage if reading == "pending_in_usage" else usage + pending
    return max(0, hosts - held)
