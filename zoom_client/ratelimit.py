"""Client-side rate limiting per Zoom category (Light, Medium, Heavy, Resource-intensive).

Zoom counts requests per account and per *category*, not per endpoint (../shared/ZOOM_API.md §4).
The limiter paces the START times of requests in each category at the tier's per-second figure
times ``rate_share`` (GCRA / virtual scheduling with no burst): each caller reserves the next free
start slot under no lock and sleeps until it, so any number of requests may be in flight at once
and a 100 ms round trip never lowers the throughput below the limit. A per-second 429 seen by one
task pushes the whole category's next slot back (:meth:`RateLimiter.pause`), so the other tasks
slow down too instead of each earning its own 429.

Starts are spaced for ``HEADROOM`` (97 %) of the budget: an event loop wakes sleepers a little
late, late starts bunch up, and on a busy machine a window could otherwise hold one or two calls
more than Zoom allows; one 429 costs a one-second pause of the whole category, far more than 3 %.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"
    RESOURCE_INTENSIVE = "Resource-intensive"


#: requests per second per category, Zoom's published figures (ZOOM_API.md §4).
RATES: dict[str, dict[Category, float]] = {
    "pro": {
        Category.LIGHT: 30.0,
        Category.MEDIUM: 20.0,
        Category.HEAVY: 10.0,
        Category.RESOURCE_INTENSIVE: 10 / 60,
    },
    "business_plus": {
        Category.LIGHT: 80.0,
        Category.MEDIUM: 60.0,
        Category.HEAVY: 40.0,
        Category.RESOURCE_INTENSIVE: 20 / 60,
    },
}

HEADROOM = 0.97  # fraction of the budget the pacing aims at (see the module docstring)

_ID = r"[^/]+"
# (method, path regex, category); first match wins, so fixed words (summary, features, email)
# come before the {userId} patterns they would otherwise match.
_ROUTES: list[tuple[str, re.Pattern[str], Category]] = [
    (m, re.compile(f"^{p}$"), c)
    for m, p, c in [
        ("GET", "/users", Category.MEDIUM),
        ("POST", "/users", Category.LIGHT),
        ("GET", "/users/summary", Category.MEDIUM),
        ("POST", "/users/features", Category.MEDIUM),
        ("GET", "/users/email", Category.LIGHT),
        ("GET", f"/users/{_ID}/settings", Category.MEDIUM),
        ("PATCH", f"/users/{_ID}/settings", Category.MEDIUM),
        ("PUT", f"/users/{_ID}/status", Category.LIGHT),
        ("PUT", f"/users/{_ID}/account", Category.LIGHT),  # switch a user's account (master APIs)
        ("*", f"/users/{_ID}", Category.LIGHT),
        ("GET", "/groups", Category.MEDIUM),
        ("POST", "/groups", Category.LIGHT),
        ("*", f"/groups/{_ID}", Category.LIGHT),
        ("GET", f"/groups/{_ID}/members", Category.MEDIUM),
        ("POST", f"/groups/{_ID}/members", Category.MEDIUM),
        ("PATCH", f"/groups/{_ID}/members/{_ID}", Category.MEDIUM),
        ("DELETE", f"/groups/{_ID}/members/{_ID}", Category.LIGHT),
        ("GET", f"/accounts/{_ID}/plans/usage", Category.HEAVY),
        ("GET", f"/accounts/{_ID}/managed_domains", Category.LIGHT),
        ("GET", "/accounts", Category.MEDIUM),
        ("*", f"/accounts/{_ID}", Category.LIGHT),
        ("POST", "/accounts", Category.LIGHT),
    ]
]
_SUB_ACCOUNT = re.compile(r"^/accounts/[^/]+(?=/(users|groups)(/|$))")


def category_for(method: str, path: str) -> Category:
    """The rate-limit category of a call (path relative to the API base, without query).

    Sub-account calls (``/accounts/{id}/users/...``) count like the plain call they prefix.
    Unknown endpoints count as Medium: slower than Light, so a guess never floods Zoom.
    """
    path = _SUB_ACCOUNT.sub("", path.split("?", 1)[0].rstrip("/")) or "/"
    method = method.upper()
    for m, pattern, category in _ROUTES:
        if m in ("*", method) and pattern.match(path):
            return category
    return Category.MEDIUM


@dataclass
class CategoryStats:
    """Figures for one category: calls started, 429s seen, time spent waiting for a slot."""

    rate: float
    calls: int = 0
    throttled: int = 0
    waited: float = 0.0
    limit: int | None = None  # last X-RateLimit-Limit Zoom sent
    remaining: int | None = None  # last X-RateLimit-Remaining
    first_start: float | None = None
    last_start: float | None = None
    next_slot: float = field(default=0.0, repr=False)
    pauses: int = field(default=0, repr=False)  # how many pauses so far (slots booked before one are void)

    @property
    def achieved_rate(self) -> float | None:
        """Calls per second between the first and the last start (None under two calls)."""
        if self.calls < 2 or self.first_start is None or self.last_start is None:
            return None
        span = self.last_start - self.first_start
        return (self.calls - 1) / span if span > 0 else None


class RateLimiter:
    """Paces request starts per category; see the module docstring for the design."""

    def __init__(
        self,
        tier: str = "business_plus",
        share: float = 1.0,
        *,
        headroom: float = HEADROOM,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        rates: Mapping[Category, float] | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("rate share must be in (0, 1]")
        base = dict(rates) if rates is not None else RATES[tier]
        self.tier = tier
        self.share = share
        self.headroom = headroom
        self._sleep = sleep
        self._clock = clock
        self.stats: dict[Category, CategoryStats] = {c: CategoryStats(rate=base[c] * share) for c in Category}

    @property
    def counts(self) -> dict[str, int]:
        """Calls started per category name (for figures)."""
        return {c.value: s.calls for c, s in self.stats.items()}

    def reserve(self, category: Category) -> float:
        """Book the next start slot of ``category``; returns how long to wait for it (seconds)."""
        stats = self.stats[category]
        now = self._clock()
        start = max(now, stats.next_slot)
        stats.next_slot = start + 1.0 / (stats.rate * self.headroom)
        stats.calls += 1
        stats.first_start = start if stats.first_start is None else stats.first_start
        stats.last_start = start
        return start - now

    async def acquire(self, category: Category) -> None:
        """Wait for this category's next start slot. Never holds a lock while waiting.

        A pause while waiting voids the slot: the call books another after the pause, rather than
        start on time into the refusals that caused it."""
        stats = self.stats[category]
        while True:
            pauses = stats.pauses
            delay = self.reserve(category)
            if delay <= 0:
                return
            stats.waited += delay
            await self._sleep(delay)
            if stats.pauses == pauses:
                return
            stats.calls -= 1  # the void slot started nothing

    def pause(self, category: Category, seconds: float) -> None:
        """Zoom said slow down (per-second 429): no new start in ``category`` for ``seconds``."""
        stats = self.stats[category]
        stats.throttled += 1
        stats.pauses += 1
        # Slots booked before the pause are void (acquire): the line starts again after it.
        stats.next_slot = self._clock() + seconds

    def observe(self, category: Category, headers: Mapping[str, str]) -> None:
        """Remember Zoom's X-RateLimit-Limit / -Remaining for the figures."""
        stats = self.stats[category]
        for name, attr in (("x-ratelimit-limit", "limit"), ("x-ratelimit-remaining", "remaining")):
            value = headers.get(name)
            if value is not None and value.strip().isdigit():
                setattr(stats, attr, int(value))

    def __repr__(self) -> str:
        rates = ", ".join(f"{c.value}={s.rate:g}/s" for c, s in self.stats.items())
        return f"RateLimiter(tier={self.tier!r}, share={self.share:g}, {rates})"
