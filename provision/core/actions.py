"""Every kind of action, defined once: its typed payload and one `KindSpec` entry in `SPECS`.

An entry says everything the pure core and the stores need to know about a kind: where it runs
in the apply order (the ActionKind declaration order), whether it needs a licensed seat or an
add-on seat, whether Zoom can take it 30 at a time, whether it takes a license back, how a
succeeded one changes the snapshot and the audit log's `after`, and how it reads in a plan and in
a drift report. How it is sent to Zoom and read back after a lost answer is registered per kind
in `provision.run.executors` (the core never talks to Zoom).

Adding a kind: an ActionKind member (its place is its apply order), one entry below, one line
in `provision.run.executors.EXECUTORS`, and its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from provision.core.kinds import ActionKind, DriftKind
from provision.core.product import product_name
from provision.core.state import BASIC_TYPE, LICENSED_TYPE, UNASSIGNED_TYPE

# ---------------------------------------------------------------- payloads (frozen, hashable)
# Their to_data is the JSON of plan files and the journal: keep it stable (older files are read
# with `from_data`, which fills what they did not write from the kind's default).


@dataclass(frozen=True, slots=True)
class NoPayload:
    """Nothing beyond the user: deactivate, reactivate, adopt."""

    def to_data(self) -> dict[str, Any]:
        return {}

    def ident(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class SetType:
    """The user's `type` (the license) becomes this."""

    type: int

    def to_data(self) -> dict[str, Any]:
        return {"type": self.type}

    def ident(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class ZoomOne:
    """The user's `zoom_one_type` (a Zoom One / Workplace license) becomes this; 0 takes it back.

    Written as a string in plan files and the journal: the Education values pass 2**53, beyond
    what a JSON reader that parses numbers as doubles keeps exact."""

    value: int

    def to_data(self) -> dict[str, Any]:
        return {"zoom_one_type": str(self.value)}

    def ident(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class NewUser:
    """POST /users: how (`action`: create, autoCreate, ...) and with which type.

    `zoom_one_type`: created holding that Zoom One product (policy license); `type` is then
    LICENSED_TYPE in the plan's sense (a seat of the managed pool)."""

    action: str
    type: int
    email: str = ""
    first_name: str | None = None
    last_name: str | None = None
    zoom_one_type: int | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "type": self.type,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }
        if self.zoom_one_type is not None:  # written only when set: older plan files stay the same
            data["zoom_one_type"] = str(self.zoom_one_type)
        return data

    def ident(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class Addon:
    """A Large Meetings add-on of this capacity (on: the one to give; off: the one held, if known)."""

    capacity: int | None

    def to_data(self) -> dict[str, Any]:
        return {"capacity": self.capacity}

    def ident(self) -> str | None:
        return str(self.capacity)


@dataclass(frozen=True, slots=True)
class Group:
    """Membership of this Zoom group."""

    group_id: str

    def to_data(self) -> dict[str, Any]:
        return {"group_id": self.group_id}

    def ident(self) -> str | None:
        return self.group_id


@dataclass(frozen=True, slots=True)
class MoveTo:
    """The Zoom account (a sub-account id of the master) the user moves to."""

    account: str

    def to_data(self) -> dict[str, Any]:
        return {"account": self.account}

    def ident(self) -> str | None:
        return self.account


Payload = NoPayload | SetType | ZoomOne | NewUser | Addon | Group | MoveTo
NO_PAYLOAD = NoPayload()
TO_BASIC = SetType(BASIC_TYPE)
TO_LICENSED = SetType(LICENSED_TYPE)


def _no_payload(data: Mapping[str, Any], default: Payload) -> Payload:
    return NO_PAYLOAD


def _set_type(data: Mapping[str, Any], default: Payload) -> Payload:
    assert isinstance(default, SetType)
    value = data.get("type")
    return default if value is None or int(value) == default.type else SetType(int(value))


def _zoom_one(data: Mapping[str, Any], default: Payload) -> Payload:
    assert isinstance(default, ZoomOne)
    value = data.get("zoom_one_type")
    return default if value is None else ZoomOne(int(value))


def _new_user(data: Mapping[str, Any], default: Payload) -> Payload:
    zoom_one = data.get("zoom_one_type")
    return NewUser(
        action=str(data.get("action", "create")),
        type=int(data.get("type", LICENSED_TYPE)),
        email=str(data.get("email") or ""),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        zoom_one_type=int(zoom_one) if zoom_one is not None else None,
    )


def _addon(data: Mapping[str, Any], default: Payload) -> Payload:
    assert isinstance(default, Addon)
    capacity = data.get("capacity", default.capacity)
    return Addon(int(capacity) if capacity is not None else None)


def _group(data: Mapping[str, Any], default: Payload) -> Payload:
    return Group(str(data["group_id"]))


def _move_to(data: Mapping[str, Any], default: Payload) -> Payload:
    return MoveTo(str(data["account"]))


# ---------------------------------------------------------------- the entry


class SnapshotEffect(StrEnum):
    """How a succeeded action changes the stored snapshot (provision.store.journal)."""

    COLUMNS = "columns"  # the user's row gets the columns of `KindSpec.snapshot(payload)`
    NEW_USER = "new_user"  # a row for the created user; managed from now on, created by us
    MANAGE = "manage"  # managed from now on (adopted); the row is unchanged
    JOIN_GROUP = "join_group"  # the row's group_ids gains payload.group_id


def _nothing(payload: Any) -> dict[str, Any]:
    return {}


def _never(payload: Any) -> bool:
    return False


def _no_addon(payload: Any) -> int | None:
    return None


def _plain(payload: Any) -> str:
    return ""


@dataclass(frozen=True)
class KindSpec:
    """What one kind of action means, everywhere but the Zoom call (see the module docstring)."""

    kind: ActionKind
    payload_type: type[Any]
    default: Payload  # the payload of a file that wrote none, and the one the plan gives by default
    read_payload: Callable[[Mapping[str, Any], Payload], Payload]
    # Plan display: one marker and colour per line (render), the per-school table column it counts
    # in (None: not counted there), and the detail after the kind ("create (licensed)").
    marker: str
    style: str
    column: str | None
    detail: Callable[[Any], str] = _plain
    needs_seat: Callable[[Any], bool] = _never  # takes a licensed seat from the account
    addon_seat: Callable[[Any], int | None] = _no_addon  # takes an add-on seat of this capacity
    bulk: bool = False  # Zoom can take a batch of these in one call (the executor says how)
    revokes: bool = False  # takes a license back: counts against the safety thresholds
    revoke_policy: str | None = None  # the policy `revoke` value that makes this the leavers' revoke
    # The product whose revoke it is: "meetings" (type), "zoom_one" (zoom_one_type), None: both.
    product: str | None = None
    # Who it applies to when it is the leavers' revoke: every active user, or only seat holders.
    revokes_active: bool = False
    sets_type: bool = False  # its audit `after` says the type it left: read by loaders
    effect: SnapshotEffect = SnapshotEffect.COLUMNS
    snapshot: Callable[[Any], dict[str, Any]] = _nothing  # columns set by a succeeded one
    after: Callable[[Any, Mapping[str, Any]], dict[str, Any]] = lambda payload, before: {}
    # Drift: under which kind a pending action of this kind is reported, and how.
    drift: DriftKind | None = None
    drift_detail: Callable[[Any, str], str] = lambda payload, reason: reason
    drift_fields: Callable[[Any], dict[str, Any]] = _nothing

    def payload_from(self, data: Mapping[str, Any] | None) -> Payload:
        return self.read_payload(data or {}, self.default)


def _create_detail(payload: NewUser) -> str:
    if payload.type == LICENSED_TYPE:
        return " (licensed)"
    return " (unassigned)" if payload.type == UNASSIGNED_TYPE else " (basic)"


def _capacity_detail(payload: Addon) -> str:
    return f" ({payload.capacity})" if payload.capacity is not None else ""


def _create_drift(payload: NewUser, reason: str) -> str:
    return reason if payload.type == LICENSED_TYPE else f"not on Zoom yet; {reason}"


SPECS: dict[ActionKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            ActionKind.REMOVE_ADDON,
            Addon,
            Addon(None),
            _addon,
            marker="~",
            style="yellow",
            column="~",
            detail=_capacity_detail,
            bulk=True,
            snapshot=lambda p: {"large_meeting": False, "large_meeting_capacity": None},
            after=lambda p, before: {"large_meeting_capacity": None},
            drift=DriftKind.ADDON,
            drift_fields=lambda p: {"capacity": p.capacity},
        ),
        KindSpec(
            ActionKind.UNLICENSE,
            SetType,
            TO_BASIC,
            _set_type,
            marker="-",
            style="red",
            column="-",
            bulk=True,
            revokes=True,
            revoke_policy="downgrade",
            product="meetings",
            sets_type=True,
            snapshot=lambda p: {"type": p.type},
            after=lambda p, before: {"type": p.type},
            drift=DriftKind.LICENSED_NOT_ENTITLED,
        ),
        KindSpec(
            # A Zoom One / Workplace license back (policy license names a product): the user is
            # Basic again, as a downgrade leaves them. POST /users/features zoom_one_type 0.
            ActionKind.ZOOM_ONE_OFF,
            ZoomOne,
            ZoomOne(0),
            _zoom_one,
            marker="-",
            style="red",
            column="-",
            bulk=True,
            revokes=True,
            revoke_policy="downgrade",
            product="zoom_one",
            sets_type=True,
            snapshot=lambda p: {"type": BASIC_TYPE, "zoom_one_type": 0},
            after=lambda p, before: {"type": BASIC_TYPE, "zoom_one_type": "0"},
            drift=DriftKind.LICENSED_NOT_ENTITLED,
        ),
        KindSpec(
            # Type 4 "Unassigned without Meetings Basic": no seat, and outside the 9,999 Basic-user
            # cap that revoking to Basic meets at ministry scale (ZOOM_API §1.1, §11). By PATCH
            # only: POST /users/features takes user_type 1, 2 and 99, not 4.
            ActionKind.UNASSIGN,
            SetType,
            SetType(UNASSIGNED_TYPE),
            _set_type,
            marker="-",
            style="red",
            column="-",
            bulk=False,
            revokes=True,
            revoke_policy="unassign",
            sets_type=True,
            snapshot=lambda p: {"type": p.type},
            after=lambda p, before: {"type": p.type},
            drift=DriftKind.LICENSED_NOT_ENTITLED,
        ),
        KindSpec(
            ActionKind.DEACTIVATE,
            NoPayload,
            NO_PAYLOAD,
            _no_payload,
            marker="-",
            style="bold red",
            column="-",
            revokes=True,
            revoke_policy="deactivate",
            revokes_active=True,
            sets_type=True,
            snapshot=lambda p: {"status": "inactive"},
            after=lambda p, before: {"status": "inactive", "type": BASIC_TYPE},
            # A deactivation under revoke = "deactivate" may concern a Basic user: still not entitled.
            drift=DriftKind.LICENSED_NOT_ENTITLED,
        ),
        KindSpec(
            ActionKind.MOVE,
            MoveTo,
            MoveTo(""),
            _move_to,
            marker=">",
            style="magenta",
            column="~",
            detail=lambda p: f" (to account {p.account})",
            snapshot=lambda p: {"account": p.account},
            after=lambda p, before: {"account": p.account},
            drift=DriftKind.WRONG_ACCOUNT,
            drift_fields=lambda p: {"to_account": p.account},
        ),
        KindSpec(
            ActionKind.REACTIVATE,
            NoPayload,
            NO_PAYLOAD,
            _no_payload,
            marker="^",
            style="cyan",
            column=None,
            sets_type=True,
            snapshot=lambda p: {"status": "active"},
            after=lambda p, before: {"status": "active", "type": BASIC_TYPE},
            drift=DriftKind.ENTITLED_NOT_LICENSED,
            drift_detail=lambda p, reason: f"deactivated on Zoom; {reason}",
        ),
        KindSpec(
            ActionKind.CREATE,
            NewUser,
            NewUser("create", LICENSED_TYPE),
            _new_user,
            marker=">",
            style="green",
            column=">",
            detail=_create_detail,
            needs_seat=lambda p: p.type == LICENSED_TYPE,
            sets_type=True,
            effect=SnapshotEffect.NEW_USER,
            after=lambda p, before: {"type": p.type, "status": "pending"},
            drift=DriftKind.ENTITLED_NOT_LICENSED,
            drift_detail=_create_drift,
        ),
        KindSpec(
            ActionKind.LICENSE,
            SetType,
            TO_LICENSED,
            _set_type,
            marker="+",
            style="green",
            column="+",
            needs_seat=lambda p: True,
            bulk=True,
            sets_type=True,
            snapshot=lambda p: {"type": p.type},
            after=lambda p, before: {"type": p.type, "status": "active"},
            drift=DriftKind.ENTITLED_NOT_LICENSED,
        ),
        KindSpec(
            # The policy's Zoom One / Workplace product given: a seat of its own plan-usage pool.
            # Held, the user reads Licensed to the plan (core.product.license_type).
            ActionKind.ZOOM_ONE_ON,
            ZoomOne,
            ZoomOne(0),
            _zoom_one,
            marker="+",
            style="green",
            column="+",
            detail=lambda p: f" ({product_name(p.value)})",
            needs_seat=lambda p: True,
            bulk=True,
            sets_type=True,
            snapshot=lambda p: {"type": LICENSED_TYPE, "zoom_one_type": p.value},
            after=lambda p, before: {
                "type": LICENSED_TYPE,
                "status": "active",
                "zoom_one_type": str(p.value),
            },
            drift=DriftKind.ENTITLED_NOT_LICENSED,
        ),
        KindSpec(
            ActionKind.ADD_ADDON,
            Addon,
            Addon(500),
            _addon,
            marker="~",
            style="yellow",
            column="~",
            detail=_capacity_detail,
            addon_seat=lambda p: p.capacity if p.capacity is not None else 500,
            bulk=True,
            snapshot=lambda p: {"large_meeting": True, "large_meeting_capacity": p.capacity},
            after=lambda p, before: {"type": LICENSED_TYPE, "large_meeting_capacity": p.capacity},
            drift=DriftKind.ADDON,
            drift_fields=lambda p: {"capacity": p.capacity},
        ),
        KindSpec(
            ActionKind.ADD_TO_GROUP,
            Group,
            Group(""),
            _group,
            marker="~",
            style="blue",
            column="~",
            effect=SnapshotEffect.JOIN_GROUP,
            after=lambda p, before: {"group_ids": [*before.get("group_ids", ()), p.group_id]},
            drift=DriftKind.GROUP,
            drift_fields=lambda p: {"group_id": p.group_id},
        ),
        KindSpec(
            ActionKind.ADOPT,
            NoPayload,
            NO_PAYLOAD,
            _no_payload,
            marker="=",
            style="dim",
            column=None,
            effect=SnapshotEffect.MANAGE,
            drift=DriftKind.ADOPTABLE,
        ),
    )
}

if set(SPECS) != set(ActionKind):  # a kind without its entry would fail far from here
    raise RuntimeError(f"no KindSpec for {sorted(set(ActionKind) - set(SPECS))}")

REVOKES: frozenset[ActionKind] = frozenset(kind for kind, spec in SPECS.items() if spec.revokes)
# The audit actions whose `after` records the type they left (the loaders' licensed_by_us).
TYPE_SETTING: tuple[str, ...] = tuple(kind.value for kind, spec in SPECS.items() if spec.sets_type)
# The audit actions that only record what they saw (adopt): a baseline for "changed by hand",
# never a change of ours, so they never stand over a change we really made, whatever the order.
SEEN_ONLY: frozenset[str] = frozenset(
    kind.value for kind, spec in SPECS.items() if spec.effect is SnapshotEffect.MANAGE
)
# policy `revoke` value -> the kind that takes a leaver's license back (Zoom Meetings).
REVOKE_KINDS: dict[str, ActionKind] = {
    spec.revoke_policy: kind
    for kind, spec in SPECS.items()
    if spec.revoke_policy is not None and spec.product != "zoom_one"
}
_ZOOM_ONE_REVOKE: dict[str, ActionKind] = {
    spec.revoke_policy: kind
    for kind, spec in SPECS.items()
    if spec.revoke_policy is not None and spec.product != "meetings"
}


@dataclass(frozen=True)
class Licensing:
    """How the plan gives and takes back the managed product (policy `license`)."""

    give: ActionKind
    give_payload: Payload
    take: ActionKind
    take_payload: Payload
    zoom_one_type: int | None = None  # the product a new user is created holding

    def revoke(self, revoke: str) -> tuple[ActionKind, ...]:
        """The kinds that take a leaver's license back under policy `revoke`, in order.

        Under a Zoom One product, "unassign" first takes the license back (Zoom refuses both in
        one PATCH, code 300), then sets type 4."""
        if self.zoom_one_type is None:
            return (REVOKE_KINDS[revoke],)
        if revoke == "unassign":
            return (ActionKind.ZOOM_ONE_OFF, ActionKind.UNASSIGN)
        return (_ZOOM_ONE_REVOKE[revoke],)


MEETINGS_LICENSING = Licensing(ActionKind.LICENSE, TO_LICENSED, ActionKind.UNLICENSE, TO_BASIC)


def licensing(zoom_one_type: int | None) -> Licensing:
    """Zoom Meetings (type 2 / 1) when None, else the Zoom One product on and off."""
    if zoom_one_type is None:
        return MEETINGS_LICENSING
    return Licensing(
        ActionKind.ZOOM_ONE_ON, ZoomOne(zoom_one_type), ActionKind.ZOOM_ONE_OFF, ZoomOne(0), zoom_one_type
    )


def spec(kind: ActionKind) -> KindSpec:
    return SPECS[kind]
