"""Persistence: SQLModel tables and the database session. No Zoom, no CLI."""

from __future__ import annotations

from models import guards as _guards  # noqa: F401  (the ORM-level audit guard)
from models.bulk import bulk_insert, bulk_upsert, id_map
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
from models.errors import AuditImmutableError, ModelsError, SchemaStateError
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
