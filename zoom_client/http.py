"""The one request loop: rate limit, token, send, classify, retry. Async; the sync client reuses it.

Every Zoom call goes through :meth:`Requester.request`:

1. wait for the category's start slot (``RateLimiter``), take the shared token;
2. send; a transport error becomes ZoomConnectionError/ZoomTimeoutError (no httpx exception
   escapes), an error status becomes the ZoomAPIError subclass for it;
3. 401 about the token (code 124, none, or "access token" without a scope complaint): drop the
   token, fetch a new one once (shared by all tasks), repeat the request;
4. 429 per-second: pause the category for Retry-After (or 1 s) and retry; daily limit, or a
   Retry-After more than a minute away: raise RateLimitError(retry_at=…) without sleeping;
5. connection errors, timeouts and 5xx: retry after capped exponential backoff with jitter,
   at most ``settings.max_retries`` times.

Zoom takes no idempotency key. A POST that may have reached Zoom (timeout, dropped connection,
5xx) is still retried, but the error raised by a later attempt carries ``after_ambiguous=True``
so the caller can resolve it (``users.create`` reads the user back on 409/1005). A connect
error (refused, DNS) or a 429 never reached Zoom's logic and does not make a call ambiguous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from zoom_client._retry import MAX_RETRY_AFTER, QPS_WAIT, backoff, parse_retry_after
from zoom_client.auth import LegacyJWT, S2SOAuth, TokenProvider
from zoom_client.budgets import Budgets
from zoom_client.errors import (
    RateLimitError,
    ZoomAPIError,
    ZoomConnectionError,
    ZoomError,
    ZoomResponseError,
    ZoomTimeoutError,
    error_class,
    scrub,
)
from zoom_client.ratelimit import Category, RateLimiter, category_for
from zoom_client.settings import ZoomSettings

log = logging.getLogger("zoom_client.http")

Params = Mapping[str, str | int | bool | None]
_TAGS = re.compile(r"<[^>]+>")
_CODE = re.compile(r'"code"\s*:\s*(\d+)')
_MESSAGE = re.compile(r'"message"\s*:\s*"(.*?)"\s*[,}]', re.S)


class Requester:
    """Owns the httpx.AsyncClient, the token provider and the limiter of one client."""

    def __init__(
        self,
        settings: ZoomSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        settings.require_credentials()
        self.settings = settings
        self._sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        self._rng = rng
        self._transport = transport
        # One TLS context for every pool: building one (the CA bundle read) costs tens of ms.
        self._tls = httpx.create_ssl_context()
        self._http = self._connections()
        self._sub_connections: list[httpx.AsyncClient] = []
        self._limiter = RateLimiter(settings.tier, settings.rate_share, sleep=self._sleep, clock=self._clock)
        self._account = ""  # the sub-account this requester's paths name ("": the master itself)
        self._budgets = Budgets(settings.sub_account_budget, self._limiter, self._clock)
        self.auth: TokenProvider
        if settings.auth == "jwt":
            self.auth = LegacyJWT(settings, clock=self._clock)
        else:
            self.auth = S2SOAuth(settings, self._http, sleep=self._sleep, clock=self._clock, rng=rng)

    def _connections(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport,
            verify=self._tls,
            timeout=httpx.Timeout(self.settings.timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            headers={"Accept": "application/json", "User-Agent": "provision-zoom-client/0.1"},
        )

    @property
    def limiter(self) -> RateLimiter:
        """The limiter this requester's calls wait on: a sub-account's own, or the master's once
        its calls draw on the master's budget (zoom_client.budgets)."""
        return self._budgets.limiter(self._limiter) if self._account else self._limiter

    def for_sub_account(self, account_id: str) -> Requester:
        """A requester for one sub-account: the same token (Zoom may invalidate a token when
        another is fetched, ZOOM_API.md §3.1), its own limiter, since Zoom counts rate limits per
        account (§4; zoom_client.budgets for whose budget), and its own connections: httpx looks
        at every connection of its pool for each request, so one pool for several busy accounts
        cost the client CPU per request (closed with ours)."""
        sibling = object.__new__(Requester)
        sibling.__dict__.update(self.__dict__)
        sibling._account = account_id
        sibling._limiter = RateLimiter(
            self.settings.tier, self.settings.rate_share, sleep=self._sleep, clock=self._clock
        )
        if self._transport is None:  # a given transport (the in-process sandbox) has no pool
            sibling._http = self._connections()
            self._sub_connections.append(sibling._http)
        return sibling

    async def aclose(self) -> None:
        for connections in self._sub_connections:
            await connections.aclose()
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send one call (``path`` relative to the API URL) with limits, auth and retries."""
        method = method.upper()
        category = category_for(method, path)
        url = self.settings.api_url + path
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        attempt = rate_attempt = 0
        refreshed = ambiguous = False
        while True:
            limiter = self.limiter
            await limiter.acquire(category)
            if limiter is not self.limiter:
                continue  # the sub-accounts now share the master's budget: a slot of its own
            token = await self.auth.token()
            failure: Exception
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=query or None,
                    json=json_body,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.TimeoutException as exc:
                # A timeout after sending may mean Zoom did the work: an ambiguous outcome.
                ambiguous = ambiguous or not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                failure = ZoomTimeoutError(
                    f"Zoom did not answer {method} {path} in time ({type(exc).__name__})"
                )
            except httpx.HTTPError as exc:
                ambiguous = ambiguous or not isinstance(exc, httpx.ConnectError)
                failure = ZoomConnectionError(
                    f"could not reach Zoom for {method} {path}: {type(exc).__name__}"
                )
            else:
                self.limiter.observe(category, response.headers)
                log.debug(
                    "%s %s -> %s (tracking id %s)",
                    method,
                    path,
                    response.status_code,
                    response.headers.get("x-zm-trackingid"),
                )
                if response.status_code < 400:
                    return response
                error = api_error(response, method, path, category=category)
                error.after_ambiguous = ambiguous
                if not refreshed and error.is_token_invalid():
                    # Expired or revoked token: one fresh token, then the same request again.
                    refreshed = True
                    self.auth.invalidate(token)
                    log.info("Zoom refused the access token (%s %s); fetching a new one", method, path)
                    continue
                if isinstance(error, RateLimitError):
                    delay = self._rate_limit_delay(error, category, rate_attempt)
                    rate_attempt += 1
                    log.info("rate limited on %s %s (%s); retrying in %.2f s", method, path, category, delay)
                    self._budgets.refused(self._account, self._limiter.stats[category].first_start)
                    self.limiter.pause(category, delay)
                    continue
                if response.status_code < 500:
                    raise error
                ambiguous = True
                failure = error
            if attempt >= self.settings.max_retries:
                if ambiguous and isinstance(failure, ZoomError):
                    failure.after_ambiguous = True
                raise failure
            delay = backoff(attempt, rng=self._rng)
            attempt += 1
            log.info("%s on %s %s; retry %d in %.2f s", type(failure).__name__, method, path, attempt, delay)
            await self._sleep(delay)

    def _rate_limit_delay(self, error: RateLimitError, category: Category, rate_attempt: int) -> float:
        """How long to wait before retrying a per-second 429, or raise it when it is not one."""
        wait = error.retry_after
        if wait is None and error.retry_at is not None:
            wait = (error.retry_at - datetime.now(UTC)).total_seconds()
        if error.limit_type == "Daily-limit" or (wait is not None and wait > MAX_RETRY_AFTER):
            raise error  # a daily budget: the run stops and resumes after retry_at
        # Per-second 429s get twice the retry budget: they are cheap and expected near the limit.
        if rate_attempt >= max(1, self.settings.max_retries) * 2:
            raise error
        if wait is not None:
            return max(0.0, wait)
        return max(QPS_WAIT, backoff(rate_attempt, rng=self._rng, base=QPS_WAIT))

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then the decoded JSON body (None for an empty 2xx body)."""
        response = await self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ZoomResponseError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON"
            ) from None


def _seconds(value: str | None) -> float | None:
    """Retry-After as a number of seconds, when it is one (not a date)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return max(0.0, seconds) if seconds is not None and seconds == seconds else None


def _query_value(value: str | int | bool) -> str | int:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def api_error(
    response: httpx.Response, method: str, path: str, *, category: Category | None = None
) -> ZoomAPIError:
    """The ZoomAPIError for an error response; HTML, empty or broken JSON bodies included."""
    status = response.status_code
    code: int | None = None
    message: str | None = None
    errors: list[dict[str, Any]] = []
    text = response.text if response.content else ""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
        # Zoom sometimes sends JSON with unescaped quotes: pick code and message out by hand.
        if (m := _CODE.search(text)) is not None:
            code = int(m.group(1))
        if (m := _MESSAGE.search(text)) is not None:
            message = m.group(1)
    if isinstance(data, dict):
        raw_code = data.get("code")
        code = int(raw_code) if isinstance(raw_code, int | str) and str(raw_code).isdigit() else None
        message = str(data.get("message") or data.get("reason") or response.reason_phrase or "") or None
        raw_errors = data.get("errors")
        errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    if message is None:
        snippet = " ".join(_TAGS.sub(" ", text).split())[:200]
        message = snippet or response.reason_phrase or "no error body"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "errors": errors,
        "method": method,
        "path": path,
        "tracking_id": response.headers.get("x-zm-trackingid"),
    }
    cls = error_class(status)
    if cls is RateLimitError:
        limit_type = response.headers.get("x-ratelimit-type")
        if limit_type is None and "daily" in message.lower():
            limit_type = "Daily-limit"
        return RateLimitError(
            scrub(message),
            retry_at=parse_retry_after(response.headers.get("retry-after")),
            retry_after=_seconds(response.headers.get("retry-after")),
            category=response.headers.get("x-ratelimit-category") or (category.value if category else None),
            limit_type="Daily-limit"
            if (limit_type or "").lower().startswith("daily")
            else ("QPS" if limit_type else None),
            **kwargs,
        )
    return cls(scrub(message), **kwargs)
