"""Spreadsheets (xlsx, xls, ods, csv, OneRoster, SDS) -> validated records -> models."""

from __future__ import annotations

from importers.errors import DataError, DuplicateKeyError, FileFormatError, ImporterError, MissingColumnError
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
