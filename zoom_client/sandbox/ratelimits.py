"""Zoom's rate limits: per-category requests a second per account, and the daily create cap.

Zoom counts per account and per category (Light, Medium, Heavy), not per endpoint
(../shared/ZOOM_API.md §4). The sandbox counts in one-second windows of sandbox time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

#: requests a second per category, by tier
QPS: dict[str, dict[str, int]] = {
    "business_plus": {"Light": 80, "Medium": 60, "Heavy": 40},
    "pro": {"Light": 30, "Medium": 20, "Heavy": 10},
}

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. Refer to the response header for "
    "details on when you can make another request."
)

_ID = r"[^/]+"
_CATEGORIES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(f"^{p}$"), c)
    for m, p, c in [
        ("GET", "/users", "Medium"),
        ("POST", "/users", "Light"),
        ("GET", "/users/summary", "Medium"),
        ("POST", "/users/features", "Medium"),
        ("GET", "/users/email", "Light"),
        ("*", f"/users/{_ID}/settings", "Medium"),
        ("PUT", f"/users/{_ID}/status", "Light"),
        ("*", f"/users/{_ID}", "Light"),
        ("GET", "/groups", "Medium"),
        ("POST", "/groups", "Light"),
        ("*", f"/groups/{_ID}", "Light"),
        ("GET", f"/groups/{_ID}/members", "Medium"),
        ("POST", f"/groups/{_ID}/members", "Medium"),
        ("PATCH", f"/groups/{_ID}/members/{_ID}", "Medium"),
        ("DELETE", f"/groups/{_ID}/members/{_ID}", "Light"),
        ("GET", f"/accounts/{_ID}/plans/usage", "Heavy"),
        ("GET", f"/accounts/{_ID}/managed_domains", "Light"),
        ("GET", "/accounts", "Medium"),
        ("*", "/accounts", "Light"),
        ("*", f"/accounts/{_ID}", "Light"),
    ]
]
_SUB = re.compile(r"^/accounts/[^/]+(?=/(users|groups)(/|$))")


def category(method: str, path: str) -> str:
    """Zoom's rate-limit label of a call; sub-account calls count like the call they prefix."""
    path = _SUB.sub("", path)
    for m, pattern, label in _CATEGORIES:
        if (m == "*" or m == method) and pattern.match(path):
            return label
    return "Medium"


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
        limit = QPS[self.tier].get(label, QPS[self.tier]["Medium"])
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
