"""What the sandbox and its transports share: the paths it answers, the Reply it gives and the
faults a transport acts out.

The sandbox core, the in-process httpx transports and the ASGI app all import this module and
none of them imports another, so the sandbox has no import circle and the server pieces
(Starlette, uvicorn) stay optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zoom_client.sandbox.config import FaultConfig

#: the base URL of an in-process sandbox (never resolved: the transports answer it)
INPROCESS_BASE = "https://sandbox.zoom.invalid"
API_PREFIX = "/v2"
OAUTH_PATH = "/oauth/token"

# Fault names a transport acts out (Reply.fault)
CONNECT = "connect"  # nothing listens: connection refused (the sandbox has died)
DROP_BEFORE = "drop_before_write"  # connection reset before the sandbox acted
DROP_AFTER = "drop_after_write"  # the sandbox acted, then the connection was reset
TIMEOUT = "timeout"  # the sandbox acted, the answer never came
FAULTS = frozenset({CONNECT, DROP_BEFORE, DROP_AFTER, TIMEOUT})


@dataclass
class Reply:
    """One answer of the sandbox: what to send, or the fault to act out instead, after ``delay``."""

    status: int
    headers: dict[str, str]
    body: bytes
    fault: str | None = None
    delay: float = 0.0


class Processor(Protocol):
    """What a transport needs of the sandbox: one request in as plain values, one Reply out."""

    faults: FaultConfig

    def process(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply: ...
