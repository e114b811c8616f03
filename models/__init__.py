"""Persistence: SQLModel tables and the database session. No Zoom, no CLI.

Every name loads on first use (PEP 562): a question on the phone reads through models.reader
and never waits for SQLAlchemy, the table classes or Alembic; the tables register the audit
log's ORM guard themselves (models.tables.audit).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.errors import AuditImmutableError, ModelsError, SchemaStateError

if TYPE_CHECKING:
    from models.bulk import bulk_insert, bulk_update, bulk_upsert, id_map
    from models.db import (
        current_revision,
        default_database_url,
        dispose_engines,
        head_revision,
        init_db,
        make_engine,
        open_database,
        session_scope,
        upgrade,
    )
    from models.tables import (
        AccountSnapshot,
        AuditEvent,
        DriftReport,
        ImportBatch,
        Institution,
        ManagedUser,
        Membership,
        Operation,
        OrgUnit,
        Person,
        PlanRecord,
        RejectedRow,
        ZoomUserSnapshot,
        metadata,
    )
    from models.types import UTCDateTime, utcnow

_LAZY = {
    **dict.fromkeys(
        (
            "AccountSnapshot",
            "AuditEvent",
            "DriftReport",
            "ImportBatch",
            "Institution",
            "ManagedUser",
            "Membership",
            "Operation",
            "OrgUnit",
            "Person",
            "PlanRecord",
            "RejectedRow",
            "ZoomUserSnapshot",
            "metadata",
        ),
        "models.tables",
    ),
    **dict.fromkeys(("UTCDateTime", "utcnow"), "models.types"),
    **dict.fromkeys(("bulk_insert", "bulk_update", "bulk_upsert", "id_map"), "models.bulk"),
    **dict.fromkeys(
        (
            "current_revision",
            "default_database_url",
            "dispose_engines",
            "head_revision",
            "init_db",
            "make_engine",
            "open_database",
            "session_scope",
            "upgrade",
        ),
        "models.db",
    ),
}

__all__ = [
    "AccountSnapshot",
    "AuditEvent",
    "AuditImmutableError",
    "DriftReport",
    "ImportBatch",
    "Institution",
    "ManagedUser",
    "Membership",
    "ModelsError",
    "Operation",
    "OrgUnit",
    "Person",
    "PlanRecord",
    "RejectedRow",
    "SchemaStateError",
    "UTCDateTime",
    "ZoomUserSnapshot",
    "bulk_insert",
    "bulk_update",
    "bulk_upsert",
    "current_revision",
    "default_database_url",
    "dispose_engines",
    "head_revision",
    "id_map",
    "init_db",
    "make_engine",
    "metadata",
    "open_database",
    "session_scope",
    "upgrade",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
