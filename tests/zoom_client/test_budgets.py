"""Whose budget a sub-account's calls spend (zoom_client.budgets): what counts as evidence."""

from __future__ import annotations

from zoom_client.budgets import WARMUP, Budgets
from zoom_client.ratelimit import RateLimiter

from .conftest import FakeClock


def _budgets(clock: FakeClock) -> Budgets:
    return Budgets("auto", RateLimiter("pro", sleep=clock.sleep, clock=clock), clock)


def test_refusals_on_two_accounts_round_after_round_switch_to_the_masters_budget() -> None:
    clock = FakeClock()
    budgets = _budgets(clock)
    since = clock.now
    clock.now += WARMUP
    assert not budgets.refused("sub-1", since)
    assert not budgets.refused("sub-2", since)
    clock.now += 1.5  # after the pause the first round caused, again
    assert not budgets.refused("sub-1", since)
    assert budgets.refused("sub-2", since)
    assert budgets.shared


def test_refusals_in_an_accounts_first_seconds_are_no_evidence() -> None:
    # A handed-over or taken-over account: the previous holder's calls are still in Zoom's window.
    clock = FakeClock()
    budgets = _budgets(clock)
    since = clock.now
    for _ in range(3):
        for account in ("sub-1", "sub-2"):
            assert not budgets.refused(account, since)
        clock.now += 0.5
    assert not budgets.shared


def test_one_account_refused_again_and_again_is_its_own_budget() -> None:
    clock = FakeClock()
    budgets = _budgets(clock)
    since = clock.now - 10
    for _ in range(6):
        assert not budgets.refused("sub-1", since)
        clock.now += 0.5
    assert not budgets.shared
