"""The newest schema revision, read from the migration files' text (neither Alembic nor
SQLAlchemy loaded): every command start compares it with the database's, in models.db and in
models.reader."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

# Alembic's scripts (env.py, versions/): packaged beside this module, so a wheel works too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def head_from_scripts(migrations: Path = MIGRATIONS_DIR) -> str | None:
    """The newest revision, read from the text of the migration files; None when unsure.

    Each file assigns `revision` and `down_revision` literals (Alembic's template); anything else
    (a missing or computed value, a branch) answers None and the caller asks Alembic.
    """
    return _head_in(migrations / "versions")


@functools.cache
def _head_in(versions: Path) -> str | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(down)
        elif down is not None:
            return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
