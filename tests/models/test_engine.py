"""Engines: the default URL, PostgreSQL through psycopg 3, SQLite's pragmas, one engine per URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from models.db import default_database_url, display_url, dispose_engines, make_engine, normalize_url


def test_default_is_a_sqlite_file_unless_database_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_database_url() == "sqlite:///provision.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/prov")
    assert default_database_url() == "postgresql://u@db/prov"
    assert make_engine().dialect.driver == "psycopg"  # created lazily: no connection made
    dispose_engines()


@pytest.mark.parametrize(
    "url", ["postgres://u:p@h/d", "postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"]
)
def test_postgresql_urls_go_through_psycopg3(url: str) -> None:
    assert normalize_url(url) == "postgresql+psycopg://u:p@h/d"
    assert "p@" not in display_url(url)


def test_sqlite_file_has_foreign_keys_wal_and_a_busy_timeout(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    assert (tmp_path / "provision.db").exists()
    dispose_engines()


def test_the_same_url_gives_the_same_engine(sqlite_url: str) -> None:
    assert make_engine(sqlite_url) is make_engine(sqlite_url)
    dispose_engines()


def test_in_memory_sqlite_keeps_one_database_across_connections() -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    dispose_engines()
