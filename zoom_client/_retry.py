"""Pure retry decisions: backoff delays and Zoom's Retry-After in its three forms."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

BACKOFF_BASE = 0.5  # seconds before the first retry
BACKOFF_CAP = 8.0  # no single backoff waits longer
#: a 429 whose Retry-After lies further away than this is a budget for the day, not for the
#: second: the client raises RateLimitError(retry_at=...) instead of sleeping for hours.
MAX_RETRY_AFTER = 60.0
QPS_WAIT = 1.0  # per-second 429 without Retry-After: Zoom's window is one second


def backoff(attempt: int, *, rng: random.Random | None = None, base: float = BACKOFF_BASE) -> float:
    """Delay before retry number ``attempt`` (0-based): base·2ⁿ capped at 8 s, times 0.75-1 jitter.

    The jitter spreads the retries of many concurrent tasks so they do not hit Zoom together.
    """
    delay = min(BACKOFF_CAP, base * 2.0**attempt)
    factor = 1 - 0.25 * (rng.random() if rng is not None else random.random())
    return delay * factor


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """When Retry-After says to come back, as an aware UTC datetime, or None if unreadable.

    Accepts seconds (``"1"``, ``"0.5"``), an HTTP date (``"Wed, 21 Oct 2025 07:28:00 GMT"``)
    and an ISO-8601 time (``"2020-05-31T00:00:00Z"``, Zoom's daily-limit form).
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    now = now or datetime.now(UTC)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return now + timedelta(seconds=max(0.0, seconds)) if seconds == seconds else None
    for parse in (_http_date, _iso_time):
        moment = parse(value)
        if moment is not None:
            return moment
    return None


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
