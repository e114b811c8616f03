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
"""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

# Set once per command by the CLI: how long to wait for a held lock, and who we are.
from models.lock_settings import lock_owner as lock_owner
from models.lock_settings import lock_wait as lock_wait

# The locks themselves, without SQLAlchemy (re-exported: callers have always found them here).
from models.plain_locks import ROSTERS as ROSTERS
from models.plain_locks import ZOOM as ZOOM
from models.plain_locks import HeldLock as HeldLock
from models.plain_locks import file_lock, lock_key, memory_lock, pg_lock
from models.plain_locks import rosters_locked as rosters_locked


@contextmanager
def operation_lock(
    bind: Engine | Connection, name: str = ZOOM, *, shared: bool = False, wait: float | None = None
) -> Iterator[HeldLock]:
    """Hold the named lock for the block (shared or exclusive); LockedError if it stays taken.

    `wait` (default: the `lock_wait` context value) is how many seconds to wait for the holder.
    """
    engine = bind.engine if isinstance(bind, Connection) else bind
    wait = lock_wait.get() if wait is None else wait
    if engine.dialect.name == "postgresql":
        # a pooled connection given to the lock alone for the block (the server frees the
        # lock if this process dies)
        raw = engine.raw_connection()
        try:
            with pg_lock(raw.driver_connection, name, shared, wait) as held:
                yield held
        finally:
            raw.close()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with memory_lock(name, wait):
            yield HeldLock()  # one process: nobody to share with
        return
    with file_lock(Path(f"{database}.{name}.lock"), name, shared, wait) as held:
        yield held


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
                self._conn.execute(text("SELECT 1"))
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
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
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
    where = conn.execute(text("SELECT current_database() || ':' || current_schema()")).scalar()
    return [lock_key(":".join([str(where), "work", *parts])) for parts in names]


_LOCK_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _lock_engine(engine: Engine) -> Engine:
    """Where account locks live: one connection per account held, outside the engine's pool, so a
    plan of fifty accounts never starves the journal and the queries of connections."""
    found = _LOCK_ENGINES.get(engine)
    if found is None:
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
            text(
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
        conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": holder[:63]})
        for name, value in KEEPALIVE.items():
            conn.execute(text(f"SET {name} = {int(value)}"))
        key = work_key(conn, fingerprint, account)
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
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
    conn.execute(text("SELECT set_config('application_name', '', false)"))
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
        conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": me[:63]})
        for name, value in KEEPALIVE.items():
            conn.execute(text(f"SET {name} = {int(value)}"))
        key = work_key(conn, "presence")
        conn.execute(text("SELECT pg_advisory_lock_shared(:k)"), {"k": key})
        conn.commit()
        unsigned = key & 0xFFFFFFFFFFFFFFFF

        def live() -> int:
            count = conn.execute(
                text(
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
            conn.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": key})
            _forget_name(conn)
