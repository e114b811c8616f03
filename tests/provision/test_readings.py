"""Which reading of plan usage `usage` the numbers fit (provision.core.readings)."""

from __future__ import annotations

import pytest

from provision.core.readings import detect_pending_reading


@pytest.mark.parametrize(
    ("usage", "pending", "active", "invited", "reading"),
    [
        (12, 2, 10, 2, "pending_in_usage"),
        (10, 2, 10, 2, "pending_apart"),
        (10, 0, 10, 0, "undetermined"),  # nothing pending: both readings agree
        (11, 2, 10, 2, "disagrees"),  # someone changed licenses between the two reads
        (10, 3, 10, 0, "undetermined"),  # Zoom says pending, the list shows none: usage still fits
        (9, 0, 10, 0, "disagrees"),
    ],
)
def test_detect(usage: int, pending: int, active: int, invited: int, reading: str) -> None:
    found = detect_pending_reading(
        usage=usage, pending=pending, licensed_active=active, licensed_pending=invited
    )
    assert found.reading == reading
    assert str(usage) in found.detail
    assert found.to_data()["reading"] == reading
