"""The Zoom side of each kind of action: how it is sent and how Zoom is read to tell whether it took.

One `Executor` per ActionKind in `EXECUTORS` (the pure side of a kind is its entry in
provision.core.actions.SPECS). `verify` is what makes resending safe: an operation whose answer
was lost is re-read first, and if Zoom already shows the target state it is done, without a
second write. Kinds whose entry says `bulk` also have `send_many`: one call for up to BULK_SIZE
actions with the same `batch_key` (by default the payload), answering per user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from provision.core.actions import SPECS, Addon, Group, MoveTo, NewUser, SetType, ZoomOne
from provision.core.plan import Action, ActionKind
from provision.core.state import BASIC_TYPE
from zoom_client import AsyncZoomClient, BulkFeatureResult, CreateAction, NotFoundError, User

P = TypeVar("P")
BULK_SIZE = 30  # POST /users/features takes at most 30 users


@dataclass
class Done:
    zoom_id: str | None = None
    observed: dict[str, Any] | None = None


Send = Callable[[AsyncZoomClient, Action], Awaitable[Done]]
Check = Callable[[AsyncZoomClient, Action], Awaitable["Done | None"]]
Listed = Callable[[Action, User], "Done | None"]
SendMany = Callable[[AsyncZoomClient, Sequence[Action]], Awaitable[BulkFeatureResult]]


def _same_payload(action: Action) -> Hashable:
    return action.payload


@dataclass(frozen=True)
class Executor:
    """How one kind is carried out in Zoom (`send`), read back (`check`), and sent in bulk.

    `send_many` takes actions whose `batch_key` is equal: they go in one call with one value.
    `listed` is `check` on a user as GET /users lists it, for kinds whose target the list shows.
    """

    send: Send
    check: Check
    send_many: SendMany | None = None
    batch_key: Callable[[Action], Hashable] = _same_payload
    listed: Listed | None = None


def user_ref(action: Action) -> str:
    # Zoom takes the email wherever a userId goes; pending users have no id at all.
    return action.zoom_id or action.email


async def _read(client: AsyncZoomClient, ref: str) -> User | None:
    try:
        return await client.users.get(ref)
    except NotFoundError:
        return None


def _payload(action: Action, kind: type[P]) -> P:
    payload = action.payload
    if not isinstance(payload, kind):  # the registry pairs them: only a hand-built Action gets here
        raise TypeError(f"{action.kind} with a {type(payload).__name__} payload")
    return payload


# ---------------------------------------------------------------- type (license)


async def _set_type(client: AsyncZoomClient, action: Action) -> Done:
    await client.users.set_type(user_ref(action), _payload(action, SetType).type)
    return Done()


async def _has_type(client: AsyncZoomClient, action: Action) -> Done | None:
    user = await _read(client, user_ref(action))
    return None if user is None else _type_is(action, user)


def _type_is(action: Action, user: User) -> Done | None:
    return Done(zoom_id=user.id) if int(user.type) == _payload(action, SetType).type else None


async def _set_types(client: AsyncZoomClient, actions: Sequence[Action]) -> BulkFeatureResult:
    """POST /users/features user_type for actions with the same SetType (Zoom takes 1, 2 and 99)."""
    return await client.users.bulk_features(
        feature_type="user_type",
        feature_value=_payload(actions[0], SetType).type,
        user_ids=[action.zoom_id or "" for action in actions],
    )


SET_TYPE = Executor(_set_type, _has_type, _set_types, listed=_type_is)


# ---------------------------------------------------------------- Zoom One / Workplace license


async def _set_zoom_one(client: AsyncZoomClient, action: Action) -> Done:
    """PATCH {"zoom_one_type": V}: one user, the fallback where the bulk call refused them."""
    await client.users.set_zoom_one_type(user_ref(action), _payload(action, ZoomOne).value)
    return Done()


async def _has_zoom_one(client: AsyncZoomClient, action: Action) -> Done | None:
    # GET /users/{id} carries zoom_one_type (the list does not); absent reads as 0, none held.
    user = await _read(client, user_ref(action))
    if user is None or int(user.zoom_one_type or 0) != _payload(action, ZoomOne).value:
        return None
    return Done(zoom_id=user.id)


async def _set_zoom_ones(client: AsyncZoomClient, actions: Sequence[Action]) -> BulkFeatureResult:
    """POST /users/features zoom_one_type for actions with the same value, 30 users a call."""
    return await client.users.bulk_zoom_one_type(
        _payload(actions[0], ZoomOne).value, user_ids=[action.zoom_id or "" for action in actions]
    )


ZOOM_ONE = Executor(_set_zoom_one, _has_zoom_one, _set_zoom_ones)


# ---------------------------------------------------------------- status


async def _deactivate(client: AsyncZoomClient, action: Action) -> Done:
    await client.users.deactivate(user_ref(action))
    return Done()


async def _activate(client: AsyncZoomClient, action: Action) -> Done:
    await client.users.activate(user_ref(action))
    return Done()


def _has_status(status: str) -> Check:
    async def check(client: AsyncZoomClient, action: Action) -> Done | None:
        user = await _read(client, user_ref(action))
        return Done(zoom_id=user.id) if user is not None and user.status == status else None

    return check


# ---------------------------------------------------------------- create


async def _create(client: AsyncZoomClient, action: Action) -> Done:
    new = _payload(action, NewUser)
    user = await client.users.create(
        email=action.email,
        # With a Zoom One product the seat is the product's: the user is made Basic holding it
        # (what type 2 does on a Workplace-only account is unverified, ZOOM_API.md §11).
        type=BASIC_TYPE if new.zoom_one_type else new.type,
        action=CreateAction(new.action),
        first_name=new.first_name,
        last_name=new.last_name,
        zoom_one_type=new.zoom_one_type,
    )
    return Done(zoom_id=user.id, observed={"zoom_id": user.id, "status": user.status})


async def _exists(client: AsyncZoomClient, action: Action) -> Done | None:
    # It exists: creating it again would only be refused (1005).
    user = await _read(client, action.email)
    if user is None:
        return None
    return Done(zoom_id=user.id, observed={"zoom_id": user.id, "status": user.status})


# ---------------------------------------------------------------- add-ons


async def _addon_on(client: AsyncZoomClient, action: Action) -> Done:
    capacity = _payload(action, Addon).capacity
    await client.users.update_features(
        user_ref(action), large_meeting=True, large_meeting_capacity=capacity if capacity is not None else 500
    )
    return Done()


async def _addon_off(client: AsyncZoomClient, action: Action) -> Done:
    await client.users.update_features(user_ref(action), large_meeting=False)
    return Done()


def _capacity(action: Action) -> int:
    capacity = _payload(action, Addon).capacity
    return capacity if capacity is not None else 500


async def _addons_on(client: AsyncZoomClient, actions: Sequence[Action]) -> BulkFeatureResult:
    """POST /users/features large_meeting (128 = 500, 256 = 1000) for actions of one capacity.

    30 users a call instead of one settings PATCH each; a user the call failed for meets
    `_addon_on` (the PATCH) alone, which answers with Zoom's own code for that user.
    """
    return await client.users.bulk_large_meeting(
        _capacity(actions[0]), user_ids=[action.zoom_id or "" for action in actions]
    )


async def _addons_off(client: AsyncZoomClient, actions: Sequence[Action]) -> BulkFeatureResult:
    """POST /users/features large_meeting 0: the add-on off, whatever capacity each one held."""
    return await client.users.bulk_large_meeting(0, user_ids=[action.zoom_id or "" for action in actions])


def _any_capacity(action: Action) -> Hashable:
    return "off"  # one value (0) takes off any capacity: the held 500s and 1000s share calls


def _holds_addon(wanted: bool) -> Check:
    async def check(client: AsyncZoomClient, action: Action) -> Done | None:
        user = await _read(client, user_ref(action))
        if user is None:
            return None
        settings = await client.users.get_settings(user.id or action.email)
        holds = bool(settings.feature is not None and settings.feature.large_meeting)
        return Done(zoom_id=user.id) if holds is wanted else None

    return check


# ---------------------------------------------------------------- groups and adoption


async def _join_group(client: AsyncZoomClient, action: Action) -> Done:
    group_id = _payload(action, Group).group_id
    if action.zoom_id:
        await client.groups.add_members(group_id, user_ids=[action.zoom_id])
    else:
        await client.groups.add_members(group_id, emails=[action.email])
    return Done()


async def _in_group(client: AsyncZoomClient, action: Action) -> Done | None:
    user = await _read(client, user_ref(action))
    if user is None or _payload(action, Group).group_id not in (user.group_ids or []):
        return None
    return Done(zoom_id=user.id)


# ---------------------------------------------------------------- account (provision.core.moves)


async def _move(client: AsyncZoomClient, action: Action) -> Done:
    # `client` is the account the user is in (action.account): the master reaches it by the id.
    await client.users.switch_account(user_ref(action), _payload(action, MoveTo).account)
    return Done()


async def _moved(client: AsyncZoomClient, action: Action) -> Done | None:
    # Gone from the account it was in: moved (nothing else removes a user of ours).
    return Done() if await _read(client, user_ref(action)) is None else None


async def _nothing(client: AsyncZoomClient, action: Action) -> Done:
    return Done()


EXECUTORS: dict[ActionKind, Executor] = {
    ActionKind.REMOVE_ADDON: Executor(_addon_off, _holds_addon(False), _addons_off, _any_capacity),
    ActionKind.UNLICENSE: SET_TYPE,
    ActionKind.ZOOM_ONE_OFF: ZOOM_ONE,
    ActionKind.UNASSIGN: SET_TYPE,  # its entry says no bulk: it goes by PATCH
    ActionKind.DEACTIVATE: Executor(_deactivate, _has_status("inactive")),
    ActionKind.MOVE: Executor(_move, _moved),
    ActionKind.REACTIVATE: Executor(_activate, _has_status("active")),
    ActionKind.CREATE: Executor(_create, _exists),
    ActionKind.LICENSE: SET_TYPE,
    ActionKind.ZOOM_ONE_ON: ZOOM_ONE,
    ActionKind.ADD_ADDON: Executor(_addon_on, _holds_addon(True), _addons_on, _capacity),
    ActionKind.ADD_TO_GROUP: Executor(_join_group, _in_group),
    ActionKind.ADOPT: Executor(_nothing, _nothing),  # no Zoom call: it only becomes managed
}

if set(EXECUTORS) != set(ActionKind):  # a kind without its executor would fail mid-apply
    raise RuntimeError(f"no Executor for {sorted(set(ActionKind) - set(EXECUTORS))}")
if missing := [k for k, s in SPECS.items() if s.bulk and EXECUTORS[k].send_many is None]:
    raise RuntimeError(f"bulk kinds without send_many: {missing}")


async def execute(client: AsyncZoomClient, action: Action) -> Done:
    """Send the one write this action needs (ADOPT needs none)."""
    return await EXECUTORS[action.kind].send(client, action)


async def verify(client: AsyncZoomClient, action: Action) -> Done | None:
    """Done if Zoom already shows what this action intends; None if it does not (or the user is gone)."""
    return await EXECUTORS[action.kind].check(client, action)


def listable(action: Action) -> bool:
    """Whether GET /users (the list) shows if this action took (`verify_listed`)."""
    return EXECUTORS[action.kind].listed is not None


def verify_listed(action: Action, user: User) -> Done | None:
    """`verify` from the user as the list shows them (a `listable` action, the user it names)."""
    listed = EXECUTORS[action.kind].listed
    if listed is None:
        raise TypeError(f"{action.kind} cannot be read back from the user list")
    return listed(action, user)


def batch_key(action: Action) -> Hashable:
    """Actions of one bulk kind with equal keys can share one call (same type, same capacity)."""
    return EXECUTORS[action.kind].batch_key(action)


async def execute_many(client: AsyncZoomClient, actions: Sequence[Action]) -> BulkFeatureResult:
    """One call for up to BULK_SIZE actions of one bulk kind with one payload, all with a zoom_id."""
    send_many = EXECUTORS[actions[0].kind].send_many
    if send_many is None:
        raise TypeError(f"{actions[0].kind} cannot be sent in bulk")
    return await send_many(client, actions)
