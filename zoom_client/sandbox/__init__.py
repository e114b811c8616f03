"""A stateful simulator of the parts of the Zoom API that zoom_client uses.

``Sandbox(SandboxConfig(...))`` holds one account; give a client ``sb.settings()`` and
``sb.async_transport()`` (or ``sb.transport()``), or serve ``sb.asgi_app`` with uvicorn
(``with sb.serve() as server: server.settings()``). See docs/interfaces.md §2.
"""

from __future__ import annotations

from zoom_client.sandbox.clock import SandboxClock
from zoom_client.sandbox.config import FaultConfig, SandboxConfig
from zoom_client.sandbox.rules import OtherWriter, WriterEvent
from zoom_client.sandbox.sandbox import LoggedRequest, Sandbox
from zoom_client.sandbox.wire import Reply

__all__ = [
    "FaultConfig",
    "LoggedRequest",
    "OtherWriter",
    "Reply",
    "Sandbox",
    "SandboxClock",
    "SandboxConfig",
    "WriterEvent",
]
