"""The locks of models.locks without SQLAlchemy: a file lock, a lock per process, and PostgreSQL's
advisory lock on a driver (DB-API) connection.

models.locks takes them through an Engine; `url_lock` takes them straight from a database URL,
for a command that reads and writes through the driver alone (a roster import, a plan) and
must not wait for SQLAlchemy to load. Both give the same lock: an import through one and a plan
through the other exclude each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from models.errors import LockedError
from models.files import open_private
from models.lock_settings import lock_owner, lock_wait
from models.urls import normalize_url

log = logging.getLogger("models.locks")  # the messages read as they always did

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
def memory_lock(name: str, wait: float) -> Iterator[None]:
    """The lock of an in-memory database: one process, so a threading lock."""
    lock = _memory_locks.setdefault(name, threading.Lock())
    acquired = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
    if not acquired:
        raise LockedError(_message(name, None, wait))
    try:
        yield
    finally:
        lock.release()


@contextmanager
def file_lock(path: Path, name: str, shared: bool, wait: float) -> Iterator[HeldLock]:
    """SQLite's lock: flock on `path` (beside the database), which names the exclusive holder."""
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


def _one(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row (psycopg's %s parameters), the transaction committed."""
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    conn.commit()
    return None if row is None else row[0]


@contextmanager
def pg_lock(conn: Any, name: str, shared: bool, wait: float) -> Iterator[HeldLock]:
    """PostgreSQL's lock: an advisory lock held by `conn` (a psycopg connection given to it alone
    for the block), which the server frees if the holder dies. The holder is named in the
    connection's application_name."""
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    owner = lock_owner.get()
    # application_name is cut at 63 bytes: keep it short.
    who = f"{owner[:24]}, " if owner else ""
    holder = f"provision:{who}pid {os.getpid()} on {socket.gethostname()[:12]}, since {since}"[:63]
    suffix = "_shared" if shared else ""
    started = time.monotonic()
    _one(conn, "SELECT set_config('application_name', %s, false)", (holder,))
    # Advisory locks are database-wide; the data they guard lives in one schema, so two
    # schemas (two ministries, or parallel test runs) must not block each other.
    schema = _one(conn, "SELECT current_schema()")
    key = lock_key(f"{schema}:{name}")
    while True:
        if _one(conn, f"SELECT pg_try_advisory_lock{suffix}(%s)", (key,)):
            break
        other = _pg_holder(conn, key)
        if not _waiting(name, other, started, wait):
            raise LockedError(_message(name, other, wait))

    def share() -> None:
        # Same session: the shared lock is granted beside our exclusive one, which then goes.
        _one(conn, "SELECT pg_advisory_lock_shared(%s)", (key,))
        _one(conn, "SELECT pg_advisory_unlock(%s)", (key,))

    held = HeldLock(share)
    held.shared = shared
    try:
        yield held
    finally:
        unlock = "pg_advisory_unlock_shared" if held.shared else "pg_advisory_unlock"
        _one(conn, f"SELECT {unlock}(%s)", (key,))


def _pg_holder(conn: Any, key: int) -> str | None:
    # A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    cursor = conn.cursor()
    try:
        cursor.execute(
            "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
            "AND l.objsubid = 1 AND a.pid <> pg_backend_pid() ORDER BY l.mode DESC",
            (unsigned >> 32, unsigned & 0xFFFFFFFF),
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    conn.commit()
    if row is None:
        return None
    app_name, pid, since = row
    if app_name and app_name.startswith("provision:"):
        return str(app_name).removeprefix("provision:")
    return f"server pid {pid}, since {since}"


@contextmanager
def url_lock(url: str, name: str, *, shared: bool = False, wait: float | None = None) -> Iterator[HeldLock]:
    """Hold the named lock of the database at `url` for the block, as models.locks.operation_lock
    holds it through an Engine (PostgreSQL: on a connection of its own, closed after).

    `url` as models.reader.connect takes it: a SQLite file, PostgreSQL through psycopg, or an
    in-memory SQLite database (this process's lock)."""
    wait = lock_wait.get() if wait is None else wait
    url = normalize_url(url)
    if url.startswith("postgresql+psycopg://"):
        from models.reader import connect

        own = connect(url)  # a connection of its own: the server frees the lock when it ends
        try:
            with pg_lock(own.connection, name, shared, wait) as held:
                yield held
        finally:
            own.close()
        return
    from models.urls import sqlite_path

    path = sqlite_path(url)
    if path is None:
        if url in ("sqlite://", "sqlite:///:memory:"):
            with memory_lock(name, wait):
                yield HeldLock()
            return
        raise ValueError(f"no plain lock for {url.split(':', 1)[0]} URLs of this form")
    with file_lock(Path(f"{path}.{name}.lock"), name, shared, wait) as held:
        yield held


P = ParamSpec("P")
R = TypeVar("R")
D = TypeVar("D")


def rosters_locked(func: Callable[Concatenate[D, P], R]) -> Callable[Concatenate[D, P], R]:
    """Run an import holding the rosters lock exclusively (a plan never reads half an import).

    Its first argument is where it writes: a SQLAlchemy session (the lock taken through its
    engine, models.locks) or a models.writer.Writer of its own connection (through its URL)."""

    @wraps(func)
    def locked(db: D, /, *args: P.args, **kwargs: P.kwargs) -> R:
        url = getattr(db, "url", None)
        if isinstance(url, str):  # a Writer on its own connection
            with url_lock(url, ROSTERS):
                return func(db, *args, **kwargs)
        from models.locks import operation_lock  # a session: SQLAlchemy is loaded already

        with operation_lock(db.get_bind(), ROSTERS):  # type: ignore[attr-defined]
            return func(db, *args, **kwargs)

    return locked
