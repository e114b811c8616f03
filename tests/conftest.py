"""Fixtures shared by every test: a clean environment, ../shared, and the two databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repository; a worktree elsewhere names it with PROVISION_TEST_SHARED.
SHARED = Path(os.environ.get("PROVISION_TEST_SHARED") or REPO.parent / "shared")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's Zoom credentials, database or PROVISION_* settings."""
    for name in list(os.environ):
        if name.startswith(("ZOOM_", "PROVISION_")) and not name.startswith("PROVISION_TEST_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # A command that falls back to its default database writes it here, never into the repo.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the repository (the Zoom spec, roster samples), or a clear skip."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}); these tests read the Zoom spec and samples")
    return SHARED


@cache
def _postgres_url() -> str | None:
    """The PostgreSQL to test against, or None where there is none (a laptop)."""
    url = os.environ.get("PROVISION_TEST_DATABASE_URL", DEFAULT_PG_URL)
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        conninfo = psycopg.conninfo.make_conninfo(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            dbname=u.database or "test",
            connect_timeout=2,
        )
        with psycopg.connect(conninfo):
            pass
    except Exception as exc:
        if os.environ.get("PROVISION_TEST_POSTGRES_REQUIRED"):
            raise RuntimeError(f"PostgreSQL is required here but {url} did not answer: {exc}") from exc
        return None
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    base = _postgres_url()
    if base is None:
        pytest.skip(
            "PostgreSQL not reachable at 127.0.0.1:5432 (set PROVISION_TEST_DATABASE_URL); "
            "CI runs these tests for real"
        )
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    u = make_url(base)
    conninfo = psycopg.conninfo.make_conninfo(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        dbname=u.database or "test",
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = u.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file per test, so commit and rollback behave as in production."""
    return f"sqlite:///{tmp_path / 'provision.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL (skipped where there is none)."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
