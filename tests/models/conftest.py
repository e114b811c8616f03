"""Fixtures of the persistence tests: a migrated engine on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from models.db import dispose_engines, init_db, make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database brought to the newest schema (SQLite, then PostgreSQL)."""
    eng = make_engine(database_url)
    init_db(eng)
    yield eng
    dispose_engines()  # release connections before the PostgreSQL schema is dropped


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh, empty database (no schema yet)."""
    eng = make_engine(database_url)
    yield eng
    dispose_engines()
