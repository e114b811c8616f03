"""Groups (one per school): list, get, create, delete, members (list, add, remove, move)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from zoom_client._bodies import GroupBody, GroupMembersBody, MoveMemberBody, UserRef
from zoom_client._resource import Resource, parse, segment
from zoom_client.models import Group, GroupMember
from zoom_client.paginate import AsyncPaginator

MEMBERS_MAX = 30  # POST /groups/{id}/members takes at most 30 members a call


class Groups(Resource):
    """``client.groups`` (or ``client.sub_account(id).groups``)."""

    def list(self, *, page_size: int = 300) -> AsyncPaginator[Group]:
        return AsyncPaginator(
            self._requester,
            f"{self._prefix}/groups",
            key="groups",
            model=Group,
            params={"page_size": page_size},
        )

    async def get(self, group_id: str) -> Group:
        """NotFoundError with code 4130 (``is_group_missing()``) if there is no such group."""
        path = f"{self._prefix}/groups/{segment(group_id, 'group id')}"
        return parse(Group, await self._requester.json("GET", path), "GET", path)

    async def create(self, name: str) -> Group:
        """POST /groups (201). ConflictError 4132 (``is_group_name_taken()``) if the name is used;
        Zoom allows 100 new groups a day per account."""
        path = f"{self._prefix}/groups"
        data = await self._requester.json("POST", path, json_body=GroupBody(name=name).payload())
        return parse(Group, data, "POST", path)

    async def delete(self, group_id: str) -> None:
        path = f"{self._prefix}/groups/{segment(group_id, 'group id')}"
        await self._requester.request("DELETE", path)

    def list_members(self, group_id: str, *, page_size: int = 300) -> AsyncPaginator[GroupMember]:
        return AsyncPaginator(
            self._requester,
            f"{self._prefix}/groups/{segment(group_id, 'group id')}/members",
            key="members",
            model=GroupMember,
            params={"page_size": page_size},
        )

    async def add_members(
        self, group_id: str, *, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> builtins.list[str]:  # `list` here is the method above
        """Add up to 30 users by id or email; returns the ids Zoom reports added."""
        if isinstance(user_ids, str) or isinstance(emails, str):
            raise TypeError("user_ids and emails are sequences of strings, not one string")
        refs = [UserRef(id=u) for u in user_ids] + [UserRef(email=e) for e in emails]
        if not refs:
            raise ValueError("add_members needs at least one user id or email")
        if len(refs) > MEMBERS_MAX:
            raise ValueError(f"add_members takes at most {MEMBERS_MAX} members a call, got {len(refs)}")
        path = f"{self._prefix}/groups/{segment(group_id, 'group id')}/members"
        data: Any = await self._requester.json(
            "POST", path, json_body=GroupMembersBody(members=refs).payload()
        )
        ids = (data or {}).get("ids") if isinstance(data, dict) else None
        if isinstance(ids, str):  # Zoom answers a comma-separated string
            return [i for i in ids.split(",") if i]
        return [str(i) for i in ids] if isinstance(ids, list) else []

    async def remove_member(self, group_id: str, member_id: str) -> None:
        path = (
            f"{self._prefix}/groups/{segment(group_id, 'group id')}/members/{segment(member_id, 'member id')}"
        )
        await self._requester.request("DELETE", path)

    async def move_member(self, group_id: str, member_id: str, *, target_group_id: str) -> None:
        """Move a member from this group to ``target_group_id`` (PATCH …/members/{memberId})."""
        segment(target_group_id, "target group id")
        path = (
            f"{self._prefix}/groups/{segment(group_id, 'group id')}/members/{segment(member_id, 'member id')}"
        )
        body = MoveMemberBody(action="move", target_group_id=target_group_id)
        await self._requester.request("PATCH", path, json_body=body.payload())
