"""The bookkeeping every import shares: the file's digest, the earlier identical import,
the ImportBatch row, its rejected rows and the audit event."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from importers.report import ImportReport
from models import AuditEvent, ImportBatch
from models import RejectedRow as RejectedRowTable
from models.bulk import bulk_insert


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


def previous_batch(session: Session, kind: str, sha256: str, school: str | None) -> ImportBatch | None:
    """The latest committed import of this very file (same digest, kind and --school), if any."""
    stmt = (
        select(ImportBatch)
        .where(col(ImportBatch.kind) == kind, col(ImportBatch.sha256) == sha256, col(ImportBatch.committed))
        .order_by(col(ImportBatch.id).desc())
    )
    return next((b for b in session.execute(stmt).scalars() if b.institution_code == school), None)


def already_current(session: Session, report: ImportReport, school: str | None) -> bool:
    """True (and the report says so) when this very file was imported and the database still
    holds exactly that: no later import of the same kind touched any of its schools. When a later
    one did, the file is imported again, so that importing an earlier file restores its content."""
    earlier = previous_batch(session, report.kind, report.sha256, school)
    if earlier is None:
        return False
    when = f"{earlier.started_at:%Y-%m-%d %H:%M} UTC"
    if superseded(session, earlier):
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


def _codes(batch: ImportBatch) -> set[str] | None:
    codes = (batch.summary or {}).get("school_codes")
    return set(codes) if isinstance(codes, list) else None


def superseded(session: Session, batch: ImportBatch) -> bool:
    """True when a later committed import of the same kind touched one of `batch`'s schools (or
    when that cannot be told: a batch that did not record its schools)."""
    mine = _codes(batch)
    if mine is None:
        return True
    later = select(col(ImportBatch.summary)).where(
        col(ImportBatch.kind) == batch.kind,
        col(ImportBatch.committed),
        col(ImportBatch.id) > batch.id,
    )
    for (summary,) in session.execute(later):
        codes = (summary or {}).get("school_codes")
        if not isinstance(codes, list) or mine.intersection(codes):
            return True
    return False


def open_batch(
    session: Session, report: ImportReport, *, actor: str, sheet: str | None, school: str | None
) -> ImportBatch:
    batch = ImportBatch(
        kind=report.kind,
        file_name=report.file,
        sha256=report.sha256,
        sheet=sheet,
        institution_code=school,
        actor=actor,
        committed=True,
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    report.batch_id = batch.id
    return batch


def close_batch(
    session: Session, batch: ImportBatch, report: ImportReport, *, actor: str, action: str
) -> None:
    """Rejected rows, the batch's figures, and the audit event: the end of every committed import."""
    assert batch.id is not None
    report_school = batch.institution_code
    if report.rejected:
        bulk_insert(
            session,
            RejectedRowTable,
            (
                {
                    "batch_id": batch.id,
                    "file": r.file,
                    "sheet": r.sheet,
                    "row": r.row,
                    "column": r.column,
                    "reason": r.reason if not r.detail else f"{r.reason} ({r.detail})",
                    "value": r.value,
                    "institution_code": r.school or report_school,
                    "email": r.email,
                    "name": r.name,
                }
                for r in report.rejected
            ),
        )
    summary: dict[str, Any] = {
        "totals": report.to_data()["totals"],
        "schools": report.to_data()["schools"] if len(report.schools) <= 50 else len(report.schools),
        "notes": report.notes,
        # every school the file listed, changed or not: whether a later import touched them
        # decides if importing this same file again is a no-op (previous_batch)
        "school_codes": sorted(report.schools),
    }
    if report.language is not None:
        summary["language"] = report.language
    batch.rows_accepted = report.rows_accepted
    batch.rows_rejected = report.rows_rejected
    batch.summary = summary
    session.add(batch)
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            institution_code=batch.institution_code,
            after={
                "batch_id": batch.id,
                "file": report.file,
                "sha256": report.sha256,
                "rows_accepted": report.rows_accepted,
                "rows_rejected": report.rows_rejected,
                "totals": summary["totals"],
            },
            result="committed",
            detail=f"{report.file}: {report.rows_accepted} rows accepted, {report.rows_rejected} rejected",
        )
    )
    session.flush()
    report.committed = True
