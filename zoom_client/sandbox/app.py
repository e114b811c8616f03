"""The sandbox as an ASGI app (Starlette routing), for uvicorn on a real port.

Faults are acted out on the wire: a "dropped" or "refused" request gets response headers
announcing a body that never comes and the connection is closed, so the client sees the
connection break (httpx: RemoteProtocolError) exactly as with a real network failure.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from zoom_client.sandbox.wire import API_PREFIX, OAUTH_PATH, TIMEOUT, Processor

METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
_DROP_NOTE = "ASGI callable returned without completing response."


class _QuietDrops(logging.Filter):
    """uvicorn logs an error for every response we cut on purpose: keep those out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROP_NOTE


class _Endpoint:
    """A raw ASGI endpoint: it needs to send headers and then hang up, which Response can't."""

    def __init__(self, sandbox: Processor) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope.get("raw_path") or scope["path"].encode()
        reply = self.sandbox.process(
            scope["method"], path.decode("ascii"), scope["query_string"].decode("latin-1"), headers, body
        )
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        if reply.fault is not None:
            if reply.fault == TIMEOUT:
                await asyncio.sleep(self.sandbox.faults.timeout_seconds)
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
            )
            return  # the body never comes: uvicorn closes the connection
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
        raw_headers.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": reply.body})


def build_app(sandbox: Processor) -> Starlette:
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    endpoint = _Endpoint(sandbox)
    return Starlette(
        routes=[
            Route(OAUTH_PATH, endpoint, methods=METHODS),
            Route(API_PREFIX + "/{path:path}", endpoint, methods=METHODS),
        ]
    )
