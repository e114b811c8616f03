"""`provision waiting`: the latest plan's lines, school by school, in the order seats will go."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import Institution, Person
from provision.reports.queries import NO_PLAN, PlanInfo, find_institution, latest_waiting, region_name


@dataclass(frozen=True)
class Line:
    institution_code: str | None
    place: int | None  # None: listed here, counted at another school (counted_at)
    email: str
    given_name: str
    family_name: str
    role: str
    reason: str
    counted_at: str | None


@dataclass(frozen=True)
class WaitingReport:
    plan: PlanInfo | None
    lines: list[Line]
    note: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "plan": asdict(self.plan) if self.plan else None,
            "waiting": [asdict(line) for line in self.lines],
            "note": self.note,
        }


def waiting_lines(session: Session, *, school: str | None = None, region: str | None = None) -> WaitingReport:
    """Everyone waiting in the latest plan (of one school, or of one region's schools), in line order."""
    code = find_institution(session, school).code if school is not None else None
    latest = latest_waiting(session, school=code)
    if not latest.known:
        return WaitingReport(plan=None, lines=[], note=f"waiting: {NO_PLAN} (run `provision plan`)")
    entries = list(latest.entries)
    if region is not None:
        wanted = region_name(session, region)
        codes = set(
            session.execute(select(col(Institution.code)).where(col(Institution.region) == wanted)).scalars()
        )
        entries = [e for e in entries if e.institution_code in codes]
    names: dict[str, tuple[str, str]] = {}
    emails = sorted({e.email for e in entries})
    for start in range(0, len(emails), 500):
        for email, given, family in session.execute(
            select(col(Person.email), col(Person.given_name), col(Person.family_name)).where(
                col(Person.email).in_(emails[start : start + 500])
            )
        ):
            names[email] = (given or "", family or "")
    entries.sort(key=lambda e: (e.institution_code or "", e.counted_at is not None, e.place or 0, e.email))
    lines = [
        Line(
            e.institution_code,
            e.place,
            e.email,
            *names.get(e.email, ("", "")),
            e.role,
            e.reason,
            e.counted_at,
        )
        for e in entries
    ]
    return WaitingReport(plan=latest.plan, lines=lines)
