"""sort_actions orders by one text key per action: exactly the order of Action.sort_key's tuple."""

from __future__ import annotations

import random

from provision.core.actions import NO_PAYLOAD
from provision.core.plan import ORDER, Action, sort_actions


def _actions(codes: list[str | None], emails: list[str], accounts: list[str], n: int) -> list[Action]:
    rng = random.Random(17)
    return [
        Action.make(
            rng.choice(ORDER),
            rng.choice(emails),
            rng.choice(codes),
            "why",
            None,
            NO_PAYLOAD,
            {},
            {},
            rng.choice(accounts),
        )
        for _ in range(n)
    ]


def test_the_text_key_orders_as_the_tuple_prefixes_and_empty_codes_included() -> None:
    actions = _actions(
        [None, "", "0421", "04", "042", "0421a", "Ліцей", "école"],
        ["a@x.ua", "a@x.uab", "ab@x.ua", "b@x.ua", "ä@x.ua", "z@x.ua"],
        ["", "sub", "sub-1", "s"],
        2_000,
    )
    assert sort_actions(actions) == sorted(actions, key=Action.sort_key)


def test_a_field_holding_a_nul_is_sorted_by_the_tuple() -> None:
    actions = _actions(["a\0b", "a", "a\0"], ["x@y.ua", "x\0@y.ua"], ["", "\0"], 500)
    assert sort_actions(actions) == sorted(actions, key=Action.sort_key)
