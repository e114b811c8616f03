"""Schools import: code, name, region, kind, seats; upsert by code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import report as R
from importers.batch import already_current, close_batch, file_sha256, open_batch
from importers.codes import account_problem
from importers.errors import DataError
from importers.normalize import normalize_name
from importers.package_schools import import_package_schools
from importers.report import ImportReport, Rejected, SchoolChange
from importers.rows import RawRow, school_rows
from importers.seats_sheet import parse_seats
from importers.sniff import detect
from importers.source import display_name, open_sheets
from models import Institution
from models.bulk import bulk_upsert
from models.locks import rosters_locked
from models.types import utcnow


def _reject(row: RawRow, field: str, reason: str, detail: str = "") -> Rejected:
    cells = tuple((written, row.values.get(f, "")) for f, written in row.columns.items())
    return Rejected(
        row.file,
        row.sheet,
        row.row,
        row.columns.get(field, field),
        reason,
        row.values.get(field, ""),
        detail,
        cells=cells,
    )


@rosters_locked
def import_schools(
    session: Session,
    path: str | Path,
    *,
    actor: str,
    dry_run: bool = False,
    skip_invalid: bool = False,
    seats: str | Path | None = None,
    check_account: Callable[[str], str | None] | None = None,
) -> ImportReport:
    """Import institutions from a schools sheet (code, name, region, kind, seats, account) or
    from a OneRoster/SDS package's orgs (seats from the `seats` sheet; see package_schools).

    `check_account` says why an `account` cell cannot be used (None: it can); the engine's rule
    (provision.core.accounts.key_problem: a declared alias or a Zoom account id). Without it a
    file naming any account is refused: nobody said which accounts exist. A file without the
    column keeps each school's account; an empty cell is the main account.
    """
    path = Path(path)
    display = display_name(path)
    kind = detect(path, display)
    package = kind in ("oneroster-zip", "oneroster-dir")
    seats_path = Path(seats) if seats is not None else None
    if seats_path is not None and not package:
        raise DataError(
            f"--seats {display_name(seats_path)}: seats sheets go with a OneRoster/SDS package; "
            f"{display} is a schools sheet, give the seats in its own seats column"
        )
    sha = file_sha256(path)
    if seats_path is not None:
        # The same package with other seats is another import, not "already imported".
        sha = hashlib.sha256(f"{sha}+seats:{file_sha256(seats_path)}".encode()).hexdigest()
    report = ImportReport(kind="schools", file=display, sha256=sha, dry_run=dry_run)
    if already_current(session, report, None):
        return report
    if package:
        return import_package_schools(
            session,
            path,
            report,
            actor=actor,
            seats=seats_path,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            check_account=check_account,
        )
    _, sheets = open_sheets(path, kind)
    rows = school_rows(sheets)
    if not rows:
        raise DataError(f"{display}: no school rows below the header")

    valid: dict[str, dict[str, object]] = {}
    first_row: dict[str, int] = {}
    has_account = any("account" in row.columns for row in rows)
    for row in rows:
        v = row.values
        code = normalize_name(v.get("code", ""))
        name = normalize_name(v.get("name", ""))
        n_seats = parse_seats(v.get("seats", ""))
        problems = [
            Rejected(
                row.file,
                row.sheet,
                row.row,
                row.columns.get(f, f),
                R.FORMULA_WITHOUT_VALUE,
                f"={formula}",
                R.FORMULA_HINT,
            )
            for f, formula in row.formulas.items()
        ]
        if problems:
            report.rejected.extend(problems)
            continue
        if not code:
            problems.append(_reject(row, "code", R.MISSING_CODE))
        if not name:
            problems.append(_reject(row, "name", R.MISSING_NAME))
        if n_seats is None:
            problems.append(_reject(row, "seats", R.BAD_SEATS, "a whole number, 0 or more"))
        account = " ".join(v.get("account", "").split())
        if account:
            why = account_problem(account, check_account)
            if why is not None:
                problems.append(_reject(row, "account", R.UNKNOWN_ACCOUNT, why))
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
            "seats": n_seats,
            **({"account": account} if has_account else {}),
        }
    report.rows_accepted = len(valid)

    tbl = Institution.__table__  # type: ignore[attr-defined]
    before = (
        {
            r.code: r
            for r in session.connection().execute(
                select(tbl.c.code, tbl.c.name, tbl.c.region, tbl.c.kind, tbl.c.seats, tbl.c.account).where(
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
        ) or (has_account and (old.account or "") != new["account"]):
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
        update=["name", "region", "kind", "seats", *(["account"] if has_account else []), "updated_at"],
    )
    close_batch(session, batch, report, actor=actor, action="import.schools")
    return report
