"""In-process httpx transports: the client talks to a Sandbox with no socket.

Both call ``Sandbox.process`` (the same core the ASGI app uses) and act out its faults as the
exceptions a real network would raise: a refused connection (``httpx.ConnectError``), a
connection closed with no answer (``httpx.RemoteProtocolError``) and a read timeout
(``httpx.ReadTimeout``). ``httpx.ASGITransport`` could not do that: it turns app errors into
500s or re-raises the app's own exception.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from zoom_client.sandbox.wire import CONNECT, DROP_AFTER, DROP_BEFORE, TIMEOUT, Processor, Reply


def _split(request: httpx.Request) -> tuple[str, str, dict[str, str]]:
    raw = request.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
    return path, query, headers


def _finish(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.fault == CONNECT:
        raise httpx.ConnectError("[Errno 111] Connection refused (sandbox is down)", request=request)
    if reply.fault in (DROP_BEFORE, DROP_AFTER):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    if reply.fault == TIMEOUT:
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body, request=request)


class SandboxTransport(httpx.BaseTransport):
    """Blocking transport for ``ZoomClient`` / ``httpx.Client``; latency is slept for real."""

    def __init__(self, sandbox: Processor) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path, query, headers = _split(request)
        reply = self.sandbox.process(request.method, path, query, headers, request.read())
        if reply.delay > 0:
            time.sleep(reply.delay)
        return _finish(reply, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """Async transport for ``AsyncZoomClient`` / ``httpx.AsyncClient``."""

    def __init__(self, sandbox: Processor) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path, query, headers = _split(request)
        body = await request.aread()
        reply = self.sandbox.process(request.method, path, query, headers, body)
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        return _finish(reply, request)
