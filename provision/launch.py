"""The `provision` console command's entry: `provision.cli.run`, started after one look at argv.

`provision import roster FILE` spends ~0.25 s loading Typer, pydantic, the settings and the
database driver before the import reads FILE, and python-calamine parses a workbook without
the GIL: so the read of a roster workbook starts here, before any of that is imported
(importers.ahead: the file's checks first, the parse in a thread), and the import takes the
sheets when it gets there. Any other command, and a roster that is not a workbook, start
exactly as before; argv is only looked at, the CLI parses it as always.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Options before and after `import roster` that take a value, which is not the file (the
# command's own declarations, checked against these by tests/cli/test_launch.py).
ROOT_VALUED = frozenset({"--db", "--actor", "--policy", "--wait"})
ROSTER_VALUED = frozenset({"--school", "--rejects-out", "--rejects-dir"})
HELP = frozenset({"--help", "-h"})


def roster_file(argv: list[str]) -> Path | None:
    """FILE of `provision [options] import roster [options] FILE [options]`, else None."""
    words: list[str] = []
    skip = positional_only = False
    for token in argv:
        if skip:
            skip = False
        elif positional_only or not token.startswith("-"):
            words.append(token)
            if words != ["import", "roster", token][: len(words)]:
                return None
            if len(words) == 3:
                return Path(token)
        elif token in HELP:
            return None
        elif token == "--":
            positional_only = True
        else:
            skip = token in (ROSTER_VALUED if words else ROOT_VALUED)  # `--db URL`; `--db=URL` is one
    return None


def run() -> None:
    path = roster_file(sys.argv[1:])
    if path is not None:
        from importers import ahead

        ahead.start(path)
    from provision.cli import run as cli_run

    cli_run()
