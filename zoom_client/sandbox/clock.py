"""Sandbox time: the real monotonic clock plus an offset that tests move forward."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """``monotonic()`` drives expiries (tokens, page tokens); ``now()`` is the matching UTC time."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._mono0 = time.monotonic()
        self._wall0 = datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sandbox time only moves forward")
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.monotonic() - self._mono0)

    def __call__(self) -> float:
        return self.monotonic()
