"""What a change did, in the words an auditor reads: "Licensed → Basic", not {"type": 1}.

Zoom's codes (user type 1/2/99, status active/pending/inactive, the Large Meetings add-on in its
several spellings) are named; any other field is written `name: value`. Fields named like a
credential never get here (the export scrubs them first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TYPE_WORDS = {1: "Basic", 2: "Licensed", 4: "Unassigned", 99: "None"}
STATUS_WORDS = {"active": "active", "pending": "invitation pending", "inactive": "deactivated"}
ARROW = " → "
_ADDON_KEYS = ("large_meeting", "large_meeting_capacity", "capacity")
_ORDER = ("type", "status", "add-on", "group_ids")


def _addon(state: Mapping[str, Any]) -> str | None:
    capacity = state.get("large_meeting_capacity", state.get("capacity"))
    if capacity:
        return f"Large Meetings {capacity}"
    if state.get("large_meeting") or ("capacity" in state and capacity):
        return "Large Meetings"
    if any(k in state for k in _ADDON_KEYS):
        return "no Large Meetings"
    return None


def _fields(state: Mapping[str, Any]) -> dict[str, str]:
    """The state as {field: words}, the add-on's spellings folded into one field."""
    words: dict[str, str] = {}
    for name, value in state.items():
        if name in _ADDON_KEYS:
            continue
        if name == "type":
            if value is not None:
                words[name] = TYPE_WORDS.get(value, f"type {value}")
        elif name == "status":
            if value is not None:  # Zoom may answer a create with status null: unknown, not a state
                words[name] = STATUS_WORDS.get(value, str(value))
        elif name == "group_ids":
            groups = ", ".join(str(g) for g in value or ())
            words[name] = f"groups: {groups}" if groups else "no group"
        elif value not in (None, "", [], {}):
            words[name] = f"{name.replace('_', ' ')}: {value}"
    addon = _addon(state)
    if addon is not None:
        words["add-on"] = addon
    order = {name: i for i, name in enumerate(_ORDER)}
    return dict(sorted(words.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def state_words(state: Any) -> str | None:
    """One side of a change ("Licensed, active, Large Meetings 500"), or None when empty."""
    if not isinstance(state, Mapping):
        return None if state in (None, "", [], {}) else str(state)
    return ", ".join(_fields(state).values()) or None


def change_words(before: Any, after: Any) -> str | None:
    """Each field that changed, `old → new` ("Licensed → Basic"); what was set, when nothing was before."""
    if not isinstance(after, Mapping):
        return None
    new = _fields(after)
    if not isinstance(before, Mapping) or not before:
        told = ", ".join(new.values())
        return f"set: {told}" if told else None
    old = _fields(before)
    parts = [f"{old.get(k, 'not set')}{ARROW}{v}" for k, v in new.items() if old.get(k) != v]
    return "; ".join(parts) or "no change"
