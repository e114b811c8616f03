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
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from models.errors import LockedError
from models.files import open_private

# Set once per command by the CLI: how long to wait for a held lock, and who we are.
from models.lock_settings import lock_owner as lock_owner
from models.lock_settings import lock_wait as lock_wait

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


@contextmanager
def operation_lock(
    bind: Engine | Connection, name: str = ZOOM, *, shared: bool = False, wait: float | None = None
) -> Iterator[None]:
    """Hold the named lock for the block (shared or exclusive); LockedError if it stays taken.

    `wait` (default: the `lock_wait` context value) is how many seconds to wait for the holder.
    """
    engine = bind.engine if isinstance(bind, Connection) else bind
    wait = lock_wait.get() if wait is None else wait
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name, shared, wait):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _memory_lock(name, wait):
            yield
        return
    with _file_lock(Path(f"{database}.{name}.lock"), name, shared, wait):
        yield


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
def _file_lock(path: Path, name: str, shared: bool, wait: float) -> Iterator[None]:
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
        try:
            yield
        finally:
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(engine: Engine, name: str, shared: bool, wait: float) -> Iterator[None]:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    owner = lock_owner.get()
    # application_name is cut at 63 bytes: keep it short.
    who = f"{owner[:24]}, " if owner else ""
    holder = f"provision:{who}pid {os.getpid()} on {socket.gethostname()[:12]}, since {since}"[:63]
    suffix = "_shared" if shared else ""
    started = time.monotonic()
    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": holder})
        # Advisory locks are database-wide; the data they guard lives in one schema, so two
        # schemas (two ministries, or parallel test runs) must not block each other.
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        key = lock_key(f"{schema}:{name}")
        while True:
            got = conn.execute(text(f"SELECT pg_try_advisory_lock{suffix}(:k)"), {"k": key}).scalar()
            conn.commit()
            if got:
                break
            other = _pg_holder(conn, key)
            if not _waiting(name, other, started, wait):
                raise LockedError(_message(name, other, wait))
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock{suffix}(:k)"), {"k": key})
            conn.commit()


def _pg_holder(conn: Connection, key: int) -> str | None:
    # A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        text(
            "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
            "AND l.objsubid = 1 AND a.pid <> pg_backend_pid() ORDER BY l.mode DESC"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    app_name, pid, since = row
    if app_name and app_name.startswith("provision:"):
        return str(app_name).removeprefix("provision:")
    return f"server pid {pid}, since {since}"
