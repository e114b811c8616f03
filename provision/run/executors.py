"""One Zoom call per action kind, and how to tell from Zoom whether an action already took effect.

`verify` is what makes resending safe: an operation whose answer was lost is re-read first, and
if Zoom already shows the target state it is done, without a second write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provision.core.plan import Action, ActionKind
from zoom_client import AsyncZoomClient, CreateAction, NotFoundError, UserType


@dataclass
class Done:
    zoom_id: str | None = None
    observed: dict[str, Any] | None = None


def user_ref(action: Action) -> str:
    # Zoom takes the email wherever a userId goes; pending users have no id at all.
    return action.zoom_id or action.email


def target_type(action: Action) -> int:
    default = UserType.BASIC if action.kind is ActionKind.UNLICENSE else UserType.LICENSED
    return int(action.payload.get("type", default))


async def execute(client: AsyncZoomClient, action: Action) -> Done:
    """Send the one write this action needs (ADOPT needs none)."""
    kind = action.kind
    ref = user_ref(action)
    if kind in (ActionKind.LICENSE, ActionKind.UNLICENSE):
        await client.users.set_type(ref, target_type(action))
    elif kind is ActionKind.DEACTIVATE:
        await client.users.deactivate(ref)
    elif kind is ActionKind.REACTIVATE:
        await client.users.activate(ref)
    elif kind is ActionKind.ADD_ADDON:
        await client.users.update_features(
            ref, large_meeting=True, large_meeting_capacity=int(action.payload.get("capacity", 500))
        )
    elif kind is ActionKind.REMOVE_ADDON:
        await client.users.update_features(ref, large_meeting=False)
    elif kind is ActionKind.ADD_TO_GROUP:
        group_id = str(action.payload["group_id"])
        if action.zoom_id:
            await client.groups.add_members(group_id, user_ids=[action.zoom_id])
        else:
            await client.groups.add_members(group_id, emails=[action.email])
    elif kind is ActionKind.CREATE:
        payload = action.payload
        user = await client.users.create(
            email=action.email,
            type=int(payload.get("type", UserType.LICENSED)),
            action=CreateAction(str(payload.get("action", CreateAction.CREATE))),
            first_name=payload.get("first_name"),
            last_name=payload.get("last_name"),
        )
        return Done(zoom_id=user.id, observed={"zoom_id": user.id, "status": user.status})
    return Done()


async def verify(client: AsyncZoomClient, action: Action) -> Done | None:
    """Done if Zoom already shows what this action intends; None if it does not (or the user is gone)."""
    kind = action.kind
    if kind is ActionKind.ADOPT:
        return Done()
    try:
        user = await client.users.get(user_ref(action) if kind is not ActionKind.CREATE else action.email)
    except NotFoundError:
        return None
    if kind in (ActionKind.LICENSE, ActionKind.UNLICENSE):
        ok = int(user.type) == target_type(action)
    elif kind is ActionKind.DEACTIVATE:
        ok = user.status == "inactive"
    elif kind is ActionKind.REACTIVATE:
        ok = user.status == "active"
    elif kind is ActionKind.CREATE:
        ok = True  # it exists: creating it again would only be refused (1005)
        return Done(zoom_id=user.id, observed={"zoom_id": user.id, "status": user.status})
    elif kind is ActionKind.ADD_TO_GROUP:
        ok = str(action.payload.get("group_id")) in (user.group_ids or [])
    elif kind in (ActionKind.ADD_ADDON, ActionKind.REMOVE_ADDON):
        settings = await client.users.get_settings(user.id or action.email)
        holds = bool(settings.feature is not None and settings.feature.large_meeting)
        ok = holds if kind is ActionKind.ADD_ADDON else not holds
    else:
        ok = False
    return Done(zoom_id=user.id) if ok else None
