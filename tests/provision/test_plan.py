"""The plan as data: apply order, identity of actions, and the plan.json round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from provision.core.actions import TO_LICENSED
from provision.core.plan import ORDER, Action, ActionKind, Plan, Waiting, action_keys, sort_actions
from provision.core.policy import Policy
from provision.core.summary import PlanSummary, Totals
from provision.errors import InputError


def act(kind: ActionKind, email: str, code: str | None = "0421", **payload: object) -> Action:
    """The action as a plan file spells it (the payload as JSON fields)."""
    return Action.from_data(
        {
            "kind": kind,
            "email": email,
            "institution_code": code,
            "reason": "r",
            "zoom_id": "z",
            "payload": payload,
        }
    )


def test_apply_order_is_revoke_first_then_grant_then_addons() -> None:
    assert ORDER.index(ActionKind.REMOVE_ADDON) < ORDER.index(ActionKind.UNLICENSE)
    assert ORDER.index(ActionKind.UNLICENSE) < ORDER.index(ActionKind.LICENSE)
    assert ORDER.index(ActionKind.REACTIVATE) < ORDER.index(ActionKind.LICENSE)
    assert ORDER.index(ActionKind.LICENSE) < ORDER.index(ActionKind.ADD_ADDON)
    shuffled = [
        act(ActionKind.ADD_ADDON, "a@x", capacity=500),
        act(ActionKind.LICENSE, "b@x", code="0002"),
        act(ActionKind.LICENSE, "a@x", code="0002"),
        act(ActionKind.UNLICENSE, "z@x", code="0999"),
        act(ActionKind.REMOVE_ADDON, "z@x", code="0999"),
    ]
    assert [(a.kind, a.email) for a in sort_actions(shuffled)] == [
        (ActionKind.REMOVE_ADDON, "z@x"),
        (ActionKind.UNLICENSE, "z@x"),
        (ActionKind.LICENSE, "a@x"),
        (ActionKind.LICENSE, "b@x"),
        (ActionKind.ADD_ADDON, "a@x"),
    ]


def test_keys_identify_the_change_and_fast_constructor_builds_the_same_action() -> None:
    assert act(ActionKind.LICENSE, "a@x").key() == "license:a@x"
    assert act(ActionKind.ADD_ADDON, "a@x", capacity=1000).key() == "add_addon:a@x:1000"
    assert act(ActionKind.ADD_TO_GROUP, "a@x", group_id="g1").key() == "add_to_group:a@x:g1"
    made = Action.make(ActionKind.LICENSE, "a@x", "0421", "r", "z", TO_LICENSED, {}, {})
    assert made == act(ActionKind.LICENSE, "a@x")
    with pytest.raises(AttributeError):
        made.email = "b@x"  # type: ignore[misc]


def test_a_plans_keys_at_once_are_each_actions_own() -> None:
    group = act(ActionKind.ADD_TO_GROUP, "a@x", group_id="g1").payload
    actions = [
        act(ActionKind.LICENSE, "a@x"),
        act(ActionKind.ADD_ADDON, "a@x", capacity=1000),
        act(ActionKind.ADD_ADDON, "b@x", capacity=500),
        Action.make(ActionKind.ADD_TO_GROUP, "a@x", "0421", "r", "z", group, {}, {}),
        Action.make(ActionKind.ADD_TO_GROUP, "b@x", "0421", "r", "z", group, {}, {}),  # shared payload
        act(ActionKind.ADOPT, "c@x"),
    ]
    assert action_keys(actions) == [action.key() for action in actions]


def test_plan_round_trips_through_json() -> None:
    plan = Plan(
        actions=[act(ActionKind.CREATE, "n@x", action="create", type=2)],
        waiting=[Waiting("w@x", "0421", "teacher", "waiting: school quota 1 of 1 in use")],
        unmanaged=["u@x"],
        protected=["p@x"],
        summary=PlanSummary(totals=Totals(actions={ActionKind.CREATE: 1})),
        fingerprint="f" * 64,
        snapshot_at=datetime(2026, 9, 20, 11, tzinfo=UTC),
        created_at=datetime(2026, 9, 20, 12, tzinfo=UTC),
    )
    again = Plan.from_data(json.loads(json.dumps(plan.to_data())))
    assert again == plan
    assert again.counts()["create"] == 1
    assert again.counts()["waiting"] == 1
    assert again.for_school("0002").actions == []


@pytest.mark.parametrize(
    "data",
    [
        {"actions": [{"email": "a@x"}]},
        {"actions": [{"kind": "explode", "email": "a@x"}]},
        {"format": 99, "actions": []},
        {"actions": [], "snapshot_at": "yesterday"},
    ],
)
def test_a_bad_plan_file_is_an_input_error(data: dict[str, object]) -> None:
    with pytest.raises(InputError, match="not a provision plan"):
        Plan.from_data(data)


def _summary_data() -> dict[str, Any]:
    """A plan file's summary as this version writes it."""
    kinds = {kind.value: 0 for kind in ORDER}
    school = {
        "name": "Школа 1",
        "quota": 3,
        "licensed_before": 2,
        "licensed_after": 3,
        "waiting": 1,
        "grace": 0,
    }
    summary = {
        "schools": {"0421": {**school, **kinds, "license": 1}},
        "totals": {
            "seats": {"purchased": 10, "used": 2, "pending": 0, "free": 8},
            "licensed_before": 2,
            "managed_licensed_before": 2,
            **kinds,
            "license": 1,
            "people_active": 4,
            "seats_free_after": 7,
            "addons_short": {"500": 2},
            "in_grace": 0,
            "seats_usage_reported": 2,
            "pending_reading": "undetermined",
            "basic_before": 3,
            "basic_after": 4,
            "basic_cap": 9999,
        },
        "managed_without_roster": ["o@x"],
        "scope": None,
        "policy": Policy().to_data(),
        "forced": False,
    }
    return summary


def test_a_summary_written_as_a_dict_reads_into_figures_and_writes_back_the_same_json() -> None:
    summary = _summary_data()
    plan = Plan.from_data({"actions": [], "summary": summary})
    assert plan.summary.schools["0421"].count(ActionKind.LICENSE) == 1
    assert plan.summary.totals.addons_short == {500: 2}
    assert plan.summary.policy == Policy()
    assert json.loads(json.dumps(plan.to_data()))["summary"] == summary


def test_a_plan_file_written_before_the_common_vocabulary_reads_the_same_and_writes_the_new_names() -> None:
    new = _summary_data()
    seats = new["totals"]["seats"]
    old = {
        **new,
        "totals": {
            **{k: v for k, v in new["totals"].items() if k != "seats"},
            "seats_purchased": seats["purchased"],
            "seats_used": seats["used"],
            "seats_pending": seats["pending"],
            "seats_free_before": seats["free"],
        },
        "shortage": {"schools": 2, "demand": 9, "quotas": 8, "seats": 6, "allocation": "proportional"},
    }
    plan = Plan.from_data({"actions": [], "summary": old})
    totals = plan.summary.totals
    assert (totals.seats_purchased, totals.seats_used, totals.seats_pending, totals.seats_free_before) == (
        10,
        2,
        0,
        8,
    )
    assert plan.summary.shortage is not None
    assert plan.summary.shortage.shortfall == 2
    written = json.loads(json.dumps(plan.to_data()))["summary"]
    assert written["totals"] == new["totals"]
    assert written["shortage"]["seats_available"] == 6
    assert "seats" not in written["shortage"]
