"""Another writer: a managed user whose license someone else sets back after our changes (pure).

SAML response mapping re-applies a user's type at each SSO login, and Moodle's mod_zoom "recycle
licenses" sets types itself (ZOOM_API.md §11): two writers would undo each other every run. A user
whose license was set back after two of our changes in a row is *contested*: plans and reconcile
report it with both sides (ours: what we set and when; theirs: what Zoom showed and when), and with
policy `contested = "report"` (the default) the plan leaves the user alone.

The evidence is what the tool already keeps, read by provision.store.history:
- our changes: the audit log's succeeded license changes, oldest first, each with what the plan
  that made it saw (its `before`) and when that was observed (the plan's snapshot);
- the latest look: the snapshot (what Zoom shows now, at the last sync).

One of our changes was set back when the next one set the same value again because Zoom showed
another, or, for the last one, when the snapshot taken after it shows another. A change of ours
to another value (a revoke after a license) ends the chain. Resolved: Zoom shows our value again,
or the rosters now want something else for the person (provision.core.diff decides that part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from provision.core.state import TYPE_NAMES

# Set back after this many changes of ours in a row: contested.
CONTESTED_AFTER = 2
# policy `contested`: leave the user alone (and report), or keep setting our value (and report).
REPORT = "report"
ENFORCE = "enforce"


class LicenseChange(NamedTuple):
    """One succeeded change of ours to a user's license field (an audit event)."""

    at: datetime  # when it succeeded
    value: Any  # what we set
    seen: Any  # what Zoom showed when the plan that made it was computed (None: not recorded)
    action: str
    actor: str
    institution_code: str | None = None
    ref: int | None = None  # the journal operation (the store reads when `seen` was observed)
    seen_at: datetime | None = None  # when `seen` was observed (the plan's snapshot), if known


class SetBack(NamedTuple):
    """Zoom seen showing another value than the one we had just set."""

    theirs: Any
    seen_at: datetime | None
    ours_at: datetime  # the change of ours it undid


@dataclass(frozen=True, slots=True)
class Contest:
    """A user whose license someone else set back after each of our last `len(setbacks)` changes."""

    email: str
    field: str  # "type" (the license); a Zoom One product would be "zoom_one_type"
    ours: Any  # what we set, each time
    ours_at: datetime  # our last change
    theirs: Any  # what Zoom shows now
    seen_at: datetime | None  # when it was seen (the last sync)
    setbacks: tuple[SetBack, ...]  # oldest first; the last one is what Zoom shows now
    action: str  # our last change's action (license, unlicense, ...)
    actor: str
    institution_code: str | None = None

    @property
    def first_at(self) -> datetime:
        return self.setbacks[0].ours_at

    def key(self) -> tuple[str, str, Any, str, Any]:
        """Identity for the plan's fingerprint and for auditing a contest once."""
        return (self.email, self.field, self.ours, _iso(self.ours_at) or "", self.theirs)

    def detail(self, *, left_alone: bool) -> str:
        ours, theirs = value_name(self.field, self.ours), value_name(self.field, self.theirs)
        seen = f"{self.seen_at:%Y-%m-%d %H:%M} UTC" if self.seen_at is not None else "at the last sync"
        what = (
            'left alone (policy contested = "report")'
            if left_alone
            else 'set again (policy contested = "enforce")'
        )
        return (
            f"{self.field} set back {len(self.setbacks)} times in a row by another writer (SAML mapping, "
            f"license recycling?): we set {ours} on {self.ours_at:%Y-%m-%d %H:%M} UTC ({self.action} by "
            f"{self.actor}), Zoom showed {theirs} on {seen}; {what}"
        )

    def to_data(self, *, left_alone: bool) -> dict[str, Any]:
        """A flat, JSON-ready item (plan --json, reconcile's drift, the audit export)."""
        return {
            "email": self.email,
            "institution_code": self.institution_code,
            "field": self.field,
            "ours": self.ours,
            "ours_at": _iso(self.ours_at),
            "ours_action": self.action,
            "ours_by": self.actor,
            "theirs": self.theirs,
            "seen_at": _iso(self.seen_at),
            "setbacks": len(self.setbacks),
            "first_at": _iso(self.first_at),
            "left_alone": left_alone,
            "detail": self.detail(left_alone=left_alone),
        }


def value_name(field: str, value: Any) -> str:
    if field == "type":
        try:
            number = int(value)
        except (TypeError, ValueError):
            return str(value)
        return f"{number} ({TYPE_NAMES.get(number, 'unknown')})"
    return "off" if value in (None, 0, "0") else str(value)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


def setbacks(changes: Sequence[LicenseChange], now: Any, seen_at: datetime | None) -> list[SetBack]:
    """The set-backs of our trailing changes, newest first, while they follow one another.

    `changes` are one user's changes of one field, oldest first; `now` is the value Zoom shows,
    observed at `seen_at`. Empty when Zoom shows our last value (it stayed ours).
    """
    if not changes:
        return []
    last = changes[-1]
    # A snapshot older than our change cannot have seen what happened after it.
    if now == last.value or (seen_at is not None and seen_at < last.at):
        return []
    found = [SetBack(now, seen_at, last.at)]
    for earlier, later in zip(reversed(changes[:-1]), reversed(changes[1:]), strict=True):
        # Set again to the same value because Zoom showed another one: the earlier was set back.
        if later.value != earlier.value or later.seen is None or later.seen == earlier.value:
            break
        found.append(SetBack(later.seen, later.seen_at, earlier.at))
    return found


def find_contest(
    email: str, field: str, changes: Sequence[LicenseChange], now: Any, seen_at: datetime | None
) -> Contest | None:
    """The contest over one user's field, if our last CONTESTED_AFTER changes were all set back."""
    found = setbacks(changes, now, seen_at)
    if len(found) < CONTESTED_AFTER:
        return None
    last = changes[-1]
    return Contest(
        email=email,
        field=field,
        ours=last.value,
        ours_at=last.at,
        theirs=now,
        seen_at=seen_at,
        setbacks=tuple(reversed(found)),
        action=last.action,
        actor=last.actor,
        institution_code=last.institution_code,
    )
