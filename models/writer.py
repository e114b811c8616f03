"""Plain SQL writes through the database driver alone (sqlite3, or psycopg for PostgreSQL).

A roster import of 100,000 rows spent a quarter of its time loading SQLAlchemy and SQLModel and
binding values through their column types. A Writer is a models.reader.Reader that also writes:
on a connection of its own (`connect_writer`: committed or rolled back as a whole by
`writing`), or on a SQLAlchemy session's connection inside its transaction (`as_writer`).

Values are written as SQLAlchemy writes them for the tables of models.tables, so a row does not
tell which way it came: timestamps in UTC (SQLite: the text "YYYY-MM-DD HH:MM:SS.ffffff"),
booleans as 1/0 on SQLite, JSON as orjson's text (a Python None as JSON null, as the JSON
columns store it).
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from models.files import create_private
from models.reader import _NAMED, SQLITE_BUSY_TIMEOUT_S, Reader, connect
from models.urls import normalize_url, sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Run = Callable[[Callable[[], object]], None]  # hands a statement to Writer.behind's thread

CHUNK_ROWS = 5_000
BEHIND_SWITCH_S = 0.0005
JSON_MIN_ROWS = 1_000  # fewer rows: executemany (the JSON text is not worth building)
JSON_CHUNK_ROWS = 10_000  # rows in one JSON array: a statement behind starts once the first are made
# `value ->> n` (SQLite >= 3.38) gives the SQL value of a JSON element: text, integer, real, NULL.
_JSON_ARROWS = sqlite3.sqlite_version_info >= (3, 38, 0)
COPY_MIN_ROWS = 1_000  # as models.bulk: fewer rows go row by row


class Writer(Reader):
    """Reads and writes of plain SQL on one DB-API connection, in its current transaction."""

    def __init__(self, connection: Any, dialect: str, url: str | None = None) -> None:
        super().__init__(connection, dialect)
        self.url = url  # None: the connection of a SQLAlchemy session (as_writer)
        self.mark = "%s" if self._pg else "?"  # the driver's positional parameter

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run `sql` (`:name` parameters); the number of rows it changed."""
        if self._pg:
            sql = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, dict(params or {}))
            return max(int(cursor.rowcount), 0)
        finally:
            cursor.close()

    def insert_id(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert one row (values already as the table holds them); its new id."""
        names = ", ".join(self.quote(c) for c in values)
        marks = ", ".join(f":{c}" for c in values)
        found = self.rows(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id", values)
        return int(found[0][0])

    def insert_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        shared: Mapping[str, Any] | None = None,
        *,
        run: Run | None = None,
    ) -> None:
        """Insert rows (tuples in `columns` order, values as the table holds them): the driver's
        executemany in chunks, or one COPY on PostgreSQL for a large batch.

        shared: column -> one value for every row (a batch's timestamp, its id): written into
        the statement once on SQLite (plain numbers and text only), not bound per row.

        SQLite takes a large batch as one JSON array in one statement (json_each): the same
        values stored (text, integers, booleans as 1/0, reals, NULL), in the same order with the
        same rowids, ~10% less work than binding row by row, and all of it in one call that
        leaves the GIL free. A value JSON would carry differently (a datetime, bytes) keeps the
        row-by-row way.

        run: where SQLite's statements run (`behind`: in order, in a thread of their own, while
        this one goes on); the statements and their JSON are made here either way."""
        if not rows:
            return
        shared = dict(shared or {})
        names = ", ".join(self.quote(c) for c in [*columns, *shared])
        if self._pg:
            self._copy_or_insert(table, names, rows, tuple(shared.values()))
            return
        connection = self.connection
        for sql, params, many in self._sqlite_inserts(table, names, len(columns), rows, shared):
            if run is None:
                (connection.executemany if many else connection.execute)(sql, params)
            else:
                run(partial(connection.executemany if many else connection.execute, sql, params))

    def _sqlite_inserts(
        self, table: str, names: str, width: int, rows: Sequence[Sequence[Any]], shared: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, bool]]:
        """(statement, parameters, executemany?) for SQLite, in order."""
        literals = [_literal(v) for v in shared.values()]
        if len(rows) >= JSON_MIN_ROWS and _JSON_ARROWS:
            picks = ", ".join([f"value ->> {i}" for i in range(width)] + literals)
            sql = f"INSERT INTO {table} ({names}) SELECT {picks} FROM json_each(?)"
            for start in range(0, len(rows), JSON_CHUNK_ROWS):
                text = _json_rows(rows[start : start + JSON_CHUNK_ROWS])
                if text is None:
                    break  # a value JSON does not carry as the driver binds it: row by row
                yield sql, (text,), False
            else:
                return
            rows = rows[start:]
        values = ", ".join([self.mark] * width + literals)
        sql = f"INSERT INTO {table} ({names}) VALUES ({values})"
        for start in range(0, len(rows), CHUNK_ROWS):
            yield sql, rows[start : start + CHUNK_ROWS], True

    def _copy_or_insert(
        self, table: str, names: str, rows: Sequence[Sequence[Any]], extra: tuple[Any, ...]
    ) -> None:
        cursor = self.connection.cursor()
        try:
            if len(rows) >= COPY_MIN_ROWS:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *extra) if extra else row)
                return
            marks = ", ".join([self.mark] * (len(rows[0]) + len(extra)))
            rows = [(*row, *extra) for row in rows] if extra else rows
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    @contextmanager
    def behind(self) -> Iterator[Run]:
        """A callable that hands statements (zero-argument callables) to a thread of their own,
        which runs them in order while the caller goes on: SQLite runs a statement without the
        GIL, so a large insert costs the caller only the making of its JSON. The connection is
        that thread's until the block ends, when every statement has run; what one raised is
        raised here (the rest are not run), and if the block raises none runs after."""
        jobs: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        failed: list[BaseException] = []
        stop = threading.Event()

        def work() -> None:
            while (job := jobs.get()) is not None:
                if failed or stop.is_set():
                    continue
                try:
                    job()
                except BaseException as exc:  # raised again in the caller's thread below
                    failed.append(exc)

        worker = threading.Thread(target=work, name="writes-behind")
        # The thread takes the GIL back after each statement only when this one lets it go,
        # every switch interval: 5 ms by default, a chunk's whole insert at times.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, BEHIND_SWITCH_S))
        worker.start()
        try:
            yield jobs.put
        except BaseException:
            stop.set()
            raise
        finally:
            jobs.put(None)
            worker.join()
            sys.setswitchinterval(interval)
        if failed:
            raise failed[0]

    def savepoint(self, name: str) -> None:
        """SAVEPOINT `name` in the current transaction. On SQLite a transaction is begun first
        if none is: a SAVEPOINT outside one begins a transaction that its RELEASE would commit."""
        if not self._pg and not self.connection.in_transaction:
            self.execute("BEGIN")
        self.execute(f"SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        """Take back everything written since SAVEPOINT `name` (the transaction goes on)."""
        self.execute(f"ROLLBACK TO SAVEPOINT {name}")
        self.execute(f"RELEASE SAVEPOINT {name}")

    def release(self, name: str) -> None:
        self.execute(f"RELEASE SAVEPOINT {name}")

    def largest_id(self, table: str) -> int:
        """The largest id in `table` (0 when empty): new_ids' starting point."""
        return int(self.rows(f"SELECT coalesce(max(id), 0) FROM {table}")[0][0])

    def new_ids(self, table: str, largest: int, count: int) -> range | None:
        """The ids of the `count` rows this transaction inserted into `table` since its largest
        id was `largest`, in order, when SQLite gave them one after another (each new rowid is
        the largest so far plus one, and from its first write on the transaction is the only
        writer: every row above `largest` is one of them); None when that cannot be told
        (PostgreSQL's sequences, ids that are not consecutive): read them back instead."""
        if self._pg or count <= 0:
            return None
        found = self.rows(f"SELECT count(*), coalesce(max(id), 0) FROM {table} WHERE id > :a", {"a": largest})
        ours = range(largest + 1, largest + count + 1)
        return ours if tuple(found[0]) == (count, ours[-1]) else None

    @contextmanager
    def indexes_deferred(self, table: str, rows: int) -> Iterator[None]:
        """indexes_dropped for the block, created again after it."""
        created = self.indexes_dropped(table, rows)
        try:
            yield
        finally:
            for sql in created:
                self.execute(sql)

    def indexes_dropped(self, table: str, rows: int) -> list[str]:
        """SQLite, about to insert `rows` into `table` when it holds fewer: its secondary indexes
        are dropped, to be created again after the inserts from their own CREATE INDEX text (the
        statements returned), in the same transaction (built once by sorting, instead of one
        insert at a random place per row; the schema after is the one before). Unique
        constraints are kept and checked all along. Elsewhere (PostgreSQL: a dropped index would
        lock out every reader), or with fewer rows, nothing: []."""
        if self._pg:
            return []
        held = int(self.rows(f"SELECT count(*) FROM {table}")[0][0])
        indexes = self.rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%'",
            {"t": table},
        )
        if rows <= held or not indexes:
            return []
        for name, _ in indexes:
            self.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in indexes]

    def upsert_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        keys: Sequence[str],
        *,
        update: Sequence[str],
    ) -> None:
        """Insert rows, or set the `update` columns of the row with the same `keys` (a unique
        constraint) where one of them really differs, as models.bulk.bulk_upsert does: a row
        whose values are unchanged is not written (`updated_at` is set only with a change).
        PostgreSQL takes a large batch through COPY into a temporary table and one statement."""
        if not rows:
            return
        q = self.quote
        names = ", ".join(q(c) for c in columns)
        distinct = "IS DISTINCT FROM" if self._pg else "IS NOT"
        conflict = (
            f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET "
            + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update)
            + " WHERE "
            + " OR ".join(f"{table}.{q(c)} {distinct} excluded.{q(c)}" for c in update if c != "updated_at")
        )
        if not (self._pg and len(rows) >= COPY_MIN_ROWS):
            marks = ", ".join([self.mark] * len(columns))
            cursor = self.connection.cursor()
            try:
                for start in range(0, len(rows), CHUNK_ROWS):
                    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}"
                    cursor.executemany(sql, rows[start : start + CHUNK_ROWS])
            finally:
                cursor.close()
            return
        stage = f"_bulk_{table}_{uuid4().hex[:8]}"
        self.execute(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
        )
        try:
            self.insert_many(stage, columns, rows)
            self.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}")
        finally:
            self.execute(f"DROP TABLE IF EXISTS {stage}")

    def quote(self, name: str) -> str:
        """A column name as SQL: the few that are keywords quoted, as the tables were created."""
        return f'"{name}"' if name.lower() in _KEYWORDS else name

    def timestamp(self, value: datetime) -> Any:
        """A datetime as UTCDateTime stores it (Reader.stamp)."""
        return self.stamp(value)

    def json_value(self, value: Any) -> str:
        """A JSON column's value: orjson's text, as models.db's engines serialize it (PostgreSQL
        takes the text as json); None is JSON null, as SQLAlchemy's JSON type writes it."""
        import orjson

        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()


def _json_rows(rows: Sequence[Sequence[Any]]) -> str | None:
    """The rows as one JSON array of arrays, or None when a value is not a plain str, int,
    float, bool or None (orjson would write a datetime, a dataclass or a str subclass its own way)."""
    import orjson

    strict = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    strict |= orjson.OPT_PASSTHROUGH_SUBCLASS
    try:
        return orjson.dumps(rows, option=strict).decode()
    except TypeError:
        return None


def _literal(value: Any) -> str:
    """A shared value as an SQLite literal (the numbers and text a batch writes alike)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


# Column names of models.tables that SQL reserves (quoted in the CREATE TABLE statements).
_KEYWORDS = frozenset({"before", "after", "row", "column", "order", "group", "user", "key"})


def as_writer(source: Writer | Session) -> Writer:
    """`source` itself, or a Writer on the SQLAlchemy session's connection (its transaction)."""
    if isinstance(source, Writer):
        return source
    conn = source.connection()
    return Writer(conn.connection.driver_connection, conn.dialect.name)


def connect_writer(url: str) -> Writer:
    """A Writer on a connection of its own to `url` (models.reader.plain_url tells which), set
    up as models.db sets up the engine's: foreign keys enforced, waiting out another writer,
    WAL on SQLite. ValueError for a URL it cannot open this way."""
    url = normalize_url(url)
    if url.startswith("postgresql+psycopg://"):
        return Writer(connect(url).connection, "postgresql", url)
    path = sqlite_path(url)
    if path is None:
        raise ValueError(f"no plain writer for {url.split(':', 1)[0]} URLs of this form")
    create_private(path)  # the file exists already (schema current); keep it 0600 whatever the umask
    # One thread at a time, but not always the one that opened it (Writer.behind).
    sqlite = sqlite3.connect(Path(path), timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False)
    cursor = sqlite.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        enable_wal(cursor)
    finally:
        cursor.close()
    return Writer(sqlite, "sqlite", url)


def enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (models.db's engine and this module's connections).

    Switching needs an exclusive lock and SQLite answers SQLITE_BUSY at once, without the busy
    handler, when another connection is opening the same new file: retry for the busy timeout.
    WAL is stored in the file, so once any connection switched it, the rest find it on."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def writing(url: str) -> Iterator[Writer]:
    """connect_writer(url) for the block: committed when it ends normally, rolled back (nothing
    written) when it raises, closed after."""
    writer = connect_writer(url)
    try:
        yield writer
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.close()
