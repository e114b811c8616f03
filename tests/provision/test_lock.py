"""One apply at a time: the lock is refused while held, free after release or the holder's death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from models.db import make_engine
from models.errors import LockedError
from models.locks import operation_lock


def test_second_apply_is_refused_while_the_first_holds_the_lock(database_url: str) -> None:
    engine = make_engine(database_url)
    with operation_lock(engine, "apply"):
        with pytest.raises(LockedError) as caught, operation_lock(engine, "apply"):
            pass
        assert f"pid {os.getpid()}" in str(caught.value)
        assert "another apply is running" in str(caught.value)
    # Released: the next apply gets it.
    with operation_lock(engine, "apply"):
        pass


def test_locks_with_different_names_do_not_block_each_other(database_url: str) -> None:
    engine = make_engine(database_url)
    with operation_lock(engine, "apply"), operation_lock(engine, "sync"):
        pass


def test_lock_is_released_when_the_block_fails(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(RuntimeError), operation_lock(engine, "apply"):
        raise RuntimeError("boom")
    with operation_lock(engine, "apply"):
        pass


_HOLDER = """
import sys, time
from models.db import make_engine
from models.locks import operation_lock
with operation_lock(make_engine(sys.argv[1]), "apply"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_lock_held_by_a_process_killed_with_sigkill_is_free_again(database_url: str) -> None:
    engine = make_engine(database_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError) as caught, operation_lock(engine, "apply"):
            pass
        assert f"pid {holder.pid}" in str(caught.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    while True:  # PostgreSQL notices the dead connection a moment later
        try:
            with operation_lock(engine, "apply"):
                break
        except LockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_shared_holders_coexist_and_keep_the_exclusive_one_out(database_url: str) -> None:
    engine = make_engine(database_url)
    with operation_lock(engine, "rosters", shared=True), operation_lock(engine, "rosters", shared=True):
        with pytest.raises(LockedError) as caught, operation_lock(engine, "rosters"):
            pass
        assert "holds the rosters lock" in str(caught.value)
    with (
        operation_lock(engine, "rosters"),
        pytest.raises(LockedError),
        operation_lock(engine, "rosters", shared=True),
    ):
        pass


def test_a_waiting_command_gets_the_lock_once_the_holder_dies(database_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    killer = subprocess.Popen(["sh", "-c", f"sleep 1; kill -9 {holder.pid}"])
    try:
        with operation_lock(engine := make_engine(database_url), "apply", wait=20):
            waited = time.monotonic() - started
    finally:
        killer.wait()
        holder.wait()
    assert 0.8 < waited < 20
    with operation_lock(engine, "apply"):
        pass
