"""Typed client for the Zoom REST API v2. Knows nothing of schools or databases."""

from __future__ import annotations

__all__: list[str] = []
