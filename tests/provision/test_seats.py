"""Seat allocation: each school's quota, then the account's free seats; nobody dropped."""

from __future__ import annotations

from provision.core.seats import Candidate, allocate


def test_quota_then_account_with_reasons() -> None:
    candidates = [Candidate(f"a{i}@x", "A", rank=1) for i in range(4)] + [Candidate("b0@x", "B", rank=0)]
    result = allocate(candidates, {"A": 3, "B": 1}, account_free=2, account_seats=10)
    # B's admin (rank 0) first across the account, then A by email; A's 4th is over its quota
    assert result.new == {"b0@x", "a0@x"}
    assert result.waiting == {
        "a3@x": "waiting: school quota 3 of 3 in use",
        "a1@x": "waiting: account seats 10 of 10 in use",
        "a2@x": "waiting: account seats 10 of 10 in use",
    }
    assert result.account_free_after == 0
    assert set(result.waiting) | result.granted == {c.email for c in candidates}


def test_holders_keep_their_seat_and_fixed_seats_are_never_taken() -> None:
    candidates = [
        Candidate("grace@x", "A", rank=2, holds=True, fixed=True),
        Candidate("old@x", "A", rank=1, holds=True),
        Candidate("boss@x", "A", rank=0),
    ]
    kept = allocate(candidates, {"A": 2}, account_free=5, account_seats=10)
    assert kept.granted == {"grace@x", "old@x"}
    assert kept.displaced == set()
    strict = allocate(candidates, {"A": 2}, account_free=5, account_seats=10, keep_holders=False)
    assert strict.granted == {"grace@x", "boss@x"}
    assert strict.displaced == {"old@x"}
    # the displaced seat returns to the account before the newcomer takes one
    assert strict.account_free_after == 5


def test_fixed_seats_above_a_shrunk_quota_stay_and_nobody_new_gets_in() -> None:
    candidates = [Candidate(f"f{i}@x", "A", rank=1, holds=True, fixed=True) for i in range(3)]
    candidates.append(Candidate("new@x", "A", rank=0))
    result = allocate(candidates, {"A": 2}, account_free=5, account_seats=10)
    assert result.granted == {"f0@x", "f1@x", "f2@x"}
    assert result.waiting == {"new@x": "waiting: school quota 3 of 2 in use"}


def test_no_free_account_seats_never_revokes_holders() -> None:
    candidates = [Candidate("h@x", "A", rank=1, holds=True), Candidate("n@x", "A", rank=0)]
    result = allocate(candidates, {"A": 5}, account_free=-3, account_seats=10)
    assert result.granted == {"h@x"}
    assert result.waiting == {"n@x": "waiting: account seats 13 of 10 in use"}
