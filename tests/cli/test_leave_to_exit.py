"""provision.cli._common.leave_to_exit: a command's last large result is never freed, but only in
a process that ends with the command and while the collector is paused; anywhere else (a test's
CliRunner runs many commands in one process) it is freed as usual."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from provision.cli import _common


class Big:
    """Stands for a plan: anything weakly referenceable."""


def test_left_alone_outside_a_one_command_process() -> None:
    assert not _common.ONE_COMMAND_PROCESS  # the tests' process runs many commands
    gc.disable()
    try:
        big = Big()
        gone = weakref.ref(big)
        _common.leave_to_exit(big)
        del big
    finally:
        gc.enable()
    assert gone() is None


_ONE_COMMAND = """
import gc, weakref
from provision.cli import _common

class Big:
    pass

_common.ONE_COMMAND_PROCESS = True
big = Big()
kept = weakref.ref(big)
_common.leave_to_exit(big)  # the collector runs: nothing is left
del big
print("freed while collecting" if kept() is None else "kept")

gc.disable()
big = Big()
kept = weakref.ref(big)
_common.leave_to_exit(big)
del big
gc.enable()
gc.collect()
print("kept" if kept() is not None else "freed")
"""


def test_kept_to_the_end_of_a_one_command_process_with_the_collector_paused() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _ONE_COMMAND], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["freed while collecting", "kept"]
