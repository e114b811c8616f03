"""Whose per-second budget a call to a sub-account draws on: the sub-account's, or the master's.

Zoom counts rate limits per account (ZOOM_API.md §4) but does not say which account a master's
token calling ``/accounts/{subId}/users…`` is charged to: the sub-account the path names (each
sub-account at its own ceiling), or the master whose token made the call (all of them within
the master's one budget). ``ZOOM_SUB_ACCOUNT_BUDGET`` chooses:

- ``own`` (the default, as §4 reads: limits are per account): each sub-account has its own
  limiter (the first reading);
- ``master``: every sub-account is paced within the master's limiter (the second reading);
- ``auto``: own limiters, until Zoom's answers show the second reading: per-second 429s on two
  or more accounts, again after the pause the first ones caused, past each account's first
  seconds of calls (WARMUP). From then on the sub-accounts share the master's limiter for the
  life of the client, and the switch is logged once. A few calls are refused and retried before
  the switch; none is lost.

``auto`` cannot tell the master's budget from other callers of the same accounts: other apps on
them, or another worker's last calls when accounts change hands for longer than WARMUP (seen in
bench/accounts with two workers). It then paces more slowly than it could, never faster, which is
why it is not the default.

One process knows only its own calls: workers on several machines (provision worker), each
driving other sub-accounts with the master's token, cannot share one budget this way. Under the
second reading, set ``master`` and give each worker its part with ``ZOOM_RATE_SHARE``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Literal

from zoom_client.ratelimit import RateLimiter

log = logging.getLogger("zoom_client")

SubAccountBudget = Literal["auto", "own", "master"]

# Per-second 429s within WINDOW seconds, from at least two accounts: two rounds of them, since a
# refusal pauses the category for a second (Retry-After) and each round refuses about one call
# per account.
WINDOW = 5.0
EVIDENCE = 4
# Refusals in an account's first seconds of calls from this process are no evidence: another
# process may have been calling that account just before (a worker handing it over, a worker
# killed -9 whose account is taken over, a run that just ended), and Zoom's window still holds
# those calls. (In bench/accounts the accounts handed to a worker were refused past it too: why
# `auto` is not the default.)
WARMUP = 2.0


class Budgets:
    """The master's limiter and how its sub-accounts' calls are paced (one per client)."""

    def __init__(self, mode: SubAccountBudget, master: RateLimiter, clock: Callable[[], float]) -> None:
        self.mode = mode
        self.master = master
        self.shared = mode == "master"
        self._clock = clock
        self._refusals: deque[tuple[float, str]] = deque()

    def limiter(self, own: RateLimiter) -> RateLimiter:
        """The limiter a sub-account's call waits on."""
        return self.master if self.shared else own

    def refused(self, account: str, since: float | None) -> bool:
        """A per-second 429 on `account` ("" the master), whose calls from this process began at
        `since` (the clock's time). True when it makes the sub-accounts share the master's budget
        from now on (auto mode, the second reading shown)."""
        if self.mode != "auto" or self.shared:
            return False
        now = self._clock()
        if since is None or now - since < WARMUP:
            return False
        self._refusals.append((now, account))
        while self._refusals and self._refusals[0][0] < now - WINDOW:
            self._refusals.popleft()
        accounts = {a for _, a in self._refusals}
        if len(self._refusals) < EVIDENCE or len(accounts) < 2:
            return False
        self.shared = True
        log.warning(
            "Zoom refused calls on %d accounts again and again although each was paced within its "
            "own budget: it charges the sub-accounts' calls to the master account's budget. Every "
            "sub-account is now paced within the master's budget; set ZOOM_SUB_ACCOUNT_BUDGET=master "
            "to start that way",
            len(accounts),
        )
        return True
