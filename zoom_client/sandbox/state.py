"""The state of one simulated Zoom account: users, seats, add-on pools, groups.

Plain Python, no HTTP: the ASGI routes and both in-process transports call the same methods
(through ``zoom_client.sandbox.api``). Every operation is O(1) in the number of users: users are
kept in dicts by id and by email, and the seat counters are updated as users change instead of
being recounted, so an account of 100,000 users stays fast.

Zoom's rules enforced here (../shared/ZOOM_API.md §1, §2, §9):
- licensing beyond the purchased seats: 400 / 2034 (pending Licensed invitations hold seats);
- a Basic user beyond the Basic ceiling: 400 / 3412 (activate: 2033);
- a large meeting (or webinar) add-on on a non-Licensed user: 400 / 1108; pool exhausted: 400 / 200;
- downgrading a user who still holds an add-on: 400 / 1108 (revoke add-ons first, as Zoom asks);
- deactivation takes every license (type 1, add-ons off);
- ``action=create`` makes a pending user until :meth:`accept_invitations`.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zoom_client.sandbox.clock import SandboxClock
from zoom_client.sandbox.errors import ZoomFail, group_missing, invalid_field, user_missing
from zoom_client.sandbox.groups import GroupsMixin
from zoom_client.sandbox.ids import iso, new_id

BASIC, LICENSED, UNASSIGNED, NONE = 1, 2, 4, 99
USER_TYPES = (BASIC, LICENSED, UNASSIGNED, NONE)
STATUSES = ("active", "inactive", "pending")
ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
#: POST /users/features large_meeting values -> capacity (0 = off)
LARGE_MEETING_VALUES = {"0": 0, "128": 500, "256": 1000}
#: fields a list item carries (GET /users leaves out language and the add-on settings)
_LIST_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "type",
    "pmi",
    "timezone",
    "verified",
    "dept",
    "user_created_at",
    "created_at",
    "last_login_time",
    "last_client_version",
    "group_ids",
    "role_id",
    "status",
)


@dataclass
class Cursor:
    """A list walk: the ids at the time of the first page, where the next page starts."""

    signature: tuple[Any, ...]
    ids: list[str]
    offset: int
    expires_at: float


@dataclass
class Account(GroupsMixin):
    """One Zoom account (the master or a sub-account)."""

    account_id: str
    seats: int
    large_meeting_seats: dict[int, int]
    webinar_seats: dict[int, int]
    basic_ceiling: int
    clock: SandboxClock
    rng: random.Random
    account_name: str = "Sandbox account"
    owner_email: str = "owner@sandbox.invalid"
    users_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids_by_email: dict[str, str] = field(default_factory=dict)
    #: status -> ordered set of ids (list order = the order users reached that status)
    by_status: dict[str, dict[str, None]] = field(default_factory=lambda: {s: {} for s in STATUSES})
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_ids_by_name: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    cursors: dict[str, Cursor] = field(default_factory=dict)

    # ------------------------------------------------------------------ counters
    def _contributions(self, user: dict[str, Any]) -> list[str]:
        status, utype = user["status"], user["type"]
        keys = [f"status:{status}", f"type:{utype}:{status}"]
        if utype == LICENSED:
            keys.append("pending_licensed" if status == "pending" else "licensed")
        elif utype == BASIC and status in ("active", "pending"):
            keys.append("basic")
        feature = user["feature"]
        if feature.get("large_meeting"):
            keys.append(f"large_meeting:{feature.get('large_meeting_capacity')}")
        if feature.get("webinar"):
            keys.append(f"webinar:{feature.get('webinar_capacity')}")
        return keys

    def _uncount(self, user: dict[str, Any]) -> None:
        for key in self._contributions(user):
            self.counts[key] -= 1

    def _count(self, user: dict[str, Any]) -> None:
        for key in self._contributions(user):
            self.counts[key] += 1

    def free_seats(self) -> int:
        return self.seats - self.counts["licensed"] - self.counts["pending_licensed"]

    def licensed_count(self) -> int:
        return self.counts["licensed"]

    # ------------------------------------------------------------------ lookups
    def find(self, user_id_or_email: str) -> dict[str, Any] | None:
        user = self.users_by_id.get(user_id_or_email)
        if user is None and "@" in user_id_or_email:
            uid = self.ids_by_email.get(user_id_or_email.strip().lower())
            user = self.users_by_id.get(uid) if uid else None
        return user

    def get(self, user_id_or_email: str) -> dict[str, Any]:
        user = self.find(user_id_or_email)
        if user is None:
            raise user_missing(user_id_or_email)
        return user

    # ------------------------------------------------------------------ seat checks
    def _check_type(self, user: dict[str, Any] | None, new_type: int, *, creating: bool, action: str) -> None:
        if new_type not in USER_TYPES:
            raise invalid_field("type", f"Invalid user type: {new_type}.")
        if (
            new_type == NONE
            and action != "ssoCreate"
            and (user is None or user.get("_action") != "ssoCreate")
        ):
            raise ZoomFail(400, 300, "User type 99 (None) can only be set for users created with ssoCreate.")
        old_type = None if user is None else user["type"]
        if new_type == old_type:
            return
        if new_type == LICENSED and self.free_seats() <= 0:
            if creating:
                message = (
                    "Your request to add a new Licensed user could not be approved at this time because "
                    f"your account has reached the permitted maximum number of {self.seats} Licensed users. "
                    "Please purchase additional licenses or contact the Zoom support team to provision "
                    "additional users in your account."
                )
            else:
                message = (
                    "Your request to convert the plan type of this user to Licensed was not approved at "
                    "this time because your account has reached the permitted maximum number of "
                    f"{self.seats} Licensed users. Please purchase additional licenses or contact the Zoom "
                    "support team to provision additional users in your account."
                )
            raise ZoomFail(400, 2034, message)
        if new_type == BASIC and self.counts["basic"] >= self.basic_ceiling:
            if creating:
                message = (
                    "Your request to add a basic user could not be approved at this time because your "
                    f"account has reached the permitted maximum number of {self.basic_ceiling} basic users. "
                    "Please remove existing basic user(s) from your Users list or the Pending Users list "
                    "before attempting to add another user."
                )
            else:
                message = (
                    "Your request to convert the user type of this Licensed user to a basic user was not "
                    "approved at this time because your account has reached the permitted maximum number "
                    f"of {self.basic_ceiling} basic users. Please remove existing basic user(s) from your "
                    "Users list or the Pending Users list before attempting to convert a paying user to a "
                    "basic user."
                )
            raise ZoomFail(400, 3412, message)
        if user is not None and old_type == LICENSED and _holds_addon(user):
            raise ZoomFail(
                400,
                1108,
                "Permission requirements to change the user type of this user were not met. "
                "Remove the user's Large Meeting or Webinar add-on first.",
            )

    # ------------------------------------------------------------------ users
    def create_user(
        self,
        *,
        action: str,
        email: str,
        type: int,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
        status: str | None = None,
        last_login_time: datetime | None = None,
        user_id: str | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        if action not in ACTIONS:
            raise invalid_field("action", f"Invalid action: {action}.")
        key = email.strip().lower()
        if not key or "@" not in key or len(key) > 128:
            raise invalid_field("user_info.email", "Invalid email.")
        if key in self.ids_by_email:
            raise ZoomFail(409, 1005, f"Email {email.strip()} has already been used.")
        if check:
            self._check_type(None, type, creating=True, action=action)
        elif type not in USER_TYPES and not isinstance(type, int):
            raise invalid_field("type")
        now = self.clock.now()
        uid = user_id or new_id(self.rng)
        while uid in self.users_by_id:
            uid = new_id(self.rng)
        user: dict[str, Any] = {
            "id": uid,
            "email": email.strip(),
            "first_name": first_name or "",
            "last_name": last_name or "",
            "display_name": display_name or " ".join(p for p in (first_name, last_name) if p) or "",
            "type": type,
            "status": status or ("pending" if action == "create" else "active"),
            "pmi": self.rng.randrange(1_000_000_000, 9_999_999_999),
            "timezone": "",
            "verified": 1 if action != "create" else 0,
            "dept": "",
            "user_created_at": iso(now),
            "created_at": iso(now),
            "last_login_time": iso(last_login_time),
            "last_client_version": None,
            "group_ids": [],
            "role_id": "2",
            "language": "en-US",
            "feature": {
                "large_meeting": False,
                "large_meeting_capacity": None,
                "webinar": False,
                "webinar_capacity": None,
                "meeting_capacity": 300,
            },
            "_action": action,
        }
        self.users_by_id[uid] = user
        self.ids_by_email[key] = uid
        self.by_status[user["status"]][uid] = None
        self._count(user)
        return user

    def update_user(self, user_id: str, changes: dict[str, Any]) -> None:
        user = self.get(user_id)
        if "type" in changes and changes["type"] is not None:
            new_type = changes["type"]
            if not isinstance(new_type, int) or isinstance(new_type, bool):
                raise invalid_field("type")
            self._check_type(user, new_type, creating=False, action=user.get("_action", ""))
        if changes.get("group_id"):
            group = self.groups.get(changes["group_id"])
            if group is None:
                raise group_missing(changes["group_id"])
        for name in ("first_name", "last_name"):
            if changes.get(name) is not None and len(str(changes[name])) > 64:
                raise invalid_field(name, "Length must be at most 64.")
        self._uncount(user)
        for name, value in changes.items():
            if value is None:
                continue
            if name == "group_id":
                # Zoom honours group_id only for pending users: the others keep their groups.
                if user["status"] == "pending":
                    self._join_group(self.groups[value], user)
                continue
            user[name] = value
        self._count(user)

    def set_status(self, user_id: str, action: str) -> None:
        user = self.get(user_id)
        if action not in ("activate", "deactivate"):
            raise invalid_field("action", f"Invalid action: {action}.")
        if user["status"] == "pending":
            raise ZoomFail(
                400, 1120, "A valid invitation to join the Zoom account was not found for this user."
            )
        if action == "activate":
            if user["status"] == "active":
                return
            if user["type"] == BASIC and self.counts["basic"] >= self.basic_ceiling:
                raise ZoomFail(
                    400,
                    2033,
                    "Your request to activate the basic user was not approved because you have already "
                    "reached the maximum basic user limit.",
                )
            self._move(user, "active")
            return
        if user["status"] == "inactive":
            return
        # Deactivation takes every license the user holds (Zoom's rule, ZOOM_API.md §1.6).
        self._uncount(user)
        user["type"] = BASIC if user["type"] == LICENSED else user["type"]
        user["feature"].update(
            large_meeting=False, large_meeting_capacity=None, webinar=False, webinar_capacity=None
        )
        self._count(user)
        self._move(user, "inactive")

    def _move(self, user: dict[str, Any], status: str) -> None:
        self._uncount(user)
        del self.by_status[user["status"]][user["id"]]
        user["status"] = status
        self.by_status[status][user["id"]] = None
        self._count(user)

    def remove_user(self, user_id: str, action: str) -> None:
        user = self.get(user_id)
        if action not in ("disassociate", "delete"):
            raise invalid_field("action", f"Invalid action: {action}.")
        if action == "delete" and user["status"] == "pending":
            raise ZoomFail(400, 3001, "Pending users can only be removed with action=disassociate.")
        self._uncount(user)
        del self.by_status[user["status"]][user["id"]]
        del self.users_by_id[user["id"]]
        del self.ids_by_email[user["email"].lower()]
        for gid in user["group_ids"]:
            group = self.groups.get(gid)
            if group is not None:
                group["members"].pop(user["id"], None)

    def accept_invitations(self) -> int:
        pending = list(self.by_status["pending"])
        now = iso(self.clock.now())
        for uid in pending:
            user = self.users_by_id[uid]
            user["verified"] = 1
            user["last_login_time"] = now
            self._move(user, "active")
        return len(pending)

    # ------------------------------------------------------------------ add-ons
    def settings_of(self, user_id: str) -> dict[str, Any]:
        user = self.get(user_id)
        feature = {k: v for k, v in user["feature"].items() if v is not None}
        return {
            "schedule_meeting": {"host_video": False, "participants_video": False},
            "in_meeting": {"breakout_room": True, "waiting_room": True},
            "feature": feature,
        }

    def update_features(self, user_id: str, feature: dict[str, Any]) -> None:
        user = self.get(user_id)
        current = user["feature"]
        wanted = dict(current)
        for kind in ("large_meeting", "webinar"):
            if kind in feature and feature[kind] is not None:
                wanted[kind] = bool(feature[kind])
            cap_key = f"{kind}_capacity"
            if feature.get(cap_key) is not None:
                wanted[cap_key] = int(feature[cap_key])
            if wanted[kind] and wanted.get(cap_key) is None:
                wanted[cap_key] = 500
            if not wanted[kind]:
                wanted[cap_key] = None
        for kind, pools in (("large_meeting", self.large_meeting_seats), ("webinar", self.webinar_seats)):
            cap_key = f"{kind}_capacity"
            if not wanted[kind] or (current[kind] and current[cap_key] == wanted[cap_key]):
                continue
            if kind == "large_meeting" and wanted[cap_key] not in (500, 1000):
                raise invalid_field("feature.large_meeting_capacity", "Must be 500 or 1000.")
            if user["type"] != LICENSED:
                if kind == "large_meeting":
                    raise ZoomFail(
                        400, 1108, "Only Licensed or On-prem users can enable the large meeting feature."
                    )
                raise ZoomFail(400, 1122, "Only Licensed or On-prem users can enable the webinar feature.")
            capacity = wanted[cap_key]
            hosts = pools.get(capacity, 0)
            if self.counts[f"{kind}:{capacity}"] >= hosts:
                label = "Large" if kind == "large_meeting" else "Webinar"
                raise ZoomFail(400, 200, f"You can add max {hosts} {label} {capacity} users.")
        self._uncount(user)
        for key in ("large_meeting", "large_meeting_capacity", "webinar", "webinar_capacity"):
            current[key] = wanted[key]
        if "meeting_capacity" in feature and feature["meeting_capacity"] is not None:
            current["meeting_capacity"] = feature["meeting_capacity"]
        self._count(user)

    def bulk_features(
        self, feature_type: str, feature_value: str, refs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if not refs:
            raise invalid_field("users", "At least one user is required.")
        if len(refs) > 30:
            raise invalid_field("users", "At most 30 users a request.")
        value = str(feature_value)
        if feature_type == "user_type":
            if value not in ("1", "2", "99"):
                raise invalid_field("feature_value", f"Invalid user type: {value}.")
        elif feature_type == "large_meeting":
            if value not in LARGE_MEETING_VALUES:
                raise invalid_field("feature_value", f"Invalid large meeting value: {value}.")
        else:
            raise invalid_field("feature_type", f"Unsupported feature type in the sandbox: {feature_type}.")
        success: list[str] = []
        failures: dict[str, list[str]] = {}
        for ref in refs:
            key = str(ref.get("id") or ref.get("email") or "")
            user = self.find(key) if key else None
            if user is None:
                failures.setdefault("User does not exist", []).append(key)
                continue
            try:
                if feature_type == "user_type":
                    self.update_user(user["id"], {"type": int(value)})
                else:
                    capacity = LARGE_MEETING_VALUES[value]
                    self.update_features(
                        user["id"],
                        {"large_meeting": bool(capacity), "large_meeting_capacity": capacity or None},
                    )
            except ZoomFail as fail:
                reason = "Not enough seats" if fail.code in (2034, 200, 3412) else fail.message
                failures.setdefault(reason, []).append(user["id"])
            else:
                success.append(user["id"])
        return {
            "success_user_ids": success,
            "fail_details": [{"user_ids": ids, "reason": reason} for reason, ids in failures.items()],
        }

    # ------------------------------------------------------------------ views
    def list_item(self, user: dict[str, Any]) -> dict[str, Any]:
        item = {k: user[k] for k in _LIST_FIELDS if user.get(k) is not None}
        if user["status"] == "pending":
            item.pop("id", None)  # Zoom lists pending users without an id: key them by email
        return item

    def detail(self, user: dict[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in user.items() if not k.startswith("_") and k != "feature" and v is not None}
        item["account_id"] = self.account_id
        if user["status"] == "pending":
            item["created_at"] = iso(self.clock.now())  # Zoom: the time of the call for pending users
        return item

    def summary(self) -> dict[str, int]:
        c = self.counts
        return {
            "licensed_users_count": c["type:2:active"] + c["type:2:inactive"],
            "basic_users_count": c["type:1:active"] + c["type:1:inactive"],
            "on_prem_users_count": 0,
            "room_users_count": 0,
            "pending_users_count": c["status:pending"],
            "join_only_users_count": c["type:4:active"] + c["type:4:inactive"],
            "total_users_count": len(self.users_by_id),
        }

    def plan_usage(self) -> dict[str, Any]:
        def pool(kind: str, prefix: str, pools: dict[int, int]) -> list[dict[str, Any]]:
            return [
                {
                    "type": f"{prefix}{capacity}_monthly",
                    "hosts": hosts,
                    "usage": self.counts[f"{kind}:{capacity}"],
                    "pending": 0,
                }
                for capacity, hosts in sorted(pools.items())
                if hosts or self.counts[f"{kind}:{capacity}"]
            ]

        return {
            "plan_base": {
                "type": "monthly",
                "hosts": self.seats,
                "usage": self.counts["licensed"],
                "pending": self.counts["pending_licensed"],
                "active_hosts": self.counts["type:2:active"],
            },
            "plan_large_meeting": pool("large_meeting", "large", self.large_meeting_seats),
            "plan_webinar": pool("webinar", "webinar", self.webinar_seats),
        }

    # ------------------------------------------------------------------ pagination
    def page(
        self,
        kind: str,
        ids_factory: Any,
        *,
        signature: tuple[Any, ...],
        page_size: int,
        token: str | None,
        ttl: float,
        token_rng: random.Random,
    ) -> tuple[list[str], str, int]:
        """One page of a walk: (ids, next_page_token or "", total_records)."""
        now = self.clock.monotonic()
        if token:
            cursor = self.cursors.pop(token, None)
            if cursor is None or cursor.expires_at <= now or cursor.signature != (kind, *signature):
                raise ZoomFail(400, 300, "The next page token is invalid or expired.")
        else:
            if len(self.cursors) > 1000:
                for key in [k for k, c in self.cursors.items() if c.expires_at <= now]:
                    del self.cursors[key]
            cursor = Cursor((kind, *signature), list(ids_factory()), 0, 0.0)
        ids = cursor.ids[cursor.offset : cursor.offset + page_size]
        next_offset = cursor.offset + page_size
        next_token = ""
        if next_offset < len(cursor.ids):
            next_token = new_id(token_rng, 32)
            self.cursors[next_token] = Cursor(cursor.signature, cursor.ids, next_offset, now + ttl)
        return ids, next_token, len(cursor.ids)

    # ------------------------------------------------------------------ persistence
    def to_data(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "seats": self.seats,
            "users": list(self.users_by_id.values()),
            "order": {s: list(ids) for s, ids in self.by_status.items()},
            "groups": [
                {"id": g["id"], "name": g["name"], "members": list(g["members"])}
                for g in self.groups.values()
            ],
        }

    def load_data(self, data: dict[str, Any]) -> None:
        self.seats = int(data.get("seats", self.seats))
        for user in data.get("users", []):
            self.users_by_id[user["id"]] = user
            self.ids_by_email[user["email"].lower()] = user["id"]
            self._count(user)
        for status, ids in data.get("order", {}).items():
            self.by_status[status] = dict.fromkeys(ids)
        for g in data.get("groups", []):
            self.groups[g["id"]] = {"id": g["id"], "name": g["name"], "members": dict.fromkeys(g["members"])}
            self.group_ids_by_name[g["name"].lower()] = g["id"]


def _holds_addon(user: dict[str, Any]) -> bool:
    return bool(user["feature"].get("large_meeting") or user["feature"].get("webinar"))
