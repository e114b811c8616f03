"""Pausing Python's cyclic garbage collector while many rows are loaded or written at once, and
keeping what a command is done with for the end of its process instead of freeing it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees everything).

    Importing a 100,000-row roster, or loading and diffing 100,000 people for a plan, keeps a few
    hundred thousand small objects alive at once (cells, rows, entries, standings), none of them
    in reference cycles: the collector's repeated full passes over them found nothing to free and
    cost ~0.5 s of a ~3.5 s import (bench/import) and 3.0 s of 5.5 s CPU of a plan (bench/plan).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# What a command keeps for the end of the process (keep_for_exit): a list only in the console
# command (provision.cli.run sets it), which then ends at once; None elsewhere (tests, main()).
kept_for_exit: list[object] | None = None


def keep_for_exit(*objects: object) -> None:
    """Keep `objects` (a whole plan, a roster's rows) alive to the end of the process, which then
    ends without freeing them one by one (provision.cli.run): the command is done with them, and
    freeing 40,000 actions or 100,000 rows took 0.05-0.1 s of a process ending anyway. Outside the
    console command (tests invoking the app, a library caller) nothing is kept.

    Everything alive is frozen too (gc.freeze, a constant-time move): the collector, back on
    after a paused block, would otherwise walk the million objects kept (a full pass, ~0.1 s),
    as the end of the command does anyway (provision.cli._end_without_collecting)."""
    if kept_for_exit is not None:
        kept_for_exit.extend(objects)
        gc.freeze()
