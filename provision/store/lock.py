"""One apply (or reconcile --fix) at a time per database.

SQLite: an exclusive `flock` on a file beside the database. The kernel drops it when the holder
dies (even by kill -9), so a lock can never go stale; the file holds pid, host and start time for
the message. An in-memory database has no file: the lock is per process.
PostgreSQL: `pg_try_advisory_lock` on a dedicated connection held for the duration; the server
releases it when that connection ends. The holder is named in its `application_name`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from models.files import open_private
from provision.errors import LockedError

_memory_locks: dict[str, threading.Lock] = {}


def _holder_text() -> str:
    since = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()}, since {since}"


def _message(name: str, holder: str | None) -> str:
    who = f" ({holder})" if holder else ""
    return f"another {name} is running{who}; wait for it to finish"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks."""
    digest = hashlib.sha256(f"provision:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def operation_lock(engine: Engine, name: str = "apply") -> Iterator[None]:
    """Hold the named lock for the block; LockedError if another process (or block) holds it."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _memory_lock(name):
            yield
        return
    with _file_lock(Path(f"{database}.{name}.lock"), name):
        yield


@contextmanager
def _memory_lock(name: str) -> Iterator[None]:
    lock = _memory_locks.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=False):
        raise LockedError(_message(name, None))
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _file_lock(path: Path, name: str) -> Iterator[None]:
    fd = open_private(path)  # it names the operator and host: 0600, like the database beside it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 500, 0).decode(errors="replace").strip() or None
            raise LockedError(_message(name, holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_text().encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[None]:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    # application_name is cut at 63 bytes: keep it short.
    holder = f"provision:pid {os.getpid()} on {socket.gethostname()[:12]}, since {since}"[:63]
    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": holder})
        # Advisory locks are database-wide; the data they guard lives in one schema, so two
        # schemas (two ministries, or parallel test runs) must not block each other.
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        key = lock_key(f"{schema}:{name}")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            raise LockedError(_message(name, _pg_holder(conn, key)))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def _pg_holder(conn: object, key: int) -> str | None:
    # A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
            "AND l.objsubid = 1"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    app_name, pid, since = row
    if app_name and app_name.startswith("provision:"):
        return app_name.removeprefix("provision:")
    return f"server pid {pid}, since {since}"
