"""The action registry: every kind has its entry and its executor, and plan files keep their shape."""

from __future__ import annotations

import json

import pytest

from provision.core.actions import SPECS, Addon, NewUser, SetType
from provision.core.plan import Action, ActionKind, Plan
from provision.run.executors import EXECUTORS

# A plan file as written before payloads were typed (format 1): every kind, every payload shape.
OLD_PLAN = {
    "format": 1,
    "fingerprint": "f" * 64,
    "snapshot_at": None,
    "created_at": "2026-09-20T12:00:00+00:00",
    "summary": {},
    "actions": [
        {"kind": "remove_addon", "email": "a@x", "payload": {"capacity": None}},
        {"kind": "unlicense", "email": "a@x", "payload": {"type": 1}},
        {"kind": "deactivate", "email": "b@x", "payload": {}},
        {"kind": "reactivate", "email": "c@x", "payload": {}},
        {
            "kind": "create",
            "email": "n@x",
            "payload": {"action": "create", "type": 2, "email": "n@x", "first_name": "N", "last_name": "X"},
        },
        {"kind": "license", "email": "c@x", "payload": {"type": 2}},
        {"kind": "add_addon", "email": "c@x", "payload": {"capacity": 1000}},
        {"kind": "add_to_group", "email": "c@x", "payload": {"group_id": "g1"}},
        {"kind": "adopt", "email": "c@x", "payload": {}},
    ],
}


def test_every_kind_has_one_entry_and_one_executor() -> None:
    assert set(SPECS) == set(ActionKind) == set(EXECUTORS)
    for kind, spec in SPECS.items():
        assert spec.kind is kind
        assert isinstance(spec.default, spec.payload_type)
        if spec.bulk:
            assert EXECUTORS[kind].send_many is not None


def test_an_old_plan_file_reads_into_typed_payloads_and_writes_back_the_same_json() -> None:
    plan = Plan.from_data(json.loads(json.dumps(OLD_PLAN)))
    payloads = {action.kind: action.payload for action in plan.actions}
    assert payloads[ActionKind.UNLICENSE] == SetType(1)
    assert payloads[ActionKind.LICENSE] == SetType(2)
    assert payloads[ActionKind.ADD_ADDON] == Addon(1000)
    assert payloads[ActionKind.CREATE] == NewUser("create", 2, "n@x", "N", "X")
    written = plan.to_data()["actions"]
    assert [a["payload"] for a in written] == [a["payload"] for a in OLD_PLAN["actions"]]


def test_a_file_without_payload_fields_gets_each_kinds_default() -> None:
    """The oldest plan files left the type out where the kind implied it."""
    read = {
        kind: Action.from_data({"kind": kind.value, "email": "a@x"}).payload
        for kind in (ActionKind.LICENSE, ActionKind.UNLICENSE, ActionKind.ADD_ADDON)
    }
    assert read == {
        ActionKind.LICENSE: SetType(2),
        ActionKind.UNLICENSE: SetType(1),
        ActionKind.ADD_ADDON: Addon(500),
    }


def test_an_action_refuses_another_kinds_payload() -> None:
    with pytest.raises(TypeError, match="SetType"):
        Action(ActionKind.LICENSE, "a@x", None, "r", payload=Addon(500))
    assert Action(ActionKind.UNLICENSE, "a@x", None, "r").payload == SetType(1)
