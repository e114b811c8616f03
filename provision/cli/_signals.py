"""Ctrl-C and SIGTERM for the long commands: stop within seconds, say what is left, exit 130.

The first signal cancels the command's task: requests in flight end (an apply's `sent` operations
stay `sent` and are re-read from Zoom by the next run, so nothing is ever sent twice), whatever is
queued is written, and the command reports what was done and what is left. A second signal exits
at once: the journal is consistent at every moment, so there is nothing to wait for. If the first
one has not finished the command after GRACE seconds (a server that never answers), it exits too.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

GRACE = 15.0  # seconds between the first signal and a forced exit
EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """The command was stopped by SIGINT or SIGTERM; its own handler says what is left."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _exit_on_signal(signum: int, frame: object) -> None:
    _hard_exit()


def _hard_exit() -> None:
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(coro), turning SIGINT/SIGTERM into a clean stop (Interrupted) as described above."""
    import asyncio  # here: the commands that run no event loop (--help, questions) skip loading it

    received: list[int] = []

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        watchdog: list[threading.Timer] = []

        def on_signal(signum: int) -> None:
            received.append(signum)
            if len(received) > 1:
                print("\nstopped at once (the journal is consistent).", file=sys.stderr, flush=True)
                _hard_exit()
            print(
                "\nstopping: letting requests in flight settle (press Ctrl-C again to exit at once)...",
                file=sys.stderr,
                flush=True,
            )
            timer = threading.Timer(GRACE, _hard_exit)
            timer.daemon = True
            timer.start()
            watchdog.append(timer)
            task.cancel()

        handled = [signal.SIGTERM]
        # A shell starts background jobs with SIGINT ignored; they keep it ignored.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            handled.append(signal.SIGINT)
        for signum in handled:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await coro
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)
                if received:
                    # Stopping already: another signal while the report is printed exits at
                    # once too (the default handler would kill us with the signal, not 130).
                    signal.signal(signum, _exit_on_signal)
            for timer in watchdog:
                timer.cancel()

    if threading.current_thread() is not threading.main_thread():  # signals only reach the main thread
        return asyncio.run(coro)
    try:
        return asyncio.run(main())
    except (asyncio.CancelledError, KeyboardInterrupt, Exception):
        if received:  # whatever the cancelled task raised on its way out, the cause is the signal
            raise Interrupted(received[0]) from None
        raise


def terminate_as_interrupt() -> None:
    """SIGTERM ends the synchronous commands (imports) like Ctrl-C: their transaction rolls back."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
