"""Plain SQL read through the database driver alone (sqlite3, or psycopg for PostgreSQL).

The questions asked on the phone (`provision school 0421`, `provision person EMAIL`) answer in a
few indexed reads; importing SQLAlchemy, SQLModel and the table classes cost them more than the
reads themselves. A Reader runs the same SQL on a connection of its own (`open_reader`) or on
the connection of a SQLAlchemy session, inside its transaction (`as_reader`), so one query
serves the CLI and the exports alike.

SQL is written once for both databases with `:name` parameters; values come back as the
tables hold them and are read with `when` (UTC datetimes), `flag` and `json`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.revisions import head_from_scripts
from models.urls import normalize_url, sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_S = 30.0  # as models.db: a read waits out a writer's commit
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Reader:
    """Rows of plain SQL from one DB-API connection ("sqlite" or "postgresql").

    `url`: the database's, when the Reader opened its own connection (connect): what a lock
    beside it (models.locks) needs to find the same database.
    """

    def __init__(self, connection: Any, dialect: str, url: str | None = None) -> None:
        self.connection = connection
        self.dialect = dialect
        self.url = url
        self._pg = dialect == "postgresql"

    def close(self) -> None:
        self.connection.close()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one statement that returns no rows (`:name` parameters); the rows it changed."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(self._driver_sql(sql), dict(params or {}))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _driver_sql(self, sql: str) -> str:
        if self._pg:  # psycopg takes %(name)s, and a literal % doubled
            return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        return sql

    def json_text(self, placeholder: str) -> str:
        """SQL for a parameter holding JSON text, as a JSON column takes it: PostgreSQL's json takes
        text only by an explicit cast; SQLite's CAST AS JSON would read it as a number."""
        return f"CAST({placeholder} AS JSON)" if self._pg else placeholder

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of `sql` (`:name` parameters) as tuples of the columns selected."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(self._driver_sql(sql), dict(params or {}))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[Sequence[Any]]:
        """The rows of `sql` one by one, as the driver hands them (tuples): for a loop over 100,000
        rows that keeps none of them, without a list of them all and a copy of each."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(self._driver_sql(sql), dict(params or {}))
            yield from cursor
        finally:
            cursor.close()

    def json_member(self, column: str, member: str) -> str:
        """SQL for one top-level member of a JSON column (the rest of a large value stays put)."""
        if not member.isidentifier():
            raise ValueError(f"not a JSON member name: {member!r}")
        return f"({column} -> '{member}')" if self._pg else f"json_extract({column}, '$.{member}')"

    def json(self, value: Any) -> Any:
        """A JSON value as Python data (SQLite hands back its text, psycopg the data)."""
        if isinstance(value, str | bytes):
            import orjson

            return orjson.loads(value)
        return value

    @staticmethod
    def when(value: Any) -> datetime | None:
        """A stored timestamp, timezone-aware in UTC (what models.types.UTCDateTime reads back)."""
        if value is None:
            return None
        # SQLite keeps UTC as text without a zone; psycopg answers in the session's zone
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def stamp(self, value: datetime) -> Any:
        """A datetime parameter as the tables hold it (SQLite: UTC text, as SQLAlchemy writes it)."""
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if self._pg:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    @staticmethod
    def flag(value: Any) -> bool:
        return bool(value)


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`(:name0, :name1, …)` and its parameters, for an IN of a few hundred values."""
    params = {f"{name}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


def as_reader(source: Reader | Session) -> Reader:
    """`source` itself, or a Reader on the SQLAlchemy session's connection (its transaction)."""
    if isinstance(source, Reader):
        return source
    conn = source.connection()
    return Reader(conn.connection.driver_connection, conn.dialect.name)


def schema_current(reader: Reader) -> bool:
    """True when the database is at the newest revision this program knows (nothing to migrate)."""
    head = head_from_scripts()
    if head is None:
        return False
    table = "to_regclass('alembic_version')" if reader.dialect == "postgresql" else None
    if table is not None:
        if reader.rows(f"SELECT {table} IS NOT NULL")[0][0] is not True:
            return False
    elif not reader.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"):
        return False
    found = reader.rows("SELECT version_num FROM alembic_version")
    return len(found) == 1 and found[0][0] == head


def plain_url(url: str) -> bool:
    """Whether open_reader can open `url`: a SQLite file, or PostgreSQL through psycopg."""
    url = normalize_url(url)
    return url.startswith("postgresql+psycopg://") or sqlite_path(url) is not None


def connect(url: str) -> Reader:
    """A Reader on a connection of its own to `url` (see plain_url); close it when done.

    ValueError for a URL it cannot open this way; the driver's own error for one it refuses
    (malformed, a server that does not answer).
    """
    url = normalize_url(url)
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        return Reader(
            psycopg.connect("postgresql://" + url[len("postgresql+psycopg://") :]), "postgresql", url
        )
    path = sqlite_path(url)
    if path is None:
        raise ValueError(f"no plain reader for {url.split(':', 1)[0]} URLs of this form")
    return Reader(sqlite3.connect(Path(path), timeout=SQLITE_BUSY_TIMEOUT_S), "sqlite", url)


@contextmanager
def open_reader(url: str) -> Iterator[Reader]:
    """connect(url), closed after the block."""
    reader = connect(url)
    try:
        yield reader
    finally:
        reader.close()
