"""The bookkeeping every import shares: the file's digest, the earlier identical import,
the ImportBatch row, its rejected rows and the audit event.

Plain SQL (models.writer), on a connection of its own or a SQLAlchemy session's."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importers.report import ImportReport
from models.clock import utcnow
from models.writer import Writer, as_writer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        # A OneRoster folder: the digest of its CSVs, by name, so an unchanged export is a no-op.
        for p in sorted(path.iterdir()):
            if p.is_file() and p.suffix.lower() == ".csv":
                h.update(p.name.encode() + b"\0")
                h.update(p.read_bytes())
        return h.hexdigest()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class StoredBatch:
    """An ImportBatch row, as far as the bookkeeping reads it."""

    id: int
    started_at: datetime | None
    rows_accepted: int
    institution_code: str | None
    kind: str = ""
    summary: dict[str, Any] | None = None


def previous_batch(db: Writer | Session, kind: str, sha256: str, school: str | None) -> StoredBatch | None:
    """The latest committed import of this very file (same digest, kind and --school), if any."""
    w = as_writer(db)
    found = w.rows(
        "SELECT id, started_at, rows_accepted, institution_code, summary FROM import_batch "
        "WHERE kind = :kind AND sha256 = :sha AND committed ORDER BY id DESC",
        {"kind": kind, "sha": sha256},
    )
    for bid, started, accepted, code, summary in found:
        if code == school:
            return StoredBatch(bid, w.when(started), accepted, code, kind, w.json(summary))
    return None


def already_current(db: Writer | Session, report: ImportReport, school: str | None) -> bool:
    """True (and the report says so) when this very file was imported and the database still
    holds exactly that: no later import of the same kind touched any of its schools. When a later
    one did, the file is imported again, so that importing an earlier file restores its content."""
    earlier = previous_batch(db, report.kind, report.sha256, school)
    if earlier is None:
        return False
    when = f"{earlier.started_at:%Y-%m-%d %H:%M} UTC"
    if superseded(db, earlier):
        report.notes.append(
            f"imported before (batch {earlier.id}, {when}) and changed by later imports since: "
            "importing it again brings its content back"
        )
        return False
    report.already_imported = True
    report.batch_id = earlier.id
    report.rows_accepted = earlier.rows_accepted
    report.notes.append(f"already imported (batch {earlier.id}, {when}): nothing to do")
    return True


def _codes(batch: StoredBatch) -> set[str] | None:
    codes = (batch.summary or {}).get("school_codes")
    return set(codes) if isinstance(codes, list) else None


def superseded(db: Writer | Session, batch: StoredBatch) -> bool:
    """True when a later committed import of the same kind touched one of `batch`'s schools (or
    when that cannot be told: a batch that did not record its schools)."""
    mine = _codes(batch)
    if mine is None:
        return True
    w = as_writer(db)
    later = w.rows(
        "SELECT summary FROM import_batch WHERE kind = :kind AND committed AND id > :id",
        {"kind": batch.kind, "id": batch.id},
    )
    for (stored,) in later:
        summary = w.json(stored)
        codes = (summary or {}).get("school_codes")
        if not isinstance(codes, list) or mine.intersection(codes):
            return True
    return False


def open_batch(
    db: Writer | Session, report: ImportReport, *, actor: str, sheet: str | None, school: str | None
) -> StoredBatch:
    """The ImportBatch row of this import (committed; its figures come with close_batch)."""
    w = as_writer(db)
    batch_id = w.insert_id(
        "import_batch",
        {
            "kind": report.kind,
            "file_name": report.file,
            "sha256": report.sha256,
            "sheet": sheet,
            "institution_code": school,
            "actor": actor,
            "started_at": w.timestamp(utcnow()),
            "rows_accepted": 0,
            "rows_rejected": 0,
            "committed": True,
            "summary": w.json_value(None),
        },
    )
    report.batch_id = batch_id
    return StoredBatch(batch_id, None, 0, school, report.kind)


def close_batch(
    db: Writer | Session, batch: StoredBatch, report: ImportReport, *, actor: str, action: str
) -> None:
    """Rejected rows, the batch's figures, and the audit event: the end of every committed import."""
    w = as_writer(db)
    report_school = batch.institution_code
    if report.rejected:
        w.insert_many(
            "rejected_row",
            REJECTED_COLUMNS,
            [
                (
                    batch.id,
                    r.file,
                    r.sheet,
                    r.row,
                    r.column,
                    r.reason if not r.detail else f"{r.reason} ({r.detail})",
                    r.value,
                    r.school or report_school,
                    r.email,
                    r.name,
                )
                for r in report.rejected
            ],
        )
    data = report.to_data()
    summary: dict[str, Any] = {
        "totals": data["totals"],
        "schools": data["schools"] if len(report.schools) <= 50 else len(report.schools),
        "notes": report.notes,
        # every school the file listed, changed or not: whether a later import touched them
        # decides if importing this same file again is a no-op (previous_batch)
        "school_codes": sorted(report.schools),
    }
    if report.language is not None:
        summary["language"] = report.language
    w.execute(
        "UPDATE import_batch SET rows_accepted = :accepted, rows_rejected = :rejected, "
        "summary = :summary WHERE id = :id",
        {
            "accepted": report.rows_accepted,
            "rejected": report.rows_rejected,
            "summary": w.json_value(summary),
            "id": batch.id,
        },
    )
    after = {
        "batch_id": batch.id,
        "file": report.file,
        "sha256": report.sha256,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "totals": summary["totals"],
    }
    w.insert_id(
        "audit_event",
        {
            "at": w.timestamp(utcnow()),
            "actor": actor,
            "action": action,
            "institution_code": batch.institution_code,
            "person_email": None,
            "before": w.json_value(None),
            "after": w.json_value(after),
            "result": "committed",
            "zoom_code": None,
            "tracking_id": None,
            "operation_id": None,
            "detail": f"{report.file}: {report.rows_accepted} rows accepted, {report.rows_rejected} rejected",
        },
    )
    report.committed = True


REJECTED_COLUMNS = (
    "batch_id",
    "file",
    "sheet",
    "row",
    "column",
    "reason",
    "value",
    "institution_code",
    "email",
    "name",
)
