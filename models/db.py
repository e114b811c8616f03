"""Engines, schema versions (Alembic) and sessions.

SQLite is the embedded default (a file beside the operator, nothing to install); PostgreSQL,
through DATABASE_URL and psycopg 3, is the shared store when several operators and the nightly
job work on the same data. The schema is versioned by Alembic: an empty database is created at
the newest revision, an older one is upgraded in place, and a database whose tables we did not
version is refused rather than recreated.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from models import revisions
from models.errors import DatabaseURLError, SchemaStateError
from models.files import create_private
from models.reader import SQLITE_BUSY_TIMEOUT_S
from models.tables import metadata

# re-exported: callers have always found them here
from models.urls import default_database_url as default_database_url
from models.urls import display_url as display_url
from models.urls import normalize_url as normalize_url
from models.writer import enable_wal

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = int(SQLITE_BUSY_TIMEOUT_S * 1000)
_PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = revisions.MIGRATIONS_DIR
# Serializes concurrent first use of one PostgreSQL database (two operators, the nightly job).
_PG_MIGRATION_LOCK_KEY = 0x70726F76  # "prov"

# Engines are cached by URL so callers may call make_engine freely; only the most recent few
# are kept, so a process touching many databases (a test run) does not hold a pool open for
# each. An evicted engine stays usable: dispose() only closes its idle connections.
MAX_CACHED_ENGINES = 8
_engines: OrderedDict[str, Engine] = OrderedDict()
_engines_lock = threading.Lock()
_initialized: weakref.WeakSet[Engine] = weakref.WeakSet()


SUPPORTED = "sqlite:///FILE or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


def _checked_url(url: str) -> URL:
    """The parsed URL, or DatabaseURLError naming it (password masked) and what would work."""
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            f"the database URL {display_url(url)!r} (DATABASE_URL or --db) is not a URL; expected {SUPPORTED}"
        ) from None
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"the database URL {display_url(url)!r} (DATABASE_URL or --db) names "
            f"{u.get_backend_name()!r}, which provision does not support; expected {SUPPORTED}"
        )
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        folder = Path(u.database).parent
        if not u.query.get("uri") and not folder.is_dir():
            raise DatabaseURLError(
                f"the database URL {display_url(url)!r} (DATABASE_URL or --db) points into the folder "
                f"{str(folder)!r}, which does not exist; create it or choose another file"
            )
    return u


def make_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: default_database_url()), created once per URL and reused.

    DatabaseURLError (a rerun cannot fix it) when the URL is malformed or names a database we
    do not support."""
    url = normalize_url(url or default_database_url())
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
            while len(_engines) > MAX_CACHED_ENGINES:
                _, evicted = _engines.popitem(last=False)
                evicted.dispose()
        else:
            _engines.move_to_end(url)
        return engine


def sqlite_file_missing(url: str | None = None) -> bool:
    """True for a SQLite file that does not exist yet (opening it would create it)."""
    u = _checked_url(normalize_url(url or default_database_url()))
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:") or u.query.get("uri"):
        return False
    return not Path(u.database).exists()


def scratch_engine() -> Engine:
    """A new private in-memory database at the newest schema, for a dry run that must not create
    the database file it would otherwise compare against (never cached: each call is empty)."""
    engine = _create_engine("sqlite://")
    upgrade(engine)
    return engine


def dispose_engines() -> None:
    """Close every cached engine's connections (tests, and before a process forks)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _initialized.clear()


def _json_dumps(value: Any) -> str:
    # JSON columns hold whole plans (tens of MB): orjson, with the stdlib's int dict keys.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _create_engine(url: str) -> Engine:
    u = _checked_url(url)
    serializers: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if u.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True, **serializers)
        except (NoSuchModuleError, ImportError):  # postgresql+pg8000://, +asyncpg: drivers we do not ship
            raise DatabaseURLError(
                f"the database URL {display_url(url)!r} (DATABASE_URL or --db) asks for the driver "
                f"{u.get_driver_name()!r}, which is not installed; use postgresql:// with psycopg 3 "
                "(pip install 'provision[postgres]')"
            ) from None
    in_memory = u.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}, **serializers}
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    if u.database and not in_memory and not u.query.get("uri"):
        database = u.database

        @event.listens_for(engine, "do_connect")
        def _private_file(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
            # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the
            # database file's own mode, so all three stay private whatever the umask.
            create_private(database)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # Off by default in SQLite: without it a membership could point at no one.
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                # Readers (queries, exports) do not block the writer (an apply) and vice versa.
                enable_wal(cursor)
        finally:
            cursor.close()

    return engine


# --- schema versions ---------------------------------------------------------------------------


# Alembic is loaded only when a schema is created, upgraded or inspected (~0.1 s of imports): the
# check every command makes at start, "is the database at the newest revision", reads the
# version table and the migration files' own revision lines instead.


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration from the packaged ini and scripts (works from an installed wheel)."""
    from alembic.config import Config

    cfg = Config(str(_PACKAGE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this program knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "models/migrations/versions holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for a database never versioned."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_from_scripts() -> str | None:
    """The newest revision in MIGRATIONS_DIR's files, without Alembic (models.revisions)."""
    return revisions.head_from_scripts(MIGRATIONS_DIR)


def _stored_revision(engine: Engine) -> str | None:
    """The revision in the database's version table (Alembic's), read without loading Alembic."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _check_state(conn: Connection) -> str | None:
    """Refuse what we must not touch; return the current revision otherwise."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is not None:
        if revision not in _known_revisions():
            raise SchemaStateError(
                f"the database {display_url(str(conn.engine.url))} is at schema revision {revision}, "
                f"which this version of provision does not know (newest: {head_revision()}); "
                "it was written by a newer provision: upgrade provision, not the database"
            )
        return revision
    ours = set(metadata.tables) & set(inspect(conn).get_table_names())
    if ours:
        raise SchemaStateError(
            f"the database {display_url(str(conn.engine.url))} already holds provision's tables "
            f"({', '.join(sorted(ours))}) but no schema version (alembic_version); refusing to "
            "create or upgrade over it (provision never recreates tables that may hold data). "
            "Point DATABASE_URL (or --db) at a new database"
        )
    return None


def _migrate(engine: Engine, revision: str) -> None:
    if revision == "head" and _stored_revision(engine) == (head_from_scripts() or head_revision()):
        # The common case (every command start): no write lock taken, so a query started
        # while an apply is writing does not queue behind it.
        return
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, revision)
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two operators (or the nightly job) opening a new database at once: one migrates,
            # the other waits and then finds it done. DDL is transactional here: all or nothing.
            # Keyed by schema too: databases in other schemas of the same server do not wait.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                {"k": _PG_MIGRATION_LOCK_KEY},
            )
        _check_state(conn)
        _alembic_upgrade(conn, revision)


def _alembic_upgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(conn), revision)


def _migrate_sqlite(engine: Engine, revision: str) -> None:
    """Run the migration in one SQLite transaction taken with the write lock.

    Python's sqlite3 module commits DDL as it goes, so a crash half-way through creating the
    schema would leave tables without a version (which init_db then refuses). Driving the
    transaction ourselves (BEGIN IMMEDIATE) makes the whole upgrade atomic, and makes a second
    process starting at the same moment wait (busy_timeout) and then find the work done.
    """
    with engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        previous = dbapi.isolation_level
        dbapi.isolation_level = None  # no implicit BEGIN/COMMIT by the driver
        try:
            with conn.begin():  # SQLAlchemy emits nothing here for pysqlite; COMMIT at the end
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                _check_state(conn)
                _alembic_upgrade(conn, revision)
        finally:
            dbapi.isolation_level = previous


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default the newest); a no-op when already there."""
    _migrate(engine, revision)
    _initialized.add(engine)


def init_db(engine: Engine) -> None:
    """Make the database usable: create an empty one, upgrade an older one, refuse a foreign one.

    Existing data is never dropped or recreated. Cheap after the first call per engine.
    """
    if engine in _initialized:
        return
    upgrade(engine)


def open_database(url: str | None = None) -> Engine:
    """make_engine + init_db: the engine every command uses (the schema ready on first use)."""
    engine = make_engine(url)
    init_db(engine)
    return engine


# --- sessions ----------------------------------------------------------------------------------


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed when the block ends normally and rolled back when it raises.

    Objects stay readable after the block (expire_on_commit=False), so a command can render
    what it just wrote without another query.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
