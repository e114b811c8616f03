"""The plan: what must change in Zoom, as plain data (no database, no Zoom, no rendering).

`diff.compute_plan` builds it, `render` shows it, `apply` executes it. A plan round-trips through
JSON (`to_data`/`from_data`) so it can be saved to plan.json and kept in PlanRecord.data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from provision.core.actions import SPECS, Payload
from provision.core.kinds import ActionKind
from provision.core.summary import PlanSummary
from provision.core.waiting import Waiting
from provision.errors import InputError

__all__ = ["ORDER", "Action", "ActionKind", "Plan", "Waiting", "action_keys", "sort_actions"]

PLAN_FORMAT = 1


# Downgrades before upgrades so that seats freed by this plan are reused by it.
ORDER: tuple[ActionKind, ...] = tuple(ActionKind)
_RANK = {kind: rank for rank, kind in enumerate(ORDER)}
# Looked up once: Enum attribute access is slow when a plan holds 100,000 actions.
_VALUE = {kind: kind.value for kind in ORDER}


@dataclass(frozen=True)
class Action:
    """One change to one Zoom user, with the reason an operator can read."""

    kind: ActionKind
    email: str
    institution_code: str | None
    reason: str
    zoom_id: str | None = None
    payload: Payload = None  # type: ignore[assignment]  # None: the kind's default payload
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    # The Zoom account the action is sent to: "" the main account (provision.core.accounts).
    account: str = ""

    def __post_init__(self) -> None:
        if self.payload is None:
            object.__setattr__(self, "payload", SPECS[self.kind].default)
        elif not isinstance(self.payload, SPECS[self.kind].payload_type):
            raise TypeError(f"{self.kind} takes a {SPECS[self.kind].payload_type.__name__} payload")

    def key(self) -> str:
        """Stable identity for idempotency: the same change to the same person has the same key."""
        ident = self.payload.ident()
        if ident is not None:
            return f"{_VALUE[self.kind]}:{self.email}:{ident}"
        return f"{_VALUE[self.kind]}:{self.email}"

    def sort_key(self) -> tuple[str, int, str, str]:
        # Grouped by account (each applies on its own); a person has at most one action of each
        # kind, so this order is total.
        return (self.account, _RANK[self.kind], self.institution_code or "", self.email)

    def to_data(self, payloads: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        """JSON-ready; the before/after mappings are shared, not copied (read them only).

        `payloads` (by id of the payload object) lets a whole plan turn each shared payload into
        JSON once: most actions of a plan share a handful of frozen payloads.
        """
        payload = self.payload
        if payloads is None:
            payload_data = payload.to_data()
        else:
            payload_data = payloads.get(id(payload))  # type: ignore[assignment]
            if payload_data is None:
                payload_data = payloads[id(payload)] = payload.to_data()
        return {
            "kind": _VALUE[self.kind],
            "email": self.email,
            "institution_code": self.institution_code,
            "reason": self.reason,
            "zoom_id": self.zoom_id,
            "payload": payload_data,
            "before": self.before,
            "after": self.after,
            "account": self.account,
        }

    @classmethod
    def make(
        cls,
        kind: ActionKind,
        email: str,
        institution_code: str | None,
        reason: str,
        zoom_id: str | None,
        payload: Payload,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        account: str = "",
    ) -> Action:
        """The same Action as the constructor, built ~6x faster (plans hold 100,000 of them).

        A frozen dataclass's __init__ sets each field through object.__setattr__; filling the
        instance dict at once is equivalent and the result is just as frozen.
        """
        action = object.__new__(cls)
        action.__dict__.update(
            kind=kind,
            email=email,
            institution_code=institution_code,
            reason=reason,
            zoom_id=zoom_id,
            payload=payload,
            before=before,
            after=after,
            account=account,
        )
        return action

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Action:
        kind = ActionKind(data["kind"])
        return cls.make(
            kind,
            data["email"],
            data.get("institution_code"),
            data.get("reason", ""),
            data.get("zoom_id"),
            SPECS[kind].payload_from(data.get("payload")),
            dict(data.get("before") or {}),
            dict(data.get("after") or {}),
            # Plan files written before accounts existed hold the main account's actions only.
            data.get("account") or "",
        )


@dataclass(frozen=True)
class Grace:
    """Someone who left a roster and keeps their license until `until` (the grace period)."""

    email: str
    institution_code: str | None
    until: datetime

    def to_data(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "institution_code": self.institution_code,
            "until": self.until.isoformat(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Grace:
        return cls(data["email"], data.get("institution_code"), datetime.fromisoformat(data["until"]))


def action_keys(actions: Iterable[Action]) -> list[str]:
    """[action.key() for action in actions], each shared payload asked for its ident once
    (a whole-account plan's 100,000 actions share a handful of payloads)."""
    idents: dict[int, str | None] = {}
    keys: list[str] = []
    for action in actions:
        payload = action.payload
        found = idents.get(id(payload), idents)  # idents itself: not asked yet (None is an answer)
        if found is idents:
            found = idents[id(payload)] = payload.ident()
        prefix = f"{_VALUE[action.kind]}:{action.email}"
        keys.append(prefix if found is None else f"{prefix}:{found}")
    return keys


def sort_actions(actions: list[Action]) -> list[Action]:
    """Apply order: ORDER, then school, then email."""
    return sorted(actions, key=Action.sort_key)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class Plan:
    """Everything `apply` needs, and everything an operator needs to decide whether to apply."""

    actions: list[Action]
    waiting: list[Waiting] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    summary: PlanSummary = field(default_factory=PlanSummary)
    fingerprint: str = ""
    grace: list[Grace] = field(default_factory=list)
    # Users another writer keeps setting back (provision.core.contested), as flat items: both
    # values and times, and whether this plan leaves them alone (policy contested = "report").
    contested: list[dict[str, Any]] = field(default_factory=list)
    snapshot_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Licenses the rosters no longer want that Zoom would refuse to take back (a Zoom One license
    # past the Basic-user cap): they keep their seat, with the reason; not a change, not waiting.
    kept: list[Waiting] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of actions of each kind (every kind present, zero included), plus waiting."""
        by_kind = Counter(action.kind for action in self.actions)
        counts = {kind.value: by_kind.get(kind, 0) for kind in ORDER}
        counts["waiting"] = sum(1 for w in self.waiting if w.counted_at is None)
        counts["unmanaged"] = len(self.unmanaged)
        counts["protected"] = len(self.protected)
        counts["contested"] = len(self.contested)
        return counts

    @property
    def is_empty(self) -> bool:
        return not self.actions

    def for_school(self, code: str) -> Plan:
        """The same plan restricted to one school's actions and waiting list (for display)."""
        return Plan(
            actions=[a for a in self.actions if a.institution_code == code],
            waiting=[w for w in self.waiting if w.institution_code == code],
            unmanaged=[],
            protected=list(self.protected),
            summary=self.summary.for_school(code),
            fingerprint=self.fingerprint,
            grace=[g for g in self.grace if g.institution_code == code],
            contested=[c for c in self.contested if c.get("institution_code") == code],
            snapshot_at=self.snapshot_at,
            created_at=self.created_at,
            kept=[k for k in self.kept if k.institution_code == code],
        )

    def for_account(self, key: str) -> Plan:
        """The part of a plan over several accounts that account `key` carries out (its safety)."""
        own = self.summary.accounts.get(key)
        schools = {c: f for c, f in self.summary.schools.items() if f.account == key}
        summary = PlanSummary(
            schools=schools,
            totals=own.totals if own is not None else self.summary.totals,
            scope=self.summary.scope,
            policy=self.summary.policy,
            forced=self.summary.forced,
            shortage=own.shortage if own is not None else self.summary.shortage,
            accounts={key: own} if own is not None else {},
        )
        return Plan(
            actions=[a for a in self.actions if a.account == key],
            waiting=[w for w in self.waiting if w.institution_code in schools],
            summary=summary,
            fingerprint=self.fingerprint,
            grace=[g for g in self.grace if g.institution_code in schools],
            snapshot_at=self.snapshot_at,
            created_at=self.created_at,
            kept=[k for k in self.kept if k.institution_code in schools],
        )

    def to_data(self) -> dict[str, Any]:
        payloads: dict[int, dict[str, Any]] = {}
        data = {
            "format": PLAN_FORMAT,
            "fingerprint": self.fingerprint,
            "snapshot_at": _iso(self.snapshot_at),
            "created_at": _iso(self.created_at),
            "counts": self.counts(),
            "summary": self.summary.to_data(),
            # The payloads stay alive in self.actions meanwhile, so their ids are unique keys.
            "actions": [action.to_data(payloads) for action in self.actions],
            "waiting": [waiting.to_data() for waiting in self.waiting],
            "grace": [grace.to_data() for grace in self.grace],
            "unmanaged": list(self.unmanaged),
            "protected": list(self.protected),
            "contested": [dict(item) for item in self.contested],
        }
        if self.kept:  # rare (Zoom One at the Basic cap): every other plan file stays as it was
            data["kept"] = [item.to_data() for item in self.kept]
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from `to_data`; anything malformed is an InputError (a bad plan file)."""
        try:
            return cls._from_data(data)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InputError(f"not a provision plan (bad or missing field: {exc})") from exc

    @classmethod
    def _from_data(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format", PLAN_FORMAT) != PLAN_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {PLAN_FORMAT}")
        created = _parse_dt(data.get("created_at"))
        return cls(
            actions=[Action.from_data(item) for item in data.get("actions", [])],
            waiting=[Waiting.from_data(item) for item in data.get("waiting", [])],
            grace=[Grace.from_data(item) for item in data.get("grace", [])],
            unmanaged=list(data.get("unmanaged", [])),
            protected=list(data.get("protected", [])),
            contested=[dict(item) for item in data.get("contested", [])],
            kept=[Waiting.from_data(item) for item in data.get("kept", [])],
            summary=PlanSummary.from_data(data.get("summary")),
            fingerprint=data.get("fingerprint", ""),
            snapshot_at=_parse_dt(data.get("snapshot_at")),
            created_at=created or datetime.now(UTC),
        )
