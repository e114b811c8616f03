"""The rule of provision.core.contested on plain histories: when a chain of set-backs makes a contest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provision.core.contested import LicenseChange, find_contest

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def change(hour: int, value: int, seen: int | None, action: str = "license") -> LicenseChange:
    at = T0 + timedelta(hours=hour)
    return LicenseChange(at, value, seen, action, "ops", "0421", None, at - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("history", "now", "setbacks"),
    [
        ([change(0, 2, 1)], 1, None),  # set back once: no contest yet
        ([change(0, 2, 1), change(24, 2, 1)], 1, 2),  # set back after each of two changes
        ([change(0, 2, 1), change(24, 2, 1), change(48, 2, 1)], 1, 3),
        ([change(0, 2, 1), change(24, 2, 1)], 2, None),  # the value stays ours: resolved
        # A change of ours to another value in between: only the last change counts.
        ([change(0, 2, 1), change(24, 1, 2, "unlicense"), change(48, 2, 1)], 1, None),
        # The plan that set it again saw our own value (a resumed plan): no evidence of a set-back.
        ([change(0, 2, 1), change(24, 2, 2)], 1, None),
    ],
)
def test_a_contest_needs_two_set_backs_in_a_row(
    history: list[LicenseChange], now: int, setbacks: int | None
) -> None:
    seen_at = history[-1].at + timedelta(hours=1)
    contest = find_contest("t@s.ua", "type", history, now, seen_at)
    assert (len(contest.setbacks) if contest is not None else None) == setbacks


def test_both_values_and_times_are_kept() -> None:
    history = [change(0, 2, 1), change(24, 2, 1)]
    seen_at = T0 + timedelta(hours=30)
    contest = find_contest("t@s.ua", "type", history, 1, seen_at)
    assert contest is not None
    assert (contest.ours, contest.ours_at, contest.theirs, contest.seen_at) == (2, history[1].at, 1, seen_at)
    assert contest.first_at == history[0].at
    # The first set-back was seen by the plan that made our second change, before it was made.
    assert contest.setbacks[0].seen_at == history[1].seen_at
    item = contest.to_data(left_alone=True)
    assert item["ours_at"] == "2026-11-03T08:00:00+00:00"
    assert item["seen_at"] == "2026-11-03T14:00:00+00:00"
    assert "we set 2 (Licensed) on 2026-11-03 08:00 UTC" in item["detail"]
    assert "Zoom showed 1 (Basic) on 2026-11-03 14:00 UTC" in item["detail"]


def test_a_snapshot_older_than_our_change_says_nothing() -> None:
    history = [change(0, 2, 1), change(24, 2, 1)]
    assert find_contest("t@s.ua", "type", history, 1, history[-1].at - timedelta(minutes=1)) is None
