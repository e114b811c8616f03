"""Schools import: code, name, region, kind, seats; upsert by code."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import report as R
from importers.batch import close_batch, file_sha256, open_batch, previous_batch
from importers.errors import DataError, FileFormatError
from importers.normalize import normalize_name
from importers.report import ImportReport, Rejected, SchoolChange
from importers.rows import RawRow, school_rows
from importers.sniff import detect
from importers.source import display_name, open_sheets
from models import Institution
from models.bulk import bulk_upsert
from models.locks import rosters_locked
from models.types import utcnow

_SEATS_RE = re.compile(r"^\+?\d+(\.0+)?$")


def _reject(row: RawRow, field: str, reason: str, detail: str = "") -> Rejected:
    return Rejected(
        row.file, row.sheet, row.row, row.columns.get(field, field), reason, row.values.get(field, ""), detail
    )


@rosters_locked
def import_schools(
    session: Session, path: str | Path, *, actor: str, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    path = Path(path)
    display = display_name(path)
    kind = detect(path, display)
    if kind in ("oneroster-zip", "oneroster-dir"):
        raise FileFormatError(
            display, "a OneRoster/SDS package is a roster; import schools from a sheet of codes"
        )
    report = ImportReport(kind="schools", file=display, sha256=file_sha256(path), dry_run=dry_run)
    earlier = previous_batch(session, "schools", report.sha256, None)
    if earlier is not None:
        report.already_imported = True
        report.batch_id = earlier.id
        report.rows_accepted = earlier.rows_accepted
        report.notes.append(f"already imported (batch {earlier.id}): nothing to do")
        return report
    _, sheets = open_sheets(path, kind)
    rows = school_rows(sheets)
    if not rows:
        raise DataError(f"{display}: no school rows below the header")

    valid: dict[str, dict[str, object]] = {}
    first_row: dict[str, int] = {}
    for row in rows:
        v = row.values
        code = normalize_name(v.get("code", ""))
        name = normalize_name(v.get("name", ""))
        seats_text = v.get("seats", "").strip().replace("\u00a0", "").replace(" ", "")
        problems = []
        if not code:
            problems.append(_reject(row, "code", R.MISSING_CODE))
        if not name:
            problems.append(_reject(row, "name", R.MISSING_NAME))
        if not _SEATS_RE.match(seats_text):
            problems.append(_reject(row, "seats", R.BAD_SEATS, "a whole number, 0 or more"))
        if not problems and code in valid:
            problems.append(_reject(row, "code", R.DUPLICATE, f"first at row {first_row[code]}"))
        if problems:
            report.rejected.extend(problems)
            continue
        first_row[code] = row.row
        valid[code] = {
            "code": code,
            "name": name,
            "region": normalize_name(v.get("region", "")) or None,
            "kind": normalize_name(v.get("kind", "")) or None,
            "seats": int(float(seats_text)),
        }
    report.rows_accepted = len(valid)

    tbl = Institution.__table__  # type: ignore[attr-defined]
    before = (
        {
            r.code: r
            for r in session.connection().execute(
                select(tbl.c.code, tbl.c.name, tbl.c.region, tbl.c.kind, tbl.c.seats).where(
                    tbl.c.code.in_(list(valid))
                )
            )
        }
        if valid
        else {}
    )
    for code, new in valid.items():
        old = before.get(code)
        change = report.schools.setdefault(code, SchoolChange())
        if old is None:
            change.added = 1
        elif (old.name, old.region, old.kind, old.seats) != (
            new["name"],
            new["region"],
            new["kind"],
            new["seats"],
        ):
            change.updated = 1
        else:
            change.unchanged = 1
    if dry_run or (report.rejected and not skip_invalid):
        return report
    batch = open_batch(session, report, actor=actor, sheet=rows[0].sheet, school=None)
    now = utcnow()
    bulk_upsert(
        session,
        Institution,
        [{**r, "updated_at": now} for r in valid.values()],
        ["code"],
        update=["name", "region", "kind", "seats", "updated_at"],
    )
    close_batch(session, batch, report, actor=actor, action="import.schools")
    return report
