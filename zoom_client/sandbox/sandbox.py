"""Sandbox: one simulated Zoom account (with optional sub-accounts) and its API, OAuth and faults.

``Sandbox.process`` is the single entry point every transport uses (the ASGI app served by
uvicorn, the sync and async httpx transports): it takes a request as plain values and returns
a :class:`Reply` (status, headers, body, and the fault the transport must act out). All state
changes happen under one lock, so concurrent requests from a loopback server and direct calls
from a test thread (``add_user``, ``set_user_type``) never interleave.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from zoom_client.sandbox import api
from zoom_client.sandbox.clock import SandboxClock
from zoom_client.sandbox.config import FaultConfig, SandboxConfig
from zoom_client.sandbox.errors import ZoomFail
from zoom_client.sandbox.ids import iso, new_id
from zoom_client.sandbox.ratelimits import QPS_MESSAGE, RateLimits, category, qps
from zoom_client.sandbox.rules import OtherWriter, WriterQueue, all_scopes, scope_refusal
from zoom_client.sandbox.state import Account
from zoom_client.sandbox.transport import AsyncSandboxTransport, SandboxTransport
from zoom_client.sandbox.wire import (
    API_PREFIX,
    CONNECT,
    DROP_AFTER,
    DROP_BEFORE,
    FAULTS,
    INPROCESS_BASE,
    OAUTH_PATH,
    TIMEOUT,
    Reply,
)
from zoom_client.sandbox.writers import WritersMixin
from zoom_client.settings import ZoomSettings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from zoom_client.sandbox.serve import LoopbackServer

_SWITCH_PATH = re.compile(r"^/users/(?P<user>[^/]+)/account$")
_SUB_PATH = re.compile(r"^/accounts/(?P<acct>[^/]+)(?P<rest>/(users|groups|plans|managed_domains)(/.*)?)$")
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int  # 0 when no answer was sent (dropped, timed out, refused)
    category: str
    at: datetime
    fault: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    #: the users a write names (ids or emails, from its path or body): who it acted on
    users: tuple[str, ...] = ()


class Sandbox(WritersMixin):
    """A stateful Zoom simulator. See docs/interfaces.md §2."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = SandboxClock()
        self.faults: FaultConfig = self.config.faults
        self.request_log: list[LoggedRequest] = []
        self._lock = threading.RLock()
        seed = self.config.seed
        # Separate streams, so that e.g. creating users does not shift the fault sequence.
        self._fault_rng = random.Random(f"faults:{seed}")
        self._latency_rng = random.Random(f"latency:{seed}")
        self._token_rng = random.Random(f"tokens:{seed}")
        self._id_rng = random.Random(f"ids:{seed}")
        # Zoom counts rate limits and the daily create cap per account (ZOOM_API.md §4): each
        # sub-account has its own budget, charged by the calls that name it in their path.
        self._limits: dict[str, RateLimits] = {}
        self._tokens: dict[str, float] = {}
        self._writes = 0
        self._tracking = 0
        self._writers: list[OtherWriter] = []
        self._writer_queue = WriterQueue()
        self.account = self._new_account(self.config.account_id, self.config.seats, main=True)
        self.sub_accounts: dict[str, Account] = {
            aid: self._new_account(aid, seats, main=False) for aid, seats in self.config.sub_accounts.items()
        }
        self._seed_roles()

    def _new_account(self, account_id: str, seats: int, *, main: bool) -> Account:
        cfg = self.config
        account = Account(
            account_id=account_id,
            seats=seats,
            large_meeting_seats=dict(cfg.large_meeting_seats) if main else {},
            webinar_seats=dict(cfg.webinar_seats) if main else {},
            basic_ceiling=cfg.basic_ceiling,
            clock=self.clock,
            rng=self._id_rng,
            account_name="Sandbox account" if main else f"Sub-account {account_id}",
            owner_email=cfg.owner_email or f"owner@{account_id}.sandbox.invalid",
            config=cfg,
            zoom_one_seats=dict(cfg.zoom_one_seats) if main else {},
        )
        account.on_change = lambda user, name, old, new: self._license_changed(user, name, new)
        return account

    def _seed_roles(self) -> None:
        cfg = self.config
        seeded = [(cfg.owner_email, "0")] if cfg.owner_email else []
        seeded += [(email, "1") for email in cfg.admin_emails]
        for email, role in seeded:
            if self.account.find(email.strip().lower()) is None:
                self.add_user(email=email, type=2, role_id=role)

    # ------------------------------------------------------------------ client wiring
    def settings(self, **overrides: Any) -> ZoomSettings:
        """ZoomSettings that reach this sandbox through :meth:`transport` / :meth:`async_transport`."""
        values: dict[str, Any] = {
            "account_id": self.config.account_id,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "api_url": INPROCESS_BASE + API_PREFIX,
            "oauth_url": INPROCESS_BASE + OAUTH_PATH,
            "tier": self.config.tier,
            # The simulated account has no other app on it: its whole budget is ours.
            "rate_share": 1.0,
        }
        values.update(overrides)
        return ZoomSettings(**values)

    def transport(self) -> SandboxTransport:
        return SandboxTransport(self)

    def async_transport(self) -> AsyncSandboxTransport:
        return AsyncSandboxTransport(self)

    # The served sandbox needs the `sandbox` extra (Starlette, uvicorn): imported on first use
    # so that the in-process sandbox (tests, the demo) works without it.
    @property
    def asgi_app(self) -> Starlette:
        app: Starlette | None = getattr(self, "_asgi_app", None)
        if app is None:
            from zoom_client.sandbox.app import build_app

            app = self._asgi_app = build_app(self)
        return app

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
        """Serve :attr:`asgi_app` with uvicorn in a background thread; a context manager whose
        value has ``api_url``, ``oauth_url`` and ``settings()``. Needs the `sandbox` extra."""
        from zoom_client.sandbox.serve import LoopbackServer

        return LoopbackServer(self, host=host, port=port)

    # ------------------------------------------------------------------ direct changes (tests)
    def add_user(
        self,
        *,
        email: str,
        type: int = 1,
        status: str = "active",
        first_name: str | None = None,
        last_name: str | None = None,
        last_login_time: datetime | None = None,
        user_id: str | None = None,
        account_id: str | None = None,
        role_id: str = "2",
        zoom_one_type: int = 0,
    ) -> dict[str, Any]:
        """Add a user "by hand", as an admin in Zoom's web portal would: no seat checks, no
        create prerequisites. ``role_id`` "0" owner, "1" admin, "2" member, others custom roles."""
        with self._lock:
            account = self._account_for(account_id)
            user = account.create_user(
                action="create" if status == "pending" else "autoCreate",
                email=email,
                type=type,
                first_name=first_name,
                last_name=last_name,
                status=status,
                last_login_time=last_login_time,
                user_id=user_id,
                check=False,
                zoom_one_type=zoom_one_type,
                role_id=str(role_id),
            )
            return _public(user)

    def set_role(self, user_id_or_email: str, role_id: str, *, account_id: str | None = None) -> None:
        """Give a user a role "by hand" ("0" owner, "1" admin, "2" member, any other: custom)."""
        with self._lock:
            self._account_for(account_id).get(user_id_or_email)["role_id"] = str(role_id)

    def set_zoom_one_type(self, user_id_or_email: str, value: int, *, account_id: str | None = None) -> None:
        """Give or take (0) a Zoom One / Workplace license "by hand" (no seat check)."""
        with self._lock:
            account = self._account_for(account_id)
            account.force_license(account.get(user_id_or_email), "zoom_one_type", int(value))

    def _tick(self) -> None:
        # Time-driven changes happen before a request (or a helper) looks at the account, as in
        # Zoom: expired invitations are gone and other writers have done their resets.
        for account in self._accounts():
            account.expire_invitations()
        self._run_writers()

    def _accounts(self) -> list[Account]:
        return [self.account, *self.sub_accounts.values()]

    def add_users(self, users: list[dict[str, Any]], *, account_id: str | None = None) -> int:
        """Add many users by hand (e.g. from ``seed.load_seed_users``); returns how many."""
        for user in users:
            self.add_user(
                email=user["email"],
                type=user.get("type", 1),
                status=user.get("status", "active"),
                first_name=user.get("first_name"),
                last_name=user.get("last_name"),
                account_id=account_id,
            )
        return len(users)

    def set_user_type(self, user_id_or_email: str, type: int, *, account_id: str | None = None) -> None:
        """Change a user's type "by hand" (no seat check, add-ons dropped when unlicensed)."""
        with self._lock:
            account = self._account_for(account_id)
            user = account.get(user_id_or_email)
            account._uncount(user)
            user["type"] = type
            if type != 2:
                user["feature"].update(
                    large_meeting=False, large_meeting_capacity=None, webinar=False, webinar_capacity=None
                )
            account._count(user)

    def set_last_login(
        self, user_id_or_email: str, when: datetime | None, *, account_id: str | None = None
    ) -> None:
        with self._lock:
            self._account_for(account_id).get(user_id_or_email)["last_login_time"] = iso(when)

    def find_user(self, email: str, *, account_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            self._tick()
            user = self._account_for(account_id).find(email.strip().lower())
            return _public(user) if user is not None else None

    def users(self, *, account_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            self._tick()
            return [_public(u) for u in self._account_for(account_id).users_by_id.values()]

    def accept_invitations(self, *, account_id: str | None = None) -> int:
        with self._lock:
            return self._account_for(account_id).accept_invitations()

    def licensed_count(self, *, account_id: str | None = None) -> int:
        with self._lock:
            self._tick()
            return self._account_for(account_id).licensed_count()

    def plan_usage(self, *, account_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            self._tick()
            return self._account_for(account_id).plan_usage()

    def revive(self) -> None:
        """Bring a sandbox that "died" (``die_after_writes``) back, with its state intact."""
        with self._lock:
            self._writes = 0
            self.faults.die_after_writes = None

    @property
    def writes(self) -> int:
        """Successful writes answered so far (what ``die_after_writes`` counts)."""
        return self._writes

    def _account_for(self, account_id: str | None) -> Account:
        if account_id in (None, "me", self.config.account_id):
            return self.account
        sub = self.sub_accounts.get(account_id)
        if sub is None:
            raise KeyError(f"no sub-account {account_id!r} in this sandbox")
        return sub

    def _limits_for(self, path_or_account: str) -> RateLimits:
        """The budget of the account a call is charged to: the sub-account its path names (an
        unknown one is refused later, by the route), else the main account."""
        account = path_or_account
        if path_or_account.startswith("/"):
            sub = _SUB_PATH.match(path_or_account)
            charged_to_sub = sub is not None and self.config.sub_account_budget == "own"
            acct = sub.group("acct") if charged_to_sub and sub is not None else self.config.account_id
            account = acct if acct in self.sub_accounts else self.config.account_id
        limits = self._limits.get(account)
        if limits is None:
            limits = self._limits[account] = RateLimits(self.config.tier)
        return limits

    # ------------------------------------------------------------------ the request path
    def process(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one HTTP request (path with the /v2 or /oauth prefix, raw query string)."""
        method = method.upper()
        with self._lock:
            if path == OAUTH_PATH:
                reply = self._oauth(method, query, headers, body)
                self._log(method, path, reply, "OAuth", {})
                return reply
            if not path.startswith(API_PREFIX + "/"):
                return _json_reply(404, {"code": 404, "message": f"Not found: {path}"})
            return self._api(method, path[len(API_PREFIX) :], query, headers, body)

    def _api(self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Reply:
        self._tick()
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        label = category(method, path)
        faults = self.faults
        delay = self._latency()
        dead = faults.die_after_writes is not None and self._writes >= faults.die_after_writes
        if dead:
            reply = Reply(0, {}, b"", fault=CONNECT)
            self._log(method, path, reply, label, query)
            return reply
        # A fixed number of draws per request, so one run replays the same faults.
        r_before, r_error, r_status, r_storm, r_after, r_timeout = (
            self._fault_rng.random() for _ in range(6)
        )
        if r_before < faults.drop_before_write_rate:
            reply = Reply(0, {}, b"", fault=DROP_BEFORE, delay=delay)
            self._log(method, path, reply, label, query)
            return reply
        reply = self._answer(method, path, query, headers, body, label, r_error, r_status, r_storm)
        reply.delay = delay
        if method in _WRITES and 200 <= reply.status < 300:
            self._writes += 1
        if r_after < faults.drop_after_write_rate:
            reply.fault = DROP_AFTER
        elif r_timeout < faults.timeout_rate:
            reply.fault = TIMEOUT
        self._log(method, path, reply, label, query, _named_users(method, path, body))
        return reply

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        label: str,
        r_error: float,
        r_status: float,
        r_storm: float,
    ) -> Reply:
        faults = self.faults
        self._tracking += 1
        base = {"x-zm-trackingid": f"sandbox_{self._tracking:08d}"}
        if r_error < faults.error_rate:
            status = (500, 502, 503)[int(r_status * 3)]
            if status == 502:
                # Zoom's edge answers gateway errors in HTML, not JSON.
                html = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
                return Reply(502, {**base, "content-type": "text/html"}, html)
            return _json_reply(status, {"code": status, "message": "Internal Error. Try again later."}, base)
        if r_storm < faults.storm_429:
            limit = str(qps(self.config.tier, label))
            rl = {
                "X-RateLimit-Category": label,
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": limit,
                "X-RateLimit-Remaining": "0",
                "Retry-After": "1",
            }
            return _json_reply(429, {"code": 429, "message": QPS_MESSAGE}, {**base, **rl})
        if self.config.rate_limits:
            verdict = self._limits_for(path).check_qps(label, self.clock.monotonic())
            base.update(verdict.headers)
            if not verdict.allowed:
                return _json_reply(429, {"code": 429, "message": verdict.message}, base)
        fail = self._authenticate(headers, query) or scope_refusal(self.config, method, path)
        if fail is not None:
            return _json_reply(fail.status, fail.body(), base)
        try:
            return self._route(method, path, query, body, base)
        except ZoomFail as refused:
            return _json_reply(refused.status, refused.body(), base)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: bytes, base: dict[str, str]
    ) -> Reply:
        account = self.account
        sub = _SUB_PATH.match(path)
        if sub is not None:
            acct = sub.group("acct")
            if acct in ("me", self.config.account_id):
                account = self.account
            elif acct in self.sub_accounts:
                account = self.sub_accounts[acct]
            else:
                raise ZoomFail(400, 2001, f"Account does not exist: {acct}.")
            path = sub.group("rest")
        switch = _SWITCH_PATH.match(path) if method == "PUT" else None
        if switch is not None:
            return self._switch_account(account, switch.group("user"), body, base)
        if method == "POST" and path == "/users" and self.sub_accounts:
            self._refuse_email_elsewhere(account, body)
        found = api.resolve(method, path)
        if found is None:
            raise ZoomFail(404, 404, f"Not found: {method} {path}")
        handler, args = found
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                raise ZoomFail(400, 300, "Request Body should be a valid JSON object.") from None
        if (
            method == "POST"
            and path == "/users"
            and isinstance(parsed, dict)
            and parsed.get("action") == "create"
        ):
            cap = self.config.create_cap()
            if cap is not None:
                verdict = self._limits_for(account.account_id).check_daily_create(cap, self.clock.now())
                if not verdict.allowed:
                    return _json_reply(
                        429, {"code": 429, "message": verdict.message}, {**base, **verdict.headers}
                    )
        call = api.Call(
            account=account,
            method=method,
            args=args,
            query=query,
            body=parsed,
            page_token_ttl=self.config.page_token_ttl,
            max_page_size=self.config.max_page_size,
            token_rng=self._token_rng,
            sub_accounts=list(self.sub_accounts.values()) if account is self.account else [],
        )
        status, payload = handler(call)
        if payload is None:
            return Reply(status, base, b"")
        return _json_reply(status, payload, base)

    def _switch_account(self, source: Account, user_ref: str, body: bytes, base: dict[str, str]) -> Reply:
        """PUT /accounts/{accountId}/users/{userId}/account (2021 spec, "Switch a user's account"):
        the user leaves `source` for another account of this master, keeping its type, status and
        add-ons (undocumented; the tool takes the license back before it moves anyone)."""
        try:
            target_id = str(json.loads(body or b"{}").get("account_id") or "")
        except (ValueError, AttributeError):
            raise ZoomFail(400, 300, "Request Body should be a valid JSON object.") from None
        if not target_id:
            raise ZoomFail(400, 300, "Validation Failed: account_id is required.")
        target = self.sub_accounts.get(target_id)
        if target is None or target is source:
            # The spec documents moves to a sub-account of the same master only.
            raise ZoomFail(400, 300, f"Invalid account_id: {target_id}.")
        user = source.find(user_ref)
        if user is None or user["status"] == "pending":
            if user is not None:
                raise ZoomFail(404, 1120, "Invite not exist.")
            raise ZoomFail(404, 1001, f"User {user_ref} does not exist or does not belong to this account.")
        if user.get("role_id") in ("0", "1"):
            raise ZoomFail(400, 1117, "Can not disassociate Admin user.")
        if user["type"] == 2 and target.free_seats() <= 0:
            raise ZoomFail(400, 2034, "Your account has reached the maximum number of Licensed users.")
        if (
            user["type"] == 1
            and user["status"] != "inactive"
            and target.counts["basic"] >= target.basic_ceiling
        ):
            # Undocumented for a switch; the account's Basic ceiling holds for users arriving too.
            raise ZoomFail(
                400,
                3412,
                f"The account has reached the permitted maximum of {target.basic_ceiling} basic users.",
            )
        source._forget(user)
        target.admit(user)
        return Reply(204, base, b"")

    def _refuse_email_elsewhere(self, account: Account, body: bytes) -> None:
        """An email is one Zoom user: creating it in one account while another account of this
        master holds it is refused as Zoom refuses an address active elsewhere (1009)."""
        try:
            email = str(((json.loads(body or b"{}") or {}).get("user_info") or {}).get("email") or "")
        except (ValueError, AttributeError):
            return  # the create handler answers the malformed body
        key = email.strip().lower()
        for other in self._accounts():
            if other is not account and other.find(key) is not None:
                raise ZoomFail(400, 1009, f"The user {email.strip()} already holds an active account.")

    # ------------------------------------------------------------------ auth
    def _authenticate(self, headers: dict[str, str], query: dict[str, str]) -> ZoomFail | None:
        if "access_token" in query:
            return ZoomFail(401, 124, "Access token is not supported as query parameter string.")
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return ZoomFail(401, 124, "Request Header has no Authorization.")
        token = auth[7:].strip()
        expires = self._tokens.get(token)
        if expires is None:
            return ZoomFail(401, 124, "Invalid access token.")
        if expires <= self.clock.monotonic():
            return ZoomFail(401, 124, "Access token is expired.")
        return None

    def _oauth(self, method: str, raw_query: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.faults.die_after_writes is not None and self._writes >= self.faults.die_after_writes:
            return Reply(0, {}, b"", fault=CONNECT)
        if method != "POST":
            return _json_reply(405, {"reason": "Method not allowed", "error": "invalid_request"})
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        if body and "form" in headers.get("content-type", ""):
            params.update(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        client_id, secret = _basic(headers.get("authorization", ""))
        if client_id is None:
            return _json_reply(
                400, {"code": 4706, "reason": "Missing client credentials", "error": "invalid_request"}
            )
        if client_id != self.config.client_id or secret != self.config.client_secret:
            return _json_reply(
                401, {"code": 4702, "reason": "Invalid client_id or client_secret", "error": "invalid_client"}
            )
        if params.get("grant_type") != "account_credentials":
            return _json_reply(
                400, {"code": 4705, "reason": "Unsupported grant type", "error": "unsupported_grant_type"}
            )
        if params.get("account_id") != self.config.account_id:
            return _json_reply(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        now = self.clock.monotonic()
        if len(self._tokens) > 100:
            self._tokens = {t: e for t, e in self._tokens.items() if e > now}
        token = "sbx." + new_id(self._token_rng, 40)
        self._tokens[token] = now + self.config.token_ttl
        return _json_reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.config.token_ttl,
                "scope": " ".join(
                    self.config.granted_scopes if self.config.granted_scopes is not None else all_scopes()
                ),
                "api_url": "https://api.zoom.us",
            },
        )

    def revoke_tokens(self) -> None:
        """Forget every issued token (as when the app is re-activated): the next call gets 401/124."""
        with self._lock:
            self._tokens.clear()

    # ------------------------------------------------------------------ helpers
    def _latency(self) -> float:
        latency = self.config.latency
        if isinstance(latency, tuple):
            return self._latency_rng.uniform(*latency)
        return float(latency)

    def _log(
        self,
        method: str,
        path: str,
        reply: Reply,
        label: str,
        query: dict[str, str],
        users: tuple[str, ...] = (),
    ) -> None:
        status = 0 if reply.fault in FAULTS else reply.status
        self.request_log.append(
            LoggedRequest(method, unquote(path), status, label, self.clock.now(), reply.fault, query, users)
        )
        limit = self.config.request_log_limit
        if limit is not None and len(self.request_log) > 2 * limit:
            del self.request_log[:-limit]  # a long-running server must not grow without bound

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the whole state (config, users, groups, sandbox time) as JSON."""
        with self._lock:
            data = {
                "format": "zoom-sandbox/1",
                # the faults in force now (tests switch them by assigning sb.faults)
                "config": {**self.config.to_data(), "faults": asdict(self.faults)},
                "clock_offset": self.clock.offset,
                "writes": self._writes,
                "account": self.account.to_data(),
                "sub_accounts": [a.to_data() for a in self.sub_accounts.values()],
                "other_writers": self._writers_data(),
            }
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        # The simulated users' names and emails are the roster's: 0600 whatever the umask.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data))
        tmp.replace(target)  # never a half-written state file

    @classmethod
    def load(cls, path: str | Path) -> Sandbox:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != "zoom-sandbox/1":
            raise ValueError(f"{path}: not a sandbox state file")
        sb = cls(SandboxConfig.from_data(data["config"]))
        sb.clock.advance(float(data.get("clock_offset", 0.0)))
        sb._writes = int(data.get("writes", 0))
        # Fresh ids must not repeat those already handed out before the save.
        sb._id_rng.seed(f"ids:{sb.config.seed}:{len(data['account'].get('users', []))}")
        sb.account.load_data(data["account"])
        for sub in data.get("sub_accounts", []):
            sb.sub_accounts.setdefault(
                sub["account_id"], sb._new_account(sub["account_id"], sub["seats"], main=False)
            )
            sb.sub_accounts[sub["account_id"]].load_data(sub)
        sb._load_writers(data.get("other_writers", {}))
        return sb

    def __repr__(self) -> str:
        return (
            f"Sandbox(account={self.config.account_id!r}, users={len(self.account.users_by_id)}, "
            f"licensed={self.account.licensed_count()}/{self.account.seats})"
        )


_USER_PATH = re.compile(r"^(?:/accounts/[^/]+)?/users/(?P<user>[^/]+)")


def _named_users(method: str, path: str, body: bytes) -> tuple[str, ...]:
    """The users a write acts on, for the request log (tests count what was done to whom)."""
    if method not in _WRITES:
        return ()
    found = _USER_PATH.match(path)
    if found is not None and found.group("user") not in ("features", "email", "summary"):
        return (unquote(found.group("user")),)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    if isinstance(data.get("user_info"), dict):  # POST /users
        return (str(data["user_info"].get("email", "")),)
    refs = data.get("users") or data.get("members") or []  # POST /users/features, group members
    return tuple(str(r.get("id") or r.get("email")) for r in refs if isinstance(r, dict))


def _public(user: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in user.items() if not k.startswith("_")}
    data["feature"] = dict(user["feature"])
    data["group_ids"] = list(user["group_ids"])
    return data


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {**(headers or {}), "content-type": "application/json;charset=UTF-8"},
        json.dumps(payload, separators=(",", ":")).encode(),
    )


def _basic(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, None)
