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
- deactivation takes every license (type 1, Zoom One off, add-ons off);
- ``action=create`` makes a pending user until :meth:`accept_invitations`; a PATCH of its type
  (or zoom_one_type) answers 204 and changes nothing; the invitation expires after
  ``invitation_days`` (the user leaves the pending list, GET answers 400 / 1120);
- Zoom One / Workplace seats per zoom_one_type (2034 when none is left; 2039 when taking one back
  would pass the Basic cap); no plan_base: type 2 is refused;
- type 4 ("Unassigned without Meetings Basic") holds no seat and is outside the Basic cap;
- create-action prerequisites (``rules.create_refusal``); owner and admins cannot be
  deactivated (200) or disassociated (1117).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from zoom_client.sandbox.addons import AddonsViewsMixin
from zoom_client.sandbox.clock import SandboxClock
from zoom_client.sandbox.errors import ZoomFail, group_missing, invalid_field, user_missing
from zoom_client.sandbox.groups import GroupsMixin
from zoom_client.sandbox.ids import iso, new_id
from zoom_client.sandbox.rules import create_refusal

if TYPE_CHECKING:
    from zoom_client.sandbox.config import SandboxConfig

BASIC, LICENSED, UNASSIGNED, NONE = 1, 2, 4, 99
USER_TYPES = (BASIC, LICENSED, UNASSIGNED, NONE)
STATUSES = ("active", "inactive", "pending")
ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
_EXPIRED = "A valid invitation to join the Zoom account was not found for this user."
_ADMIN_ROLES = ("0", "1")  # owner, admin: cannot be deactivated or disassociated


@dataclass
class Cursor:
    """A list walk: the ids at the time of the first page, where the next page starts."""

    signature: tuple[Any, ...]
    ids: list[str]
    offset: int
    expires_at: float


@dataclass
class Account(AddonsViewsMixin, GroupsMixin):
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
    #: the account's rules (SandboxConfig); None = a bare account with the defaults' leniency
    #: for direct state tests only
    config: SandboxConfig | None = None
    #: Zoom One / Workplace seats by zoom_one_type
    zoom_one_seats: dict[int, int] = field(default_factory=dict)
    #: invitations that expired: id -> user, email -> id (GET answers 1120)
    expired: dict[str, dict[str, Any]] = field(default_factory=dict)
    expired_ids_by_email: dict[str, str] = field(default_factory=dict)
    #: called as on_change(user, field, old, new) after an API call changed type / zoom_one_type
    on_change: Callable[[dict[str, Any], str, Any, Any], None] | None = None

    # ------------------------------------------------------------------ counters
    def _contributions(self, user: dict[str, Any]) -> list[str]:
        status, utype = user["status"], user["type"]
        keys = [f"status:{status}", f"type:{utype}:{status}"]
        one = user.get("zoom_one_type") or 0
        if one:
            # A Zoom One / Workplace holder counts in that pool only: not plan_base, not Basic.
            keys.append(f"zoom_one_pending:{one}" if status == "pending" else f"zoom_one:{one}")
        elif utype == LICENSED:
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

    @property
    def has_plan_base(self) -> bool:
        return self.config is None or self.config.plan_base

    def free_seats(self) -> int:
        seats = self.seats if self.has_plan_base else 0
        return seats - self.counts["licensed"] - self.counts["pending_licensed"]

    def zoom_one_free(self, value: int) -> int:
        held = self.counts[f"zoom_one:{value}"] + self.counts[f"zoom_one_pending:{value}"]
        return self.zoom_one_seats.get(value, 0) - held

    def _basic_full(self) -> bool:
        return self.counts["basic"] >= self.basic_ceiling

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
            key = user_id_or_email.strip().lower()
            if user_id_or_email in self.expired or key in self.expired_ids_by_email:
                raise ZoomFail(400, 1120, _EXPIRED)
            raise user_missing(user_id_or_email)
        return user

    # ------------------------------------------------------------------ invitations
    def expire_invitations(self) -> int:
        """Invitations older than ``invitation_days`` leave the account (Zoom: 30 days).

        Pending users sit in ``by_status["pending"]`` in invitation order, so only the front is
        looked at: O(expired), not O(pending), per request."""
        days = self.config.invitation_days if self.config is not None else None
        if days is None:
            return 0
        limit = self.clock.now().timestamp() - days * 86400.0
        gone = 0
        pending = self.by_status["pending"]
        while pending:
            uid = next(iter(pending))
            user = self.users_by_id[uid]
            if user.get("_invited_at", math.inf) > limit:
                break
            self._forget(user)
            self.expired[uid] = user
            self.expired_ids_by_email[user["email"].lower()] = uid
            gone += 1
        return gone

    def admit(self, user: dict[str, Any]) -> None:
        """Take in a user moved here from another account of the same master (its groups stay behind)."""
        user["group_ids"] = []
        self.users_by_id[user["id"]] = user
        self.ids_by_email[user["email"].lower()] = user["id"]
        self.by_status[user["status"]][user["id"]] = None
        self._count(user)

    def _forget(self, user: dict[str, Any]) -> None:
        self._uncount(user)
        del self.by_status[user["status"]][user["id"]]
        del self.users_by_id[user["id"]]
        del self.ids_by_email[user["email"].lower()]
        for gid in user["group_ids"]:
            group = self.groups.get(gid)
            if group is not None:
                group["members"].pop(user["id"], None)

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
        if new_type == BASIC and self._basic_full() and not (user is not None and _holds_zoom_one(user)):
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

    def _reports_licensed(self) -> bool:
        return self.config is None or self.config.zoom_one_reports_licensed

    def _check_zoom_one(self, user: dict[str, Any] | None, value: int) -> None:
        """A Zoom One / Workplace license given (value) or taken back (0)."""
        old = 0 if user is None else user.get("zoom_one_type") or 0
        if value == old:
            return
        if value:
            if value not in self.zoom_one_seats:
                raise invalid_field("zoom_one_type", f"The account has no Zoom Workplace plan {value}.")
            if self.zoom_one_free(value) <= 0:
                hosts = self.zoom_one_seats[value]
                raise ZoomFail(
                    400,
                    2034,
                    "Your request to convert the plan type of this user was not approved at this time "
                    f"because your account has reached the permitted maximum number of {hosts} users "
                    "of this Zoom Workplace plan. Please purchase additional licenses.",
                )
            return
        # Taken back: the user becomes Basic again, inside the Basic cap (Zoom: 2039).
        if user is not None and self._reports_licensed() and self._basic_full():
            raise ZoomFail(
                400,
                2039,
                "Unable to switch off the Zoom Workplace license: your account does not have enough "
                f"basic licenses (maximum {self.basic_ceiling} basic users).",
            )
        if user is not None and _holds_addon(user):
            raise ZoomFail(
                400,
                1108,
                "Permission requirements to change the user type of this user were not met. "
                "Remove the user's Large Meeting or Webinar add-on first.",
            )

    def _zoom_one_change(self, user: dict[str, Any], value: int) -> dict[str, Any]:
        """The fields a zoom_one_type change sets (the type follows when holders read Licensed)."""
        change: dict[str, Any] = {"zoom_one_type": value}
        if self._reports_licensed():
            change["type"] = LICENSED if value else BASIC
        return change

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
        zoom_one_type: int = 0,
        role_id: str = "2",
    ) -> dict[str, Any]:
        if action not in ACTIONS:
            raise invalid_field("action", f"Invalid action: {action}.")
        key = email.strip().lower()
        if not key or "@" not in key or len(key) > 128:
            raise invalid_field("user_info.email", "Invalid email.")
        if key in self.ids_by_email:
            raise ZoomFail(409, 1005, f"Email {email.strip()} has already been used.")
        if check:
            refusal = create_refusal(self.config, action, email) if self.config is not None else None
            if refusal is not None:
                raise refusal
            if zoom_one_type:
                # A Workplace holder is neither Basic nor a plan_base seat: only its pool counts.
                self._check_zoom_one(None, zoom_one_type)
            else:
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
            "role_id": role_id,
            "language": "en-US",
            "zoom_one_type": int(zoom_one_type or 0),
            "feature": {
                "large_meeting": False,
                "large_meeting_capacity": None,
                "webinar": False,
                "webinar_capacity": None,
                "meeting_capacity": 300,
            },
            "_action": action,
            "_invited_at": now.timestamp(),
        }
        if zoom_one_type and self._reports_licensed():
            user["type"] = LICENSED
        # A fresh invitation for an email whose earlier one expired.
        old = self.expired_ids_by_email.pop(key, None)
        if old is not None:
            self.expired.pop(old, None)
        self.users_by_id[uid] = user
        self.ids_by_email[key] = uid
        self.by_status[user["status"]][uid] = None
        self._count(user)
        return user

    def update_user(self, user_id: str, changes: dict[str, Any]) -> None:
        user = self.get(user_id)
        changes = dict(changes)
        license_change = changes.get("type") is not None or changes.get("zoom_one_type") is not None
        if changes.get("type") is not None and changes.get("zoom_one_type") is not None:
            raise ZoomFail(400, 300, "type cannot be updated together with zoom_one_type.")
        if license_change and user["status"] == "pending" and self.config is not None:
            # Zoom answers 204 and changes nothing (SailPoint's connector notes, ZOOM_API.md §11).
            changes.pop("type", None)
            changes.pop("zoom_one_type", None)
            license_change = False
        if changes.get("type") is not None:
            new_type = changes["type"]
            if not isinstance(new_type, int) or isinstance(new_type, bool):
                raise invalid_field("type")
            self._check_type(user, new_type, creating=False, action=user.get("_action", ""))
        if changes.get("zoom_one_type") is not None:
            value = changes["zoom_one_type"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise invalid_field("zoom_one_type")
            self._check_zoom_one(user, value)
            changes.update(self._zoom_one_change(user, value))
        if changes.get("group_id"):
            group = self.groups.get(changes["group_id"])
            if group is None:
                raise group_missing(changes["group_id"])
        for name in ("first_name", "last_name"):
            if changes.get(name) is not None and len(str(changes[name])) > 64:
                raise invalid_field(name, "Length must be at most 64.")
        before = {k: user.get(k) for k in ("type", "zoom_one_type")}
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
        if self.on_change is not None:
            for name, old in before.items():
                if user.get(name) != old:
                    self.on_change(user, name, old, user.get(name))

    def force_license(self, user: dict[str, Any], name: str, value: int) -> None:
        """Set ``type`` or ``zoom_one_type`` with no check (a hand change, another writer)."""
        self._uncount(user)
        if name == "zoom_one_type":
            user["zoom_one_type"] = value
            if self._reports_licensed():
                user["type"] = LICENSED if value else BASIC
        else:
            user["type"] = value
        if user["type"] != LICENSED:
            user["feature"].update(
                large_meeting=False, large_meeting_capacity=None, webinar=False, webinar_capacity=None
            )
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
            if user["type"] == BASIC and self._basic_full():
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
        if self.config is not None and user.get("role_id") in _ADMIN_ROLES:
            raise ZoomFail(400, 200, "Zoom Room and Admin users cannot be deactivated.")
        # Deactivation takes every license the user holds (Zoom's rule, ZOOM_API.md §1.6).
        self._uncount(user)
        user["type"] = BASIC if user["type"] == LICENSED else user["type"]
        user["zoom_one_type"] = 0
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
        if self.config is not None and user.get("role_id") in _ADMIN_ROLES:
            raise ZoomFail(400, 1117, "Cannot disassociate an Admin user.")
        self._forget(user)

    def accept_invitations(self) -> int:
        pending = list(self.by_status["pending"])
        now = iso(self.clock.now())
        for uid in pending:
            user = self.users_by_id[uid]
            user["verified"] = 1
            user["last_login_time"] = now
            self._move(user, "active")
        return len(pending)

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
            "expired": list(self.expired.values()),
            "order": {s: list(ids) for s, ids in self.by_status.items()},
            "groups": [
                {"id": g["id"], "name": g["name"], "members": list(g["members"])}
                for g in self.groups.values()
            ],
        }

    def load_data(self, data: dict[str, Any]) -> None:
        self.seats = int(data.get("seats", self.seats))
        now = self.clock.now().timestamp()
        for user in data.get("users", []):
            # A state saved before invitations expired: their clock starts now, not at 0.
            user.setdefault("_invited_at", now)
            self.users_by_id[user["id"]] = user
            self.ids_by_email[user["email"].lower()] = user["id"]
            self._count(user)
        for user in data.get("expired", []):
            self.expired[user["id"]] = user
            self.expired_ids_by_email[user["email"].lower()] = user["id"]
        for status, ids in data.get("order", {}).items():
            self.by_status[status] = dict.fromkeys(ids)
        for g in data.get("groups", []):
            self.groups[g["id"]] = {"id": g["id"], "name": g["name"], "members": dict.fromkeys(g["members"])}
            self.group_ids_by_name[g["name"].lower()] = g["id"]


def _holds_zoom_one(user: dict[str, Any]) -> bool:
    return bool(user.get("zoom_one_type"))


def _holds_addon(user: dict[str, Any]) -> bool:
    return bool(user["feature"].get("large_meeting") or user["feature"].get("webinar"))
