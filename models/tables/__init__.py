"""Every table of the schema (importing this registers them all on SQLModel.metadata)."""

from __future__ import annotations

from models.tables._base import metadata
from models.tables.audit import AuditEvent
from models.tables.imports import ImportBatch, RejectedRow
from models.tables.institutions import Institution, OrgUnit
from models.tables.journal import Operation, PlanRecord
from models.tables.managed import DriftReport, ManagedUser
from models.tables.people import Membership, Person
from models.tables.snapshot import AccountSnapshot, ZoomUserSnapshot

__all__ = [
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
]
