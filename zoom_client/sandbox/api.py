"""The REST routes of the simulated API v2, as plain functions over an Account.

``dispatch`` maps (method, path relative to /v2) to a handler and returns (status, JSON payload).
It knows nothing of HTTP transports: the ASGI app and the httpx transports both come through
``Sandbox.process``, which adds auth, limits, faults and the request log around it.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from zoom_client.sandbox.errors import ZoomFail, invalid_field
from zoom_client.sandbox.ids import iso
from zoom_client.sandbox.state import STATUSES, Account

Payload = Any
Result = tuple[int, Payload]


@dataclass
class Call:
    """One request as the handlers see it."""

    account: Account
    method: str
    args: dict[str, str]
    query: dict[str, str]
    body: Any
    page_token_ttl: float
    max_page_size: int
    token_rng: random.Random
    sub_accounts: list[Account]


Handler = Callable[[Call], Result]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(fn: Handler) -> Handler:
        _ROUTES.append((method, regex, fn))
        return fn

    return register


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    allowed = False
    for m, regex, fn in _ROUTES:
        match = regex.match(path)
        if match is None:
            continue
        if m == method:
            return fn, {k: unquote(v) for k, v in match.groupdict().items()}
        allowed = True
    if allowed:
        raise ZoomFail(405, 405, f"Method {method} is not allowed for {path}.")
    return None


# ---------------------------------------------------------------------------- helpers
def _object(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise ZoomFail(400, 300, "Request Body should be a valid JSON object.")
    return call.body


def _page_size(call: Call, default: int = 30) -> int:
    raw = call.query.get("page_size")
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        raise invalid_field("page_size", "Must be an integer.") from None
    if not 1 <= size <= call.max_page_size:
        raise invalid_field("page_size", f"Must be between 1 and {call.max_page_size}.")
    return size


def _paged(
    call: Call,
    kind: str,
    key: str,
    ids: Callable[[], list[str]],
    view: Callable[[str], Any],
    *,
    default: int = 30,
) -> Result:
    size = _page_size(call, default)
    signature = tuple(
        sorted((k, v) for k, v in call.query.items() if k not in ("next_page_token", "page_number"))
    )
    token = call.query.get("next_page_token") or None
    page_number = 1
    if not token and call.query.get("page_number"):
        # Legacy page_number: walk straight to that page (deprecated by Zoom, still answered).
        try:
            page_number = max(1, int(call.query["page_number"]))
        except ValueError:
            raise invalid_field("page_number", "Must be an integer.") from None
    if page_number > 1:
        all_ids = ids()
        chosen = all_ids[(page_number - 1) * size : page_number * size]
        next_token, total = "", len(all_ids)
    else:
        chosen, next_token, total = call.account.page(
            kind,
            ids,
            signature=signature,
            page_size=size,
            token=token,
            ttl=call.page_token_ttl,
            token_rng=call.token_rng,
        )
    items = [item for item in (view(i) for i in chosen) if item is not None]
    return 200, {
        "page_count": math.ceil(total / size) if total else 0,
        "page_number": page_number,
        "page_size": size,
        "total_records": total,
        "next_page_token": next_token,
        key: items,
    }


def _refs(raw: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise invalid_field(field, "Must be a list of {id} or {email} objects.")
    return raw


# ---------------------------------------------------------------------------- users
@route("GET", "/users")
def list_users(call: Call) -> Result:
    status = call.query.get("status") or "active"
    if status not in STATUSES:
        raise invalid_field("status", f"Invalid status: {status}.")
    account, role = call.account, call.query.get("role_id")

    def ids() -> list[str]:
        members = account.by_status[status]
        if role:
            return [i for i in members if account.users_by_id[i]["role_id"] == role]
        return list(members)

    def view(uid: str) -> Any:
        user = account.users_by_id.get(uid)
        # A user who changed status or left since the walk began is not shown.
        return account.list_item(user) if user is not None and user["status"] == status else None

    return _paged(call, "users", "users", ids, view)


@route("POST", "/users")
def create_user(call: Call) -> Result:
    body = _object(call)
    info = body.get("user_info")
    if not isinstance(info, dict):
        raise invalid_field("user_info", "Required.")
    if "email" not in info or not isinstance(info["email"], str):
        raise invalid_field("user_info.email", "Required.")
    utype = info.get("type")
    if not isinstance(utype, int) or isinstance(utype, bool):
        raise invalid_field("user_info.type", "Required.")
    given = info.get("feature")
    feature: dict[str, Any] = given if isinstance(given, dict) else {}
    zoom_one = feature.get("zoom_one_type") or 0
    if not isinstance(zoom_one, int) or isinstance(zoom_one, bool) or zoom_one < 0:
        raise invalid_field("user_info.feature.zoom_one_type")
    user = call.account.create_user(
        action=str(body.get("action") or ""),
        email=info["email"],
        type=utype,
        first_name=info.get("first_name"),
        last_name=info.get("last_name"),
        display_name=info.get("display_name"),
        zoom_one_type=zoom_one,
    )
    return 201, {k: user[k] for k in ("id", "first_name", "last_name", "email", "type")}


@route("GET", "/users/summary")
def users_summary(call: Call) -> Result:
    return 200, call.account.summary()


@route("GET", "/users/email")
def email_check(call: Call) -> Result:
    email = call.query.get("email", "")
    if not email:
        raise invalid_field("email", "Required.")
    return 200, {"existed_email": call.account.find(email) is not None and "@" in email}


@route("POST", "/users/features")
def bulk_features(call: Call) -> Result:
    body = _object(call)
    return 201, call.account.bulk_features(
        str(body.get("feature_type") or ""),
        str(body.get("feature_value") if body.get("feature_value") is not None else ""),
        _refs(body.get("users"), "users"),
    )


@route("GET", "/users/{user}")
def get_user(call: Call) -> Result:
    account = call.account
    return 200, account.detail(account.get(call.args["user"]))


_PATCHABLE = {
    "type",
    "first_name",
    "last_name",
    "display_name",
    "dept",
    "group_id",
    "job_title",
    "company",
    "location",
    "language",
    "timezone",
    "pmi",
    "use_pmi",
    "vanity_name",
    "host_key",
    "manager",
    "cost_center",
    "zoom_one_type",
}


@route("PATCH", "/users/{user}")
def update_user(call: Call) -> Result:
    body = _object(call)
    changes = {k: v for k, v in body.items() if k in _PATCHABLE}
    call.account.update_user(call.args["user"], changes)
    return 204, None


@route("DELETE", "/users/{user}")
def delete_user(call: Call) -> Result:
    call.account.remove_user(call.args["user"], call.query.get("action") or "disassociate")
    return 204, None


@route("PUT", "/users/{user}/status")
def user_status(call: Call) -> Result:
    body = _object(call)
    call.account.set_status(call.args["user"], str(body.get("action") or ""))
    return 204, None


@route("GET", "/users/{user}/settings")
def get_settings(call: Call) -> Result:
    return 200, call.account.settings_of(call.args["user"])


@route("PATCH", "/users/{user}/settings")
def update_settings(call: Call) -> Result:
    body = _object(call)
    feature = body.get("feature")
    if feature is not None:
        if not isinstance(feature, dict):
            raise invalid_field("feature", "Must be an object.")
        call.account.update_features(call.args["user"], feature)
    else:
        call.account.get(call.args["user"])
    return 204, None


# ---------------------------------------------------------------------------- groups
@route("GET", "/groups")
def list_groups(call: Call) -> Result:
    account = call.account

    def view(gid: str) -> Any:
        group = account.groups.get(gid)
        return account.group_view(group) if group is not None else None

    return _paged(call, "groups", "groups", lambda: list(account.groups), view, default=300)


@route("POST", "/groups")
def create_group(call: Call) -> Result:
    body = _object(call)
    group = call.account.create_group(str(body.get("name") or ""))
    return 201, call.account.group_view(group)


@route("GET", "/groups/{group}")
def get_group(call: Call) -> Result:
    return 200, call.account.group_view(call.account.group(call.args["group"]))


@route("PATCH", "/groups/{group}")
def update_group(call: Call) -> Result:
    body = _object(call)
    if "name" in body:
        call.account.rename_group(call.args["group"], str(body["name"]))
    else:
        call.account.group(call.args["group"])
    return 204, None


@route("DELETE", "/groups/{group}")
def delete_group(call: Call) -> Result:
    call.account.delete_group(call.args["group"])
    return 204, None


@route("GET", "/groups/{group}/members")
def list_members(call: Call) -> Result:
    account = call.account
    group = account.group(call.args["group"])

    def view(uid: str) -> Any:
        user = account.users_by_id.get(uid)
        if user is None or uid not in group["members"]:
            return None
        return {
            "id": uid,
            "email": user["email"],
            "first_name": user["first_name"],
            "last_name": user["last_name"],
            "type": user["type"],
            "primary_group": bool(user["group_ids"]) and user["group_ids"][0] == group["id"],
        }

    return _paged(call, f"members:{group['id']}", "members", lambda: list(group["members"]), view)


@route("POST", "/groups/{group}/members")
def add_members(call: Call) -> Result:
    body = _object(call)
    added = call.account.add_members(call.args["group"], _refs(body.get("members"), "members"))
    return 201, {"ids": ",".join(added), "added_at": iso(call.account.clock.now())}


@route("DELETE", "/groups/{group}/members/{member}")
def remove_member(call: Call) -> Result:
    call.account.remove_member(call.args["group"], call.args["member"])
    return 204, None


@route("PATCH", "/groups/{group}/members/{member}")
def move_member(call: Call) -> Result:
    body = _object(call)
    call.account.move_member(
        call.args["group"], call.args["member"], str(body.get("action") or ""), body.get("target_group_id")
    )
    return 204, None


# ---------------------------------------------------------------------------- accounts
@route("GET", "/accounts")
def list_accounts(call: Call) -> Result:
    subs = {a.account_id: a for a in call.sub_accounts}

    def view(aid: str) -> Any:
        sub = subs[aid]
        return {
            "id": sub.account_id,
            "account_name": sub.account_name,
            "owner_email": sub.owner_email,
            "account_type": "Education",
            "seats": sub.seats,
        }

    return _paged(call, "accounts", "accounts", lambda: list(subs), view, default=30)


@route("GET", "/managed_domains")
def managed_domains(call: Call) -> Result:
    domains = list(call.account.config.managed_domains) if call.account.config is not None else []
    return 200, {
        "total_records": len(domains),
        "domains": [{"domain": d, "status": "verified"} for d in domains],
    }


@route("GET", "/plans/usage")
def plan_usage(call: Call) -> Result:
    return 200, call.account.plan_usage()
