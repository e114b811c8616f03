"""Locks on the shared state, per database: who may write Zoom, the snapshot or the rosters now.

Two locks, each exclusive or shared:
- `ZOOM` ("apply"): held exclusively by whatever changes Zoom or the snapshot of it (apply,
  reconcile --fix, sync, reconcile's own sync). A sync during an apply would store a snapshot
  missing the users the apply is creating, and the next plan would create them again.
- `ROSTERS` ("rosters"): held exclusively by an import, shared by planning, so a plan never reads
  a roster half way through being replaced (and two imports never interleave).

SQLite: `flock` on a file beside the database (`provision.db.apply.lock`). The kernel drops it
when the holder dies (even by kill -9), so a lock can never go stale; the file names the holder.
An in-memory database has no file: the lock is per process.
PostgreSQL: `pg_try_advisory_lock(_shared)` on a dedicated connection held for the duration;
the server releases it when that connection ends. The holder is named in its `application_name`.

A lock that is held is refused at once (LockedError naming the holder), or waited for up to
`lock_wait` seconds (the CLI's `--wait`), checking twice a second.

`operation_lock` takes an engine, or a models.reader.Reader that opened its own connection: a
plan reads and records through the database driver alone and must not wait for SQLAlchemy to
load, so these two locks load it only when given an engine. The worker locks below use it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from models.errors import LockedError
from models.files import open_private

# Set once per command by the CLI: how long to wait for a held lock, and who we are.
from models.lock_settings import lock_owner as lock_owner
from models.lock_settings import lock_wait as lock_wait
from models.reader import Reader, connect
from models.urls import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, TextClause
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

ZOOM = "apply"
ROSTERS = "rosters"


_POLL = 0.5
_memory_locks: dict[str, threading.Lock] = {}


def _holder_text() -> str:
    since = datetime.now(UTC).isoformat(timespec="seconds")
    owner = lock_owner.get()
    who = f"{owner}, " if owner else ""
    return f"{who}pid {os.getpid()} on {socket.gethostname()}, since {since}"


def _message(name: str, holder: str | None, waited: float) -> str:
    who = f" ({holder})" if holder else ""
    what = "an apply or sync" if name == ZOOM else ("an import" if name == ROSTERS else f"another {name}")
    after = f" after waiting {waited:.0f} s" if waited else ""
    return (
        f"another {name} is running{who}: {what} holds the {name} lock{after}; "
        "rerun when it has finished, or pass --wait SECONDS to wait for it"
    )


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks."""
    digest = hashlib.sha256(f"provision:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class HeldLock:
    """The lock `operation_lock` holds; `share()` turns an exclusive hold into a shared one without
    letting go (an apply chooses and journals its plan alone, then lets workers in beside it)."""

    def __init__(self, share: Callable[[], None] | None = None) -> None:
        self._share = share
        self.shared = False

    def share(self) -> None:
        if not self.shared and self._share is not None:
            self._share()
        self.shared = True


@contextmanager
def operation_lock(
    bind: Engine | Connection | Reader, name: str = ZOOM, *, shared: bool = False, wait: float | None = None
) -> Iterator[HeldLock]:
    """Hold the named lock for the block (shared or exclusive); LockedError if it stays taken.

    `bind`: an engine (or a connection of one), or a Reader with its URL (models.reader.connect).
    `wait` (default: the `lock_wait` context value) is how many seconds to wait for the holder.
    """
    wait = lock_wait.get() if wait is None else wait
    if isinstance(bind, Reader):
        if bind.url is None:
            raise ValueError("a lock needs the Reader's database URL (open it with models.reader.connect)")
        dialect, database = bind.dialect, sqlite_path(bind.url)
    else:
        engine = bind.engine  # an Engine's engine is itself
        dialect, database = engine.dialect.name, engine.url.database
    if dialect == "postgresql":
        with _pg_connection(bind) as db, _pg_lock(db, name, shared, wait) as held:
            yield held
        return
    if not database or database == ":memory:":
        with _memory_lock(name, wait):
            yield HeldLock()  # one process: nobody to share with
        return
    with _file_lock(Path(f"{database}.{name}.lock"), name, shared, wait) as held:
        yield held


P = ParamSpec("P")
R = TypeVar("R")


def rosters_locked(func: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Run an import holding the rosters lock exclusively (a plan never reads half an import)."""

    @wraps(func)
    def locked(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with operation_lock(session.get_bind(), ROSTERS):
            return func(session, *args, **kwargs)

    return locked


def _waiting(name: str, holder: str | None, started: float, wait: float) -> bool:
    """True while there is time left to wait; says once whom we wait for."""
    elapsed = time.monotonic() - started
    if elapsed >= wait:
        return False
    if elapsed < _POLL:  # the first time round: say it once
        log.warning("waiting up to %.0f s for the %s lock (%s)", wait, name, holder or "held")
    time.sleep(min(_POLL, wait - elapsed))
    return True


@contextmanager
def _memory_lock(name: str, wait: float) -> Iterator[None]:
    lock = _memory_locks.setdefault(name, threading.Lock())
    acquired = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
    if not acquired:
        raise LockedError(_message(name, None, wait))
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _file_lock(path: Path, name: str, shared: bool, wait: float) -> Iterator[HeldLock]:
    fd = open_private(path)  # it names the operator and host: 0600, like the database beside it
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 500, 0).decode(errors="replace").strip() or None
                if not _waiting(name, holder, started, wait):
                    raise LockedError(_message(name, holder, wait)) from None
        if not shared:  # shared holders leave the file to the writer's name
            os.ftruncate(fd, 0)
            os.pwrite(fd, _holder_text().encode(), 0)
        # flock converts an exclusive lock to a shared one in place (LOCK_SH never waits on our own).
        held = HeldLock(lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB))
        held.shared = shared
        try:
            yield held
        finally:
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_connection(bind: Engine | Connection | Reader) -> Iterator[Reader]:
    """A connection of its own for a lock: the server frees the lock when it ends."""
    if isinstance(bind, Reader):
        assert bind.url is not None
        db = connect(bind.url)
        try:
            yield db
        finally:
            db.close()
        return
    with bind.engine.connect() as conn:
        # Driven through the driver as a Reader's is (committed there): one lock, written once.
        yield Reader(conn.connection.driver_connection, "postgresql")


def _one(db: Reader, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The first value `sql` answers, committed (a lock statement must not wait in a transaction)."""
    rows = db.rows(sql, params)
    db.connection.commit()
    return rows[0][0] if rows else None


@contextmanager
def _pg_lock(db: Reader, name: str, shared: bool, wait: float) -> Iterator[HeldLock]:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    owner = lock_owner.get()
    # application_name is cut at 63 bytes: keep it short.
    who = f"{owner[:24]}, " if owner else ""
    holder = f"provision:{who}pid {os.getpid()} on {socket.gethostname()[:12]}, since {since}"[:63]
    suffix = "_shared" if shared else ""
    started = time.monotonic()
    _one(db, "SELECT set_config('application_name', :v, false)", {"v": holder})
    # Advisory locks are database-wide; the data they guard lives in one schema, so two
    # schemas (two ministries, or parallel test runs) must not block each other.
    key = lock_key(f"{_one(db, 'SELECT current_schema()')}:{name}")
    while True:
        if _one(db, f"SELECT pg_try_advisory_lock{suffix}(:k)", {"k": key}):
            break
        other = _pg_holder(db, key)
        if not _waiting(name, other, started, wait):
            raise LockedError(_message(name, other, wait))

    def share() -> None:
        # Same session: the shared lock is granted beside our exclusive one, which then goes.
        _one(db, "SELECT pg_advisory_lock_shared(:k)", {"k": key})
        _one(db, "SELECT pg_advisory_unlock(:k)", {"k": key})

    held = HeldLock(share)
    held.shared = shared
    try:
        yield held
    finally:
        unlock = "pg_advisory_unlock_shared" if held.shared else "pg_advisory_unlock"
        _one(db, f"SELECT {unlock}(:k)", {"k": key})


def _pg_holder(db: Reader, key: int) -> str | None:
    # A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    rows = db.rows(
        "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
        "AND l.objsubid = 1 AND a.pid <> pg_backend_pid() ORDER BY l.mode DESC LIMIT 1",
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    )
    db.connection.commit()
    if not rows:
        return None
    app_name, pid, since = rows[0]
    if app_name and app_name.startswith("provision:"):
        return str(app_name).removeprefix("provision:")
    return f"server pid {pid}, since {since}"


def _text(sql: str) -> TextClause:
    from sqlalchemy import text

    return text(sql)


# ---------------------------------------------------------------- one plan's accounts, one worker each


class AccountLock:
    """One account of one plan, held by one worker (PostgreSQL: a session advisory lock).

    The lock lives as long as its connection: a worker killed with -9 closes its socket and the
    server frees the account at once; a worker whose machine vanishes is dropped by the server's
    TCP keepalives (set short on this connection). `alive()` tells a worker it still holds it.
    On SQLite and in memory one process works every account: the lock is always granted.
    """

    def __init__(self, conn: Connection | None = None, key: int = 0) -> None:
        self._conn = conn
        self._key = key
        self._using = threading.Lock()  # the watchdog's check and the release run on other threads

    def alive(self) -> bool:
        with self._using:
            if self._conn is None:
                return True
            try:
                self._conn.execute(_text("SELECT 1"))
                self._conn.commit()
                return True
            except Exception:  # the connection is gone, and the lock with it
                return False

    def release(self) -> None:
        with self._using:
            conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(_text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            conn.close()
        except Exception:  # a dead connection holds no lock: drop it, never pool it
            conn.invalidate()


# Seconds of silence before the server probes a worker's connection, between probes, and probes
# lost before it drops the session (and the account locks with it): about 20 s for a machine
# that vanished. A killed process is seen at once (its socket closes).
KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 3, "tcp_keepalives_count": 3}


def work_key(conn: Connection, *parts: str) -> int:
    """An advisory key for worker coordination, scoped to this database and schema."""
    return _work_keys(conn, [parts])[0]


def _work_keys(conn: Connection, names: list[tuple[str, ...]]) -> list[int]:
    where = conn.execute(_text("SELECT current_database() || ':' || current_schema()")).scalar()
    return [lock_key(":".join([str(where), "work", *parts])) for parts in names]


_LOCK_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _lock_engine(engine: Engine) -> Engine:
    """Where account locks live: one connection per account held, outside the engine's pool, so a
    plan of fifty accounts never starves the journal and the queries of connections."""
    found = _LOCK_ENGINES.get(engine)
    if found is None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        found = _LOCK_ENGINES[engine] = create_engine(engine.url, poolclass=NullPool)
    return found


def accounts_free(engine: Engine, fingerprint: str, accounts: list[str]) -> list[str]:
    """The accounts of the plan no worker holds now (one look at pg_locks; elsewhere all)."""
    if engine.dialect.name != "postgresql" or not accounts:
        return list(accounts)
    with engine.connect() as conn:
        found = _work_keys(conn, [(fingerprint, account) for account in accounts])
        keys = {account: key & 0xFFFFFFFFFFFFFFFF for account, key in zip(accounts, found, strict=True)}
        rows = conn.execute(
            _text(
                "SELECT classid, objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            )
        ).all()
        held = {(int(high) << 32) | int(low) for high, low in rows}
    return [account for account, key in keys.items() if key not in held]


def try_account_lock(engine: Engine, fingerprint: str, account: str) -> AccountLock | None:
    """The account of the plan for this worker, or None if another worker holds it now."""
    if engine.dialect.name != "postgresql":
        return AccountLock()
    conn = _lock_engine(engine).connect()
    try:
        holder = f"provision:worker {account or 'main'}, pid {os.getpid()} on {socket.gethostname()[:12]}"
        conn.execute(_text("SELECT set_config('application_name', :v, false)"), {"v": holder[:63]})
        for name, value in KEEPALIVE.items():
            conn.execute(_text(f"SET {name} = {int(value)}"))
        key = work_key(conn, fingerprint, account)
        got = conn.execute(_text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
    except BaseException:
        conn.invalidate()
        raise
    if not got:
        conn.close()
        return None
    return AccountLock(conn, key)


def _forget_name(conn: Connection) -> None:
    # Back to the pool without naming a presence it no longer is (pg_stat_activity must not lie).
    conn.execute(_text("SELECT set_config('application_name', '', false)"))
    conn.commit()


@contextmanager
def worker_presence(engine: Engine) -> Iterator[Callable[[], int]]:
    """Count this process among the live workers for the block; yields how many are live now
    (PostgreSQL: holders of one shared advisory lock; elsewhere always 1)."""
    if engine.dialect.name != "postgresql":
        yield lambda: 1
        return
    with engine.connect() as conn:
        me = f"provision:presence, pid {os.getpid()} on {socket.gethostname()[:12]}"
        conn.execute(_text("SELECT set_config('application_name', :v, false)"), {"v": me[:63]})
        for name, value in KEEPALIVE.items():
            conn.execute(_text(f"SET {name} = {int(value)}"))
        key = work_key(conn, "presence")
        conn.execute(_text("SELECT pg_advisory_lock_shared(:k)"), {"k": key})
        conn.commit()
        unsigned = key & 0xFFFFFFFFFFFFFFFF

        def live() -> int:
            count = conn.execute(
                _text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = :hi AND objid = :lo AND objsubid = 1"
                ),
                {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
            ).scalar()
            conn.commit()
            return max(1, int(count or 0))

        try:
            yield live
        finally:
            conn.execute(_text("SELECT pg_advisory_unlock_shared(:k)"), {"k": key})
            _forget_name(conn)
