"""Access tokens: Server-to-Server OAuth (account_credentials), cached and shared; legacy JWT.

One token serves every request of a client, across all concurrent tasks: the first task that
finds it missing or about to expire fetches a new one under an ``asyncio.Lock`` while the others
wait for that same fetch (single flight). Zoom has in the past invalidated older S2S tokens when a
new one was issued (../shared/ZOOM_API.md §3.1), so fetching one per task would make tasks revoke
each other's tokens.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from zoom_client._retry import backoff
from zoom_client.errors import ZoomAuthError, ZoomConnectionError, ZoomTimeoutError, scrub
from zoom_client.settings import ZoomSettings

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0  # refresh five minutes before Zoom's expires_in runs out
JWT_LIFETIME = 3600


class TokenProvider:
    """Base: a cached bearer token, refreshed before expiry and on demand after a 401."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many tokens were obtained (figures, tests)
        #: the scopes the token endpoint said the last token holds (its `scope` field); None when
        #: it did not say (legacy JWT, or an answer without the field)
        self.scopes: frozenset[str] | None = None

    async def token(self) -> str:
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        async with self._lock:
            # Another task may have refreshed while this one waited for the lock.
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            token, lifetime = await self._fetch()
            self.fetches += 1
            margin = min(REFRESH_MARGIN, lifetime / 10)
            self._token, self._refresh_at = token, self._clock() + lifetime - margin
            return token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after Zoom refused it; a newer token fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> tuple[str, float]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cached={self._token is not None})"


class S2SOAuth(TokenProvider):
    """Server-to-Server OAuth: POST {oauth_url}?grant_type=account_credentials&account_id=…
    with ``Authorization: Basic base64(client_id:client_secret)``; answer ``access_token``,
    ``expires_in`` (3600). Transport errors and 5xx are retried like API calls."""

    def __init__(
        self,
        settings: ZoomSettings,
        http: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self._settings = settings
        self._http = http
        self._sleep = sleep
        self._rng = rng

    def _basic(self) -> str:
        pair = f"{self._settings.client_id}:{self._settings.client_secret.get_secret_value()}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    async def _fetch(self) -> tuple[str, float]:
        params = {"grant_type": "account_credentials", "account_id": self._settings.account_id}
        attempt = 0
        while True:
            try:
                response = await self._http.post(
                    self._settings.oauth_url, params=params, headers={"Authorization": self._basic()}
                )
            except httpx.TimeoutException as exc:
                failure: Exception = ZoomTimeoutError(
                    f"timed out fetching a Zoom access token: {type(exc).__name__}"
                )
            except httpx.HTTPError as exc:
                failure = ZoomConnectionError(
                    f"could not reach the Zoom token endpoint {self._settings.oauth_url}: "
                    f"{type(exc).__name__}"
                )
            else:
                if response.status_code < 400:
                    return self._parse(response)
                if response.status_code < 500 and response.status_code != 429:
                    raise _auth_error(response)
                failure = _auth_error(response)
            if attempt >= self._settings.max_retries:
                raise failure
            delay = backoff(attempt, rng=self._rng)
            log.info("token request failed (%s); retrying in %.2f s", type(failure).__name__, delay)
            await self._sleep(delay)
            attempt += 1

    def _parse(self, response: httpx.Response) -> tuple[str, float]:
        try:
            data = response.json()
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in") or 3600)
            scope = data.get("scope")
            if isinstance(scope, str):
                self.scopes = frozenset(scope.split())
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ZoomAuthError(
                "the Zoom token endpoint answered without an access_token", status=response.status_code
            ) from None
        log.debug("fetched a Zoom access token valid %.0f s", lifetime)
        return token, lifetime


def _auth_error(response: httpx.Response) -> ZoomAuthError:
    data: dict[str, Any] = {}
    try:
        parsed = response.json()
        data = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    code = data.get("code")
    reason = data.get("reason") or data.get("message") or data.get("error") or response.reason_phrase
    hint = ""
    if code in (4702, 4704) or data.get("error") == "invalid_client":
        hint = " (check ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET)"
    elif code == 4717:
        hint = " (the app is disabled in the Zoom Marketplace)"
    elif data.get("error") == "invalid_request" or code == 4706:
        hint = " (check ZOOM_ACCOUNT_ID)"
    return ZoomAuthError(
        scrub(
            f"Zoom refused the token request: HTTP {response.status_code}"
            f"{f'/{code}' if code else ''} {reason}{hint}"
        ),
        status=response.status_code,
        code=code if isinstance(code, int) else None,
    )


class LegacyJWT(TokenProvider):
    """**Deprecated** JWT app type (Zoom disabled it in September 2023): an HS256 token with
    ``iss`` = API key and ``exp``, signed with the API secret, made locally."""

    def __init__(self, settings: ZoomSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self._settings = settings

    async def _fetch(self) -> tuple[str, float]:
        import jwt  # PyJWT; imported here so S2S users never load it

        secret = self._settings.jwt_api_secret.get_secret_value() if self._settings.jwt_api_secret else ""
        payload = {"iss": self._settings.jwt_api_key, "exp": int(time.time()) + JWT_LIFETIME}
        return jwt.encode(payload, secret, algorithm="HS256"), float(JWT_LIFETIME)
