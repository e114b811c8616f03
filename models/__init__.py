"""Persistence: SQLModel tables and the database session. No Zoom, no CLI."""

from __future__ import annotations
