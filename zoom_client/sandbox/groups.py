"""The groups of a simulated account (a mixin of ``state.Account``): create, rename, delete,
members (add by id or email, remove, move, set primary). Zoom's codes: 4130 missing group, 4132
name in use, 4133 more than 5,000 groups, 4138 not a member."""

from __future__ import annotations

import random
from typing import Any

from zoom_client.sandbox.errors import ZoomFail, group_missing, invalid_field
from zoom_client.sandbox.ids import new_id


class GroupsMixin:
    """Needs ``groups``, ``group_ids_by_name``, ``users_by_id``, ``rng``, ``find`` and ``get``."""

    groups: dict[str, dict[str, Any]]
    group_ids_by_name: dict[str, str]
    users_by_id: dict[str, dict[str, Any]]
    rng: random.Random

    def find(self, user_id_or_email: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def get(self, user_id_or_email: str) -> dict[str, Any]:
        raise NotImplementedError

    def group(self, group_id: str) -> dict[str, Any]:
        group = self.groups.get(group_id)
        if group is None:
            raise group_missing(group_id)
        return group

    def group_view(self, group: dict[str, Any]) -> dict[str, Any]:
        return {"id": group["id"], "name": group["name"], "total_members": len(group["members"])}

    def create_group(self, name: str, *, group_id: str | None = None) -> dict[str, Any]:
        name = (name or "").strip()
        if not name:
            raise invalid_field("name", "Group name is required.")
        if name.lower() in self.group_ids_by_name:
            raise ZoomFail(409, 4132, f"Group name {name} is already in use.")
        if len(self.groups) >= 5000:
            raise ZoomFail(400, 4133, "The account has reached the maximum of 5000 groups.")
        gid = group_id or new_id(self.rng)
        group = {"id": gid, "name": name, "members": {}}
        self.groups[gid] = group
        self.group_ids_by_name[name.lower()] = gid
        return group

    def rename_group(self, group_id: str, name: str) -> None:
        group = self.group(group_id)
        key = (name or "").strip().lower()
        if not key:
            raise invalid_field("name", "Group name is required.")
        if key in self.group_ids_by_name and self.group_ids_by_name[key] != group_id:
            raise ZoomFail(409, 4132, f"Group name {name} is already in use.")
        del self.group_ids_by_name[group["name"].lower()]
        group["name"] = name.strip()
        self.group_ids_by_name[key] = group_id

    def delete_group(self, group_id: str) -> None:
        group = self.group(group_id)
        for uid in group["members"]:
            user = self.users_by_id.get(uid)
            if user is not None and group_id in user["group_ids"]:
                user["group_ids"].remove(group_id)
        del self.groups[group_id]
        del self.group_ids_by_name[group["name"].lower()]

    def _join_group(self, group: dict[str, Any], user: dict[str, Any]) -> None:
        group["members"][user["id"]] = None
        if group["id"] not in user["group_ids"]:
            user["group_ids"].append(group["id"])

    def add_members(self, group_id: str, refs: list[dict[str, Any]]) -> list[str]:
        group = self.group(group_id)
        if not refs:
            raise invalid_field("members", "At least one member is required.")
        if len(refs) > 30:
            raise invalid_field("members", "At most 30 members a request.")
        added: list[str] = []
        for ref in refs:
            key = str(ref.get("id") or ref.get("email") or "")
            user = self.find(key) if key else None
            if user is None:
                continue  # Zoom skips users that are not in the account
            self._join_group(group, user)
            added.append(user["id"])
        return added

    def remove_member(self, group_id: str, member_id: str) -> None:
        group = self.group(group_id)
        user = self.get(member_id)
        if user["id"] not in group["members"]:
            raise ZoomFail(400, 4138, f"User {member_id} is not a member of group {group_id}.")
        del group["members"][user["id"]]
        user["group_ids"].remove(group_id)

    def move_member(self, group_id: str, member_id: str, action: str, target_group_id: str | None) -> None:
        group = self.group(group_id)
        user = self.get(member_id)
        if action == "set_primary":
            if user["id"] not in group["members"]:
                raise ZoomFail(400, 4138, f"User {member_id} is not a member of group {group_id}.")
            user["group_ids"].remove(group_id)
            user["group_ids"].insert(0, group_id)
            return
        if action != "move":
            raise invalid_field("action", f"Invalid action: {action}.")
        if not target_group_id:
            raise invalid_field("target_group_id", "Required for action=move.")
        target = self.group(target_group_id)
        if user["id"] not in group["members"]:
            raise ZoomFail(400, 4138, f"User {member_id} is not a member of group {group_id}.")
        del group["members"][user["id"]]
        user["group_ids"].remove(group_id)
        self._join_group(target, user)
