"""Add-ons (large meeting, webinar), the bulk features endpoint and the read views of a
simulated account: a mixin of ``state.Account`` (kept apart so each file stays readable).

Zoom's rules here: an add-on only for a Licensed user (1108 / 1122), a full pool answers 200
("You can add max $n …"); POST /users/features takes ``user_type`` (1, 2, 99), ``large_meeting``
and ``zoom_one_type``, 30 users a call, and reports each user's failure in ``fail_details``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from zoom_client.models import zoom_one_pool_key
from zoom_client.sandbox.errors import ZoomFail, invalid_field
from zoom_client.sandbox.ids import iso

LICENSED = 2
#: POST /users/features large_meeting values -> capacity (0 = off)
LARGE_MEETING_VALUES = {"0": 0, "128": 500, "256": 1000}
#: fields a list item carries (GET /users leaves out language, zoom_one_type and the add-ons)
LIST_FIELDS = (
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
    "plan_united_type",
)


class AddonsViewsMixin:
    """Needs the Account's users, counters, pools, clock, config and update methods."""

    account_id: str
    seats: int
    counts: Counter[str]
    users_by_id: dict[str, dict[str, Any]]
    large_meeting_seats: dict[int, int]
    webinar_seats: dict[int, int]
    zoom_one_seats: dict[int, int]
    clock: Any
    config: Any

    def get(self, user_id_or_email: str) -> dict[str, Any]:
        raise NotImplementedError

    def find(self, user_id_or_email: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def update_user(self, user_id: str, changes: dict[str, Any]) -> None:
        raise NotImplementedError

    def _uncount(self, user: dict[str, Any]) -> None:
        raise NotImplementedError

    def _count(self, user: dict[str, Any]) -> None:
        raise NotImplementedError

    @property
    def has_plan_base(self) -> bool:
        raise NotImplementedError

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
        elif feature_type == "zoom_one_type":
            if not value.isdigit():
                raise invalid_field("feature_value", f"Invalid zoom_one_type: {value}.")
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
                elif feature_type == "zoom_one_type":
                    self.update_user(user["id"], {"zoom_one_type": int(value)})
                else:
                    capacity = LARGE_MEETING_VALUES[value]
                    self.update_features(
                        user["id"],
                        {"large_meeting": bool(capacity), "large_meeting_capacity": capacity or None},
                    )
            except ZoomFail as fail:
                reason = "Not enough seats" if fail.code in (2034, 200) else fail.message
                failures.setdefault(reason, []).append(user["id"])
            else:
                success.append(user["id"])
        return {
            "success_user_ids": success,
            "fail_details": [{"user_ids": ids, "reason": reason} for reason, ids in failures.items()],
        }

    # ------------------------------------------------------------------ views
    def list_item(self, user: dict[str, Any]) -> dict[str, Any]:
        item = {k: user[k] for k in LIST_FIELDS if user.get(k) is not None}
        if user["status"] == "pending":
            item.pop("id", None)  # Zoom lists pending users without an id: key them by email
        return item

    def detail(self, user: dict[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in user.items() if not k.startswith("_") and k != "feature" and v is not None}
        item["account_id"] = self.account_id
        if not item.get("zoom_one_type"):
            item.pop("zoom_one_type", None)  # Zoom leaves it out for users without a Workplace plan
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

        # The undocumented reading of `usage`: with pending_in_usage it already holds `pending`.
        with_pending = self.config is not None and self.config.pending_in_usage
        data: dict[str, Any] = {}
        if self.has_plan_base:
            pending = self.counts["pending_licensed"]
            data["plan_base"] = {
                "type": "monthly",
                "hosts": self.seats,
                "usage": self.counts["licensed"] + (pending if with_pending else 0),
                "pending": pending,
                "active_hosts": self.counts["type:2:active"],
            }
        data["plan_large_meeting"] = pool("large_meeting", "large", self.large_meeting_seats)
        data["plan_webinar"] = pool("webinar", "webinar", self.webinar_seats)
        for value, hosts in sorted(self.zoom_one_seats.items()):
            pending = self.counts[f"zoom_one_pending:{value}"]
            entry = {
                "type": f"zo_{value}_yearly",
                "hosts": hosts,
                "usage": self.counts[f"zoom_one:{value}"] + (pending if with_pending else 0),
                "pending": pending,
            }
            data.setdefault(zoom_one_pool_key(value), []).append(entry)
        return data
