"""Spreadsheets (xlsx, xls, ods, csv, OneRoster, SDS) -> validated records -> models.

The names below load on first use (PEP 562): a query that only needs `normalize_email` must
not wait for the readers, openpyxl and the database layer to load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importers.errors import (
        DataError,
        DuplicateKeyError,
        FileFormatError,
        ImporterError,
        MissingColumnError,
    )
    from importers.normalize import normalize_email
    from importers.rejects import (
        default_rejects_dir,
        default_rejects_path,
        write_rejects_xlsx,
        write_school_rejects,
    )
    from importers.report import ImportReport, Rejected, RejectedRow, SchoolChange
    from importers.roles import RoleWords, map_role
    from importers.roster import import_roster
    from importers.schools import import_schools

_WHERE = {
    **dict.fromkeys(
        ("DataError", "DuplicateKeyError", "FileFormatError", "ImporterError", "MissingColumnError"),
        "importers.errors",
    ),
    "normalize_email": "importers.normalize",
    **dict.fromkeys(("RoleWords", "map_role"), "importers.roles"),
    **dict.fromkeys(
        ("default_rejects_dir", "default_rejects_path", "write_rejects_xlsx", "write_school_rejects"),
        "importers.rejects",
    ),
    **dict.fromkeys(("ImportReport", "Rejected", "RejectedRow", "SchoolChange"), "importers.report"),
    "import_roster": "importers.roster",
    "import_schools": "importers.schools",
}

__all__ = [
    "DataError",
    "DuplicateKeyError",
    "FileFormatError",
    "ImportReport",
    "ImporterError",
    "MissingColumnError",
    "Rejected",
    "RejectedRow",
    "RoleWords",
    "SchoolChange",
    "default_rejects_dir",
    "default_rejects_path",
    "import_roster",
    "import_schools",
    "map_role",
    "normalize_email",
    "write_rejects_xlsx",
    "write_school_rejects",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'importers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
