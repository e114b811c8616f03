"""`provision waiting`: the latest plan's lines, school by school, in the order seats will go."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from models.reader import Reader, as_reader, in_list
from provision.reports.queries import NO_PLAN, PlanInfo, find_institution, latest_waiting, region_name

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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


def waiting_lines(
    source: Reader | Session, *, school: str | None = None, region: str | None = None
) -> WaitingReport:
    """Everyone waiting in the latest plan (of one school, or of one region's schools), in line order."""
    db = as_reader(source)
    code = find_institution(db, school).code if school is not None else None
    latest = latest_waiting(db, school=code)
    if not latest.known:
        return WaitingReport(plan=None, lines=[], note=f"waiting: {NO_PLAN} (run `provision plan`)")
    entries = list(latest.entries)
    if region is not None:
        wanted = region_name(db, region)
        codes = {
            r[0] for r in db.rows("SELECT code FROM institution WHERE region = :region", {"region": wanted})
        }
        entries = [e for e in entries if e.institution_code in codes]
    names: dict[str, tuple[str, str]] = {}
    emails = sorted({e.email for e in entries})
    for start in range(0, len(emails), 500):
        wanted_emails, params = in_list("e", emails[start : start + 500])
        for email, given, family in db.rows(
            f"SELECT email, given_name, family_name FROM person WHERE email IN {wanted_emails}", params
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
