"""Who waits for a seat and why: a plan's waiting list, entry by entry.

Apart from provision.core.plan so that the queries (the waiting list of the latest plan) load
without the policy and its pydantic models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Waiting:
    """An entitled person who gets no seat now, and why, naming the rule and the place in line
    ("waiting: 3rd in line at 0421 (quota 3 of 3 in use)").

    A person on two rosters counts at one school (`institution_code` with `counted_at` None) and
    has an entry at the other too, saying where they count (`counted_at`).
    """

    email: str
    institution_code: str | None
    role: str
    reason: str
    place: int | None = None  # in the line of the school where they count (1 first)
    counted_at: str | None = None  # set on the entries of other schools: where they count

    def to_data(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "institution_code": self.institution_code,
            "role": self.role,
            "reason": self.reason,
            "place": self.place,
            "counted_at": self.counted_at,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Waiting:
        return cls(
            email=data["email"],
            institution_code=data.get("institution_code"),
            role=data.get("role", ""),
            reason=data.get("reason", ""),
            place=data.get("place"),
            counted_at=data.get("counted_at"),
        )
