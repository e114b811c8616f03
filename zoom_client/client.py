"""AsyncZoomClient and its sync face ZoomClient.

There is one request loop (``zoom_client.http.Requester``) and it is async. ZoomClient does not
copy it: it owns a private event loop running in a daemon thread and hands each call's coroutine
to it (``run_coroutine_threadsafe``), blocking until the answer. Why this and not a sans-IO
generator core: the shared token needs a lock and the limiter needs sleeps; with one loop both
are written once, and the sync face still works when the caller itself runs inside an event
loop (Jupyter, an ASGI app), where ``asyncio.run`` per call would fail. The same loop also keeps
one connection pool, one token and one limiter for the life of the client.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

import httpx

from zoom_client.accounts import Accounts
from zoom_client.groups import Groups
from zoom_client.http import Requester
from zoom_client.paginate import AsyncPaginator, Paginator
from zoom_client.ratelimit import RateLimiter
from zoom_client.settings import ZoomSettings
from zoom_client.users import Users

R = TypeVar("R")


class AsyncZoomClient:
    """The Zoom REST API v2 client. ``async with AsyncZoomClient(settings) as zoom: ...``

    ``transport`` replaces the network (tests, the in-process sandbox); ``sleep`` replaces
    ``asyncio.sleep`` for every wait (backoff and pacing) so tests record instead of sleeping;
    ``clock`` (monotonic seconds) drives token expiry and pacing; ``rng`` fixes the jitter.
    """

    def __init__(
        self,
        settings: ZoomSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._requester = Requester(settings, transport=transport, sleep=sleep, clock=clock, rng=rng)
        self.users = Users(self._requester)
        self.groups = Groups(self._requester)
        self.accounts = Accounts(self._requester)
        self._subs: dict[str, SubAccountClient] = {}

    @property
    def limiter(self) -> RateLimiter:
        return self._requester.limiter

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client obtained (one per hour of work, ideally)."""
        return self._requester.auth.fetches

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        """The scopes the last token holds, as the token endpoint listed them (None: not said)."""
        return self._requester.auth.scopes

    async def fetch_token(self) -> None:
        """Obtain the access token now (``provision doctor``); ZoomAuthError if refused."""
        await self._requester.auth.token()

    def sub_account(self, account_id: str) -> SubAccountClient:
        """The sub-account `account_id`; the same object (and limiter) every time it is asked for."""
        sub = self._subs.get(account_id)
        if sub is None:
            sub = self._subs[account_id] = SubAccountClient(self._requester, account_id)
        return sub

    async def aclose(self) -> None:
        await self._requester.aclose()

    async def __aenter__(self) -> AsyncZoomClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncZoomClient(api_url={self.settings.api_url!r}, account_id={self.settings.account_id!r})"


class SubAccountClient(AsyncZoomClient):
    """One sub-account of a master account: the client's face with every path under
    ``/accounts/{accountId}`` (ZOOM_API.md §2.2), so whatever takes an AsyncZoomClient works on it.

    ``accounts.plan_usage()`` reads this sub-account's seats. Its ``limiter`` paces this account's
    calls apart from the master's, since Zoom counts rate limits per account (§4); the token and
    the connections are the master's (a second token could invalidate the first, §3.1), and so is
    closing them.
    """

    def __init__(self, master: Requester, account_id: str) -> None:
        # Not AsyncZoomClient.__init__: that would open connections and a token of its own.
        from zoom_client._resource import segment

        prefix = f"/accounts/{segment(account_id, 'account id')}"
        self.settings = master.settings
        self.account_id = account_id
        self._requester = master.for_sub_account(account_id)
        self.users = Users(self._requester, prefix)
        self.groups = Groups(self._requester, prefix)
        self.accounts = Accounts(self._requester, me=account_id)
        self._subs = {}

    def sub_account(self, account_id: str) -> SubAccountClient:
        raise ValueError(f"sub-account {self.account_id} has no sub-accounts of its own")

    async def aclose(self) -> None:
        return None  # the master's connections: closed with the master

    def __repr__(self) -> str:
        return f"SubAccountClient({self.account_id!r})"


class SyncSubAccount:
    """The sync face of one sub-account (``ZoomClient.sub_account``)."""

    def __init__(self, inner: SubAccountClient, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        self.users: Any = _SyncFace(inner.users, run)
        self.groups: Any = _SyncFace(inner.groups, run)
        self.accounts: Any = _SyncFace(inner.accounts, run)
        self.limiter = inner.limiter
        self.account_id = inner.account_id

    def __repr__(self) -> str:
        return f"SyncSubAccount({self.account_id!r})"


class _SyncTransport(httpx.AsyncBaseTransport):
    """Lets the async loop drive a sync ``httpx.BaseTransport`` (the sandbox's, a MockTransport)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # In a worker thread: a sync transport may block, or run an event loop of its own,
        # which it could not do on the client's loop thread.
        return await asyncio.to_thread(self._send, request)

    def _send(self, request: httpx.Request) -> httpx.Response:
        response = self._transport.handle_request(request)
        try:
            content = response.read()
        finally:
            response.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        self._transport.close()


class _SyncFace:
    """Wraps a resource: coroutine methods block, AsyncPaginators become Paginators."""

    def __init__(self, inner: Any, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        self._inner = inner
        self._run = run

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.iscoroutine(result):
                return self._run(result)
            if isinstance(result, AsyncPaginator):
                return Paginator(result, self._run)
            return result

        return call

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._inner) if not n.startswith("_")]

    def __repr__(self) -> str:
        return f"sync {type(self._inner).__name__}"


class ZoomClient:
    """Blocking face of AsyncZoomClient: same resources and method names, same single loop.

    ``with ZoomClient(settings) as zoom: for user in zoom.users.list(status="pending"): ...``
    ``sleep`` is a plain ``Callable[[float], None]`` here.
    """

    def __init__(
        self,
        settings: ZoomSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        async_sleep: Callable[[float], Awaitable[None]] | None = None
        if sleep is not None:
            blocking_sleep = sleep

            async def async_sleep(seconds: float) -> None:
                blocking_sleep(seconds)

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="zoom-client-loop", daemon=True)
        self._thread.start()
        try:
            self._async = AsyncZoomClient(
                settings,
                transport=_SyncTransport(transport) if transport is not None else None,
                sleep=async_sleep,
                clock=clock,
                rng=rng,
            )
        except BaseException:
            self._stop()
            raise
        self.settings = settings
        self.users: Any = _SyncFace(self._async.users, self._run)
        self.groups: Any = _SyncFace(self._async.groups, self._run)
        self.accounts: Any = _SyncFace(self._async.accounts, self._run)
        self._closed = False

    def _run(self, coro: Coroutine[Any, Any, R]) -> R:
        if self._thread is threading.current_thread():
            coro.close()
            raise RuntimeError("ZoomClient called from its own event loop; use AsyncZoomClient there")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def limiter(self) -> RateLimiter:
        return self._async.limiter

    @property
    def token_fetches(self) -> int:
        return self._async.token_fetches

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return self._async.granted_scopes

    def fetch_token(self) -> None:
        self._run(self._async.fetch_token())

    def sub_account(self, account_id: str) -> SyncSubAccount:
        return SyncSubAccount(self._async.sub_account(account_id), self._run)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._async.aclose())
        finally:
            self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ZoomClient(api_url={self.settings.api_url!r}, account_id={self.settings.account_id!r})"
