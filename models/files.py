"""Files that hold personal data (the SQLite database, lock files, rejected rows): created 0600.

Names, emails and the audit trail are for the operator only. The process umask (often 022, so
0644) must not decide that: each file is created with mode 0600 and set to it explicitly.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_MODE = 0o600


def open_private(path: str | Path, flags: int = os.O_RDWR) -> int:
    """A descriptor on `path`, created 0600 when it did not exist (an existing file keeps its mode)."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return os.open(path, flags)
    # os.open's mode is masked by the umask; a umask such as 0277 would leave 0400.
    os.fchmod(fd, PRIVATE_MODE)
    return fd


def create_private(path: str | Path) -> None:
    """Create `path` empty and 0600 unless it exists (SQLite takes an empty file as a new database)."""
    os.close(open_private(path, os.O_WRONLY))


@contextmanager
def private_atomic(path: str | Path) -> Iterator[Path]:
    """A 0600 temporary file beside `path`, renamed over it when the block ends without error:
    the target is whole or absent, and private whatever the umask or the mode of a file it replaces."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.fchmod(fd, PRIVATE_MODE)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
