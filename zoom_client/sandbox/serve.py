"""Serve a Sandbox over loopback with uvicorn: in a background thread (tests, benchmarks,
the demo) or in the foreground (``provision sandbox serve``)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import uvicorn

from zoom_client.sandbox.wire import API_PREFIX, OAUTH_PATH, Processor
from zoom_client.settings import ZoomSettings

if TYPE_CHECKING:
    from starlette.applications import Starlette


class Served(Processor, Protocol):
    """What the server needs of a sandbox: its ASGI app and settings pointed at a URL."""

    @property
    def asgi_app(self) -> Starlette: ...

    def settings(self, **overrides: Any) -> ZoomSettings: ...


class LoopbackServer:
    """``with sb.serve() as server: server.api_url`` — uvicorn on a free port in a thread."""

    def __init__(self, sandbox: Served, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        config = uvicorn.Config(
            sandbox.asgi_app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def oauth_url(self) -> str:
        return self.base_url + OAUTH_PATH

    def settings(self, **overrides: Any) -> ZoomSettings:
        return self.sandbox.settings(api_url=self.api_url, oauth_url=self.oauth_url, **overrides)

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        self._thread = threading.Thread(target=self._server.run, name="zoom-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
