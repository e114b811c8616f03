"""Seat allocation: each school's quota, then the account's free seats; nobody dropped."""

from __future__ import annotations

from provision.core.seats import Candidate, allocate, apportion, ordinal


def test_quota_then_account_by_role_priority_with_reasons() -> None:
    candidates = [Candidate(f"a{i}@x", "A", rank=1, position=i) for i in range(4)]
    candidates.append(Candidate("b0@x", "B", rank=0, position=0))
    result = allocate(candidates, {"A": 3, "B": 1}, account_free=2, account_seats=10, allocation="priority")
    # B's admin (rank 0) first across the account, then A in its roster's order; A's 4th is over its quota
    assert result.new == {"b0@x", "a0@x"}
    assert result.waiting == {
        "a1@x": "waiting: 1st in line at A (account seats 10 of 10 in use, served by role priority)",
        "a2@x": "waiting: 2nd in line at A (account seats 10 of 10 in use, served by role priority)",
        "a3@x": "waiting: 3rd in line at A (quota 3 of 3 in use)",
    }
    assert result.account_free_after == 0
    assert set(result.waiting) | result.granted == {c.email for c in candidates}


def test_proportional_gives_every_school_in_line_a_first_seat_then_shares_by_quota() -> None:
    candidates = [Candidate(f"a{i}@x", "A", rank=1, position=i) for i in range(8)]
    candidates += [Candidate(f"b{i}@x", "B", rank=1, position=i) for i in range(8)]
    candidates += [Candidate("c0@x", "C", rank=1, position=0)]
    result = allocate(candidates, {"A": 6, "B": 2, "C": 1}, account_free=5, account_seats=5)
    # 5 seats for quotas 6+2+1 (9): C gets its one, then A and B share 5 by 6:2 -> 3.75 : 1.25 (+1 for C)
    assert result.school_used == {"A": 3, "B": 1, "C": 1}
    assert result.granted == {"a0@x", "a1@x", "a2@x", "b0@x", "c0@x"}
    assert result.shortage is not None
    assert (result.shortage.quotas, result.shortage.seats, result.shortage.shortfall) == (9, 5, 4)
    assert result.waiting["a3@x"] == (
        "waiting: 1st in line at A (account seats 5 of 5 in use, A has its proportional share of 3)"
    )
    assert result.waiting["a6@x"] == "waiting: 4th in line at A (quota 6 of 6 in use)"


def test_fewer_seats_than_schools_in_line_go_one_each_to_the_largest_quotas() -> None:
    candidates = [Candidate(f"{code}0@x", code, rank=1, position=0) for code in "ABCD"]
    result = allocate(candidates, {"A": 1, "B": 5, "C": 3, "D": 5}, account_free=2, account_seats=2)
    assert result.granted == {"B0@x", "D0@x"}


def test_apportion_is_largest_remainder_within_bounds() -> None:
    weights = {"A": 25, "B": 25, "C": 50}
    assert apportion(10, weights, dict.fromkeys(weights, 0), dict.fromkeys(weights, 99)) == {
        "A": 3,  # 2.5 each: the tie of remainders goes to the smaller code
        "B": 2,
        "C": 5,
    }
    # A holds 6 already: kept, and the other 4 go to B and C by 1:2
    assert apportion(10, weights, {"A": 6, "B": 0, "C": 0}, dict.fromkeys(weights, 99)) == {
        "A": 6,
        "B": 1,
        "C": 3,
    }
    # C can use only 1: its surplus goes back to A and B
    assert apportion(10, weights, dict.fromkeys(weights, 0), {"A": 99, "B": 99, "C": 1}) == {
        "A": 5,
        "B": 4,
        "C": 1,
    }


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 1000)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "1,000th",
    ]


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
    assert result.waiting == {"new@x": "waiting: 1st in line at A (quota 3 of 2 in use)"}


def test_no_free_account_seats_never_revokes_holders() -> None:
    candidates = [Candidate("h@x", "A", rank=1, holds=True), Candidate("n@x", "A", rank=0)]
    result = allocate(candidates, {"A": 5}, account_free=-3, account_seats=10)
    assert result.granted == {"h@x"}
    assert result.waiting == {
        "n@x": "waiting: 1st in line at A (account seats 13 of 10 in use, A has its proportional share of 1)"
    }


def test_an_account_over_its_seats_gives_no_school_a_first_seat() -> None:
    candidates = [Candidate("h@x", "A", rank=1, holds=True)]
    candidates += [Candidate(f"n@{code}", code, rank=1) for code in "BCD"]
    result = allocate(candidates, {"A": 5, "B": 5, "C": 5, "D": 5}, account_free=-1, account_seats=1)
    assert result.granted == {"h@x"}
    assert result.new == set()
    assert (
        result.waiting["n@B"]
        == "waiting: 1st in line at B (account seats 2 of 1 in use, none left for a first seat at B)"
    )
