"""A workbook read ahead: its sheets parsed in a thread while the command that imports it starts.

python-calamine parses a sheet without holding the GIL (~0.5 s for a 100,000-row roster), about
as long as the CLI, its settings and the database take to load: `provision import roster`
starts the read first (provision.launch) and the import takes the sheets when it gets there.

Only ever a shortcut, never a second way in:
- the checks made before any grid is built (the file's kind, a zip bomb, a sheet's range) run
  first, in the caller's thread, as the import makes them, so a lying file is never parsed;
- a read that fails, or a file that changed on disk since (another inode, size or mtime), is
  not used: the import reads the file itself and says what is wrong in its own words.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the checks need loads before the read starts; the readers load in its thread.
from importers.extent import check_workbook
from importers.sniff import detect, display_name

if TYPE_CHECKING:
    from importers.readers import Sheet

log = logging.getLogger(__name__)

WORKBOOKS = frozenset({"xlsx", "xls", "ods"})  # what calamine parses; a CSV is read by Python

Identity = tuple[int, int, int, int]
# the file's real path -> (its identity when the read started, the reading thread, its sheets)
_pending: dict[str, tuple[Identity, threading.Thread, list[list[Sheet]]]] = {}


def _identity(path: Path) -> Identity:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def start(path: Path) -> bool:
    """Check `path` and start parsing it in a thread when it is a workbook; False when nothing
    was started (not a workbook, a file the checks refuse, or no such file)."""
    try:
        identity = _identity(path)
        key = os.path.realpath(path)
        display = display_name(path)
        kind = detect(path, display)
        if kind not in WORKBOOKS or key in _pending:
            return False
        with_formulas = check_workbook(path, kind, display)
    except Exception:  # the import makes the same checks and reports them itself
        return False
    box: list[list[Sheet]] = []

    def read() -> None:
        try:
            from importers.readers import read_checked

            box.append(read_checked(path, kind, display, with_formulas))
        except Exception:
            pass  # the import reads the file again and says what is wrong

    # A daemon: a command that fails before its import (a bad option) does not wait for the read.
    thread = threading.Thread(target=read, name="read-ahead", daemon=True)
    thread.start()
    _pending[key] = (identity, thread, box)
    return True


def take(path: Path, display: str) -> list[Sheet] | None:
    """The sheets read ahead for this very file (same inode, size and mtime as when the read
    started, and now), named `display`; None when there are none to take."""
    entry = _pending.pop(os.path.realpath(path), None) if _pending else None
    if entry is None:
        return None
    identity, thread, box = entry
    thread.join()
    try:
        unchanged = _identity(path) == identity
    except OSError:
        unchanged = False
    if not box or not unchanged:
        log.debug("%s: not taken from the read ahead (%s)", display, "changed" if box else "unread")
        return None
    log.debug("%s: read ahead while the command started", display)
    sheets = box[0]
    for sheet in sheets:
        sheet.file = display
    return sheets
