"""Zoom-like ids and timestamps of the sandbox."""

from __future__ import annotations

import base64
import random
from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(rng: random.Random, length: int = 22) -> str:
    """A Zoom-like id (22 url-safe characters by default) from the seeded Random."""
    size = (length + 3) // 4 * 3  # whole base64 groups: no padding
    raw = rng.getrandbits(8 * size).to_bytes(size, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii")[:length]
