"""The auditors' workbook: provenance, every license, every change, the last reconcile, every rejected row.

`export_audit_xlsx` writes six sheets (Provenance, Summary with a utilization chart by region,
Licenses, Changes, Drift, Import issues) in openpyxl's write-only mode: query results are streamed
(`yield_per`, a server-side cursor on PostgreSQL) straight into the sheet, so 100,000 rows take
bounded memory. `export_csv` writes the same tables as one CSV file each, with the delimiter the
reader's Excel expects (`;` in Ukrainian and French locales). Every text cell is safe from formula
injection (provision.reports.xlsx); no field named like a secret is exported. Files appear whole
or not at all (written beside the target, then renamed).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from importers.cells import csv_safe
from models.files import private_atomic
from provision.errors import InputError
from provision.reports import queries
from provision.reports.audit_rows import (
    CHANGE_COLUMNS,
    IMPORT_COLUMNS,
    LICENSE_COLUMNS,
    PLAN_SAYS,
    SECRET_KEY,
    SUMMARY_COLUMNS,
    DriftTable,
    change_rows,
    drift_header,
    drift_table,
    import_rows,
    license_rows,
)
from provision.reports.audit_sheets import _write_drift, _write_summary, summary_rows
from provision.reports.provenance import Provenance, with_local
from provision.reports.xlsx import Column, TableWriter

__all__ = [
    "CHANGE_COLUMNS",
    "FORMATS",
    "IMPORT_COLUMNS",
    "LICENSE_COLUMNS",
    "PLAN_SAYS",
    "SECRET_KEY",
    "SHEETS",
    "ExportResult",
    "Provenance",
    "drift_table",
    "export_audit_xlsx",
    "export_csv",
    "export_format",
    "parse_bound",
]

SHEETS = ("Provenance", "Summary", "Licenses", "Changes", "Drift", "Import issues")
FORMATS = {".xlsx": "xlsx", ".csv": "csv"}
PROVENANCE_COLUMNS = (Column("Field", width=28), Column("Value", "auto", width=80))


def export_format(path: str | Path, fmt: str | None) -> str:
    """xlsx or csv, from --format or else the suffix; a suffix we cannot write is bad input.

    `report.pdf` must not quietly become an xlsx under a name that promises something else.
    """
    suffix = Path(path).suffix.lower()
    if fmt is None:
        if suffix not in FORMATS:
            raise InputError(
                f"{path}: cannot write {suffix or 'a file without a suffix'}: name it .xlsx, or .csv "
                "(one CSV file per sheet)"
            )
        return FORMATS[suffix]
    if fmt == "xlsx" and suffix != ".xlsx":
        raise InputError(f"{path}: --format xlsx writes an .xlsx workbook; name the file .xlsx")
    if fmt == "csv" and suffix not in (".csv", ""):
        raise InputError(f"{path}: --format csv writes .csv files; name the file .csv (or give a base name)")
    return fmt


@dataclass
class ExportResult:
    """What was written: the files and the number of data rows per sheet (or CSV table)."""

    paths: list[Path]
    rows: dict[str, int] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"files": [str(p) for p in self.paths], "rows": self.rows}


# -- inputs -----------------------------------------------------------------------------------


def parse_bound(text: str | None, *, end: bool, option: str) -> datetime | None:
    """--since / --until: an ISO date or date-time (UTC unless it says otherwise).

    A bare date for --until means the whole day (the bound is the next midnight, exclusive).
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time())
            return moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if end and len(value) > 10:
        moment += timedelta(microseconds=1)  # an explicit --until time is inclusive
    return moment


def _check_school(session: Session, school: str | None) -> str | None:
    if school is None:
        return None
    return queries.school_code(session, school)


# -- writers ----------------------------------------------------------------------------------


def _school_report(session: Session, code: str | None, product: int | None) -> queries.SchoolsReport:
    report = queries.schools(session, product=product)
    if code is None:
        return report
    mine = [r for r in report.schools if r.code == code]
    return queries.SchoolsReport(
        schools=mine,
        totals=queries.totals_of(mine, waiting_known=report.plan is not None),
        plan=report.plan,
        account=report.account,
        note=report.note,
    )


def _provenance(provenance: Provenance | None, now: datetime | None, **filters: Any) -> Provenance:
    base = provenance or Provenance()
    when = (now or base.generated_at).astimezone(UTC)
    said = {
        k: (v if isinstance(v, str) or v is None else f"{v:%Y-%m-%d %H:%M:%S} UTC")
        for k, v in filters.items()
    }
    return replace(base, generated_at=when, filters={**said, **{k: v for k, v in base.filters.items() if v}})


def _tables(
    session: Session,
    code: str | None,
    since: datetime | None,
    until: datetime | None,
    p: Provenance,
    product: int | None,
) -> dict[str, tuple[list[Column], Iterator[tuple[Any, ...]]]]:
    """The streamed tables of Licenses, Changes and Import issues, with local times beside UTC."""
    return {
        "Licenses": with_local(LICENSE_COLUMNS, license_rows(session, school=code, product=product), p),
        "Changes": with_local(CHANGE_COLUMNS, change_rows(session, since=since, until=until, school=code), p),
        "Import issues": with_local(IMPORT_COLUMNS, import_rows(session, school=code), p),
    }


def export_audit_xlsx(
    session: Session,
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
    now: datetime | None = None,
    provenance: Provenance | None = None,
    product: int | None = None,
) -> ExportResult:
    """The six-sheet audit workbook at `path` (written whole or not at all).

    `product`: the policy's Zoom One product (None: Zoom Meetings), whose holders count as licensed."""
    target = Path(path)
    code = _check_school(session, school)
    p = _provenance(provenance, now, since=since, until=until, school=code)
    report = _school_report(session, code, product)
    result = ExportResult(paths=[target])
    with private_atomic(target) as tmp:
        wb = Workbook(write_only=True)
        # First in the workbook, written last: it counts the rows of the others.
        provenance_sheet = TableWriter(wb, "Provenance", PROVENANCE_COLUMNS)
        result.rows["Summary"] = _write_summary(wb, report, p.generated_at)
        for name, (columns, rows) in _tables(session, code, since, until, p, product).items():
            if name == "Import issues":
                result.rows["Drift"] = _write_drift(wb, drift_table(session, school=code))
            result.rows[name] = TableWriter(wb, name, columns).write(rows)
        result.rows = {name: result.rows[name] for name in SHEETS if name in result.rows}
        provenance_sheet.write(p.rows(result.rows))
        wb.save(tmp)
    return result


def csv_paths(path: str | Path) -> dict[str, Path]:
    """FILE.csv -> FILE-provenance.csv, FILE-summary.csv, FILE-licenses.csv … (beside it)."""
    target = Path(path)
    stem = target.stem if target.suffix.lower() in (".csv", ".xlsx") else target.name
    return {name: target.with_name(f"{stem}-{name.lower().replace(' ', '-')}.csv") for name in SHEETS}


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return csv_safe(value)


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str) -> int:
    count = 0
    # UTF-8 with a byte order mark: Excel on Windows then reads Cyrillic and Arabic correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
            count += 1
    return count


def _drift_csv(drift: DriftTable | None) -> tuple[list[str], list[tuple[Any, ...]]]:
    if drift is None:
        return ["Kind", "Detail"], [("none", "no reconcile yet (run `provision reconcile`)")]
    return [drift_header(c) for c in drift.columns], list(drift.rows)


def export_csv(
    session: Session,
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
    delimiter: str = ",",
    now: datetime | None = None,
    provenance: Provenance | None = None,
    product: int | None = None,
) -> ExportResult:
    """Every sheet of the workbook as its own CSV file (FILE-<sheet>.csv), all or none (`product`:
    as export_audit_xlsx)."""
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise InputError(f"--delimiter {delimiter!r}: one character, such as , or ; or a tab")
    code = _check_school(session, school)
    p = _provenance(provenance, now, since=since, until=until, school=code)
    paths = csv_paths(path)
    result = ExportResult(paths=list(paths.values()))
    with ExitStack() as stack:
        tmp = {name: stack.enter_context(private_atomic(target)) for name, target in paths.items()}
        report = _school_report(session, code, product)
        result.rows["Summary"] = _write_csv(
            tmp["Summary"], [c.header for c in SUMMARY_COLUMNS], summary_rows(report), delimiter
        )
        for name, (columns, rows) in _tables(session, code, since, until, p, product).items():
            result.rows[name] = _write_csv(tmp[name], [c.header for c in columns], rows, delimiter)
        headers, drift_rows = _drift_csv(drift_table(session, school=code))
        result.rows["Drift"] = _write_csv(tmp["Drift"], headers, drift_rows, delimiter)
        result.rows = {name: result.rows[name] for name in SHEETS if name in result.rows}
        _write_csv(tmp["Provenance"], ["Field", "Value"], p.rows(result.rows), delimiter)
    return result
