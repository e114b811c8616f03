"""The time the tables record, without SQLAlchemy (models.types holds the column type)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (the only kind of datetime the tables hold)."""
    return datetime.now(UTC)
