"""The pure core names Zoom's user types itself (it may not import zoom_client): the same
numbers and names as zoom_client.UserType, which every other layer uses."""

from __future__ import annotations

from provision.core import state
from zoom_client import UserType


def test_core_user_types_are_zoom_client_user_types() -> None:
    assert {int(member): member.name.title() for member in UserType} == state.TYPE_NAMES
    assert (state.BASIC_TYPE, state.LICENSED_TYPE) == (UserType.BASIC, UserType.LICENSED)
    assert (state.UNASSIGNED_TYPE, state.NONE_TYPE) == (UserType.UNASSIGNED, UserType.NONE)
