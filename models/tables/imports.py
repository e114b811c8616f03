"""Import batches (one per file imported) and the rows they rejected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models.tables import _base  # noqa: F401
from models.types import UTCDateTime, utcnow


class ImportBatch(SQLModel, table=True):
    """One import of one file: who, when, what it held and whether it was committed."""

    __tablename__ = "import_batch"
    # Re-importing the same file is a no-op: found by its digest.
    __table_args__ = (Index("ix_import_batch_sha256", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # "schools" | "roster"
    file_name: str
    sha256: str
    sheet: str | None = None
    institution_code: str | None = None
    actor: str
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rows_accepted: int = 0
    rows_rejected: int = 0
    committed: bool = False
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class RejectedRow(SQLModel, table=True):
    """A row the importer refused, with where it was and why (for the school to fix)."""

    __tablename__ = "rejected_row"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    file: str
    sheet: str | None = None
    row: int
    column: str | None = None
    reason: str
    value: str | None = None
    # Who the row was about, as typed (the email may be the invalid cell itself): lets
    # `provision person` answer "your row was rejected" instead of "unknown person".
    email: str | None = Field(default=None, index=True)
    name: str | None = None
    # The school the row belongs to, when it names one we know (a multi-school roster's rows too).
    institution_code: str | None = Field(default=None, index=True)
