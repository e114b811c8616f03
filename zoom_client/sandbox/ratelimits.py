"""Zoom's rate limits: per-category requests a second per account, and the daily create cap.

Zoom counts per account and per category (Light, Medium, Heavy), not per endpoint
(../shared/ZOOM_API.md §4). The sandbox counts in one-second windows of sandbox time; which call
falls in which category, and each category's figure, come from the client's table
(zoom_client.ratelimit), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from zoom_client.ratelimit import RATES, category_for

#: requests a second per category, by tier: the client's table (one source for the figures the
#: client paces at and the sandbox enforces). Per-minute categories (Resource-intensive) are not
#: counted in per-second windows; the sandbox routes no such endpoint.
QPS: dict[str, dict[str, int]] = {
    tier: {category.value: int(rate) for category, rate in rates.items() if rate >= 1}
    for tier, rates in RATES.items()
}

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. Refer to the response header for "
    "details on when you can make another request."
)


def category(method: str, path: str) -> str:
    """Zoom's rate-limit label of a call; sub-account calls count like the call they prefix."""
    return category_for(method, path).value


def qps(tier: str, label: str) -> int:
    """Requests a second a category allows; unknown labels count as Medium (as the client does)."""
    return QPS[tier].get(label, QPS[tier]["Medium"])


@dataclass
class Verdict:
    """The limiter's answer: allowed or not, and the headers Zoom sends."""

    allowed: bool
    headers: dict[str, str]
    message: str = ""


class RateLimits:
    """Per-second windows per category and the daily action=create counter (not thread-safe:
    the caller holds the sandbox lock)."""

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self._window: dict[str, tuple[int, int]] = {}
        self._creates: tuple[str, int] = ("", 0)

    def check_qps(self, label: str, monotonic: float) -> Verdict:
        limit = qps(self.tier, label)
        second = int(monotonic)
        start, used = self._window.get(label, (second, 0))
        if start != second:
            used = 0
        headers = {"X-RateLimit-Category": label, "X-RateLimit-Type": "QPS", "X-RateLimit-Limit": str(limit)}
        if used >= limit:
            headers["X-RateLimit-Remaining"] = "0"
            headers["Retry-After"] = "1"
            return Verdict(False, headers, QPS_MESSAGE)
        self._window[label] = (second, used + 1)
        headers["X-RateLimit-Remaining"] = str(limit - used - 1)
        return Verdict(True, headers)

    def check_daily_create(self, cap: int, now: datetime) -> Verdict:
        day = now.strftime("%Y-%m-%d")
        seen_day, used = self._creates
        if seen_day != day:
            used = 0
        headers = {
            "X-RateLimit-Category": "Light",
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": str(cap),
        }
        if used >= cap:
            midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            headers["X-RateLimit-Remaining"] = "0"
            headers["Retry-After"] = midnight.strftime("%Y-%m-%dT%H:%M:%SZ")
            return Verdict(False, headers, DAILY_MESSAGE)
        self._creates = (day, used + 1)
        headers["X-RateLimit-Remaining"] = str(cap - used - 1)
        return Verdict(True, headers)
