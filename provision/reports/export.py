"""The auditors' workbook: every license, every change, the last reconcile, every rejected row.

`export_audit_xlsx` writes five sheets (Summary with a utilization chart by region, Licenses,
Changes, Drift, Import issues) in openpyxl's write-only mode: query results are streamed
(`yield_per`, a server-side cursor on PostgreSQL) straight into the sheet, so 100,000 rows take
bounded memory. `export_csv` writes the Licenses and Changes tables as two CSV files. Every text
cell is safe from formula injection (provision.reports.xlsx); no field named like a secret is exported.
Files appear whole or not at all (written beside the target, then renamed).
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy import and_, case, or_, select, true
from sqlalchemy.orm import Session

from importers.cells import csv_safe
from models import (
    AuditEvent,
    DriftReport,
    ImportBatch,
    Institution,
    Membership,
    Person,
    RejectedRow,
    ZoomUserSnapshot,
)
from provision.errors import InputError
from provision.reports import queries
from provision.reports.xlsx import Column, TableWriter, excel_datetime
from zoom_client import UserType

STREAM_BATCH = 1000
SHEETS = ("Summary", "Licenses", "Changes", "Drift", "Import issues")
# Anything named like a credential is dropped from before/after/detail data before export.
SECRET_KEY = re.compile(r"secret|token|password|passwd|authorization|api[_-]?key", re.IGNORECASE)

SUMMARY_COLUMNS = (
    Column("Code"),
    Column("Name"),
    Column("Region"),
    Column("Kind"),
    Column("Quota", "int"),
    Column("Members", "int"),
    Column("Licensed", "int"),
    Column("Pending", "int"),
    Column("Waiting", "int"),
    Column("Utilization", "percent", width=12),
)
REGION_HEADERS = ("Region", "Schools", "Quota", "Licensed", "Waiting", "Utilization")
LICENSE_COLUMNS = (
    Column("Email"),
    Column("Given name"),
    Column("Family name"),
    Column("School code"),
    Column("School name"),
    Column("Region"),
    Column("Role"),
    Column("State"),
    Column("Add-ons"),
    Column("Reason"),
    Column("Last login (UTC)", "datetime"),
    Column("Pending since (UTC)", "datetime"),
    Column("Zoom id"),
)
CHANGE_COLUMNS = (
    Column("At (UTC)", "datetime"),
    Column("Actor"),
    Column("Action"),
    Column("School code"),
    Column("Person"),
    Column("Result"),
    Column("Before"),
    Column("After"),
    Column("Zoom code", "int"),
    Column("Tracking id"),
    Column("Operation", "int"),
    Column("Detail"),
)
IMPORT_COLUMNS = (
    Column("Batch", "int"),
    Column("Kind"),
    Column("Imported file"),
    Column("Imported at (UTC)", "datetime"),
    Column("Actor"),
    Column("School code"),
    Column("Committed", "bool"),
    Column("File"),
    Column("Sheet"),
    Column("Row", "int"),
    Column("Column"),
    Column("Reason"),
    Column("Value"),
)


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


# -- cleaning ---------------------------------------------------------------------------------


def scrub(value: Any) -> Any:
    """A copy of JSON-like data without any key named like a credential."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items() if not SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _json_text(value: Any) -> str | None:
    if value is None or value == {} or value == []:
        return None
    return json.dumps(scrub(value), ensure_ascii=False, sort_keys=True, default=str)


def _ms(value: datetime | None) -> datetime | None:
    """Excel keeps milliseconds; dropping the rest keeps what is written equal to what is read."""
    if value is None:
        return None
    value = excel_datetime(value)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# -- rows -------------------------------------------------------------------------------------


def _licensed_reason(
    role: str | None, active: bool | None, left_at: datetime | None, code: str | None
) -> str:
    if code is None:
        return "not on any roster (unmanaged)"
    if active is False:
        when = f" on {left_at:%Y-%m-%d}" if left_at else ""
        return f"left the roster of {code}{when}"
    return f"{role or 'member'} at {code}"


def license_rows(session: Session, *, school: str | None = None) -> Iterator[tuple[Any, ...]]:
    """Every person holding a license or an invitation (from the last snapshot), then the waiting."""
    holds = or_(
        and_(ZoomUserSnapshot.type == UserType.LICENSED, ZoomUserSnapshot.status == "active"),
        ZoomUserSnapshot.status == "pending",
    )
    stmt = (
        select(
            ZoomUserSnapshot.email,
            ZoomUserSnapshot.first_name,
            ZoomUserSnapshot.last_name,
            ZoomUserSnapshot.type,
            ZoomUserSnapshot.status,
            ZoomUserSnapshot.large_meeting,
            ZoomUserSnapshot.large_meeting_capacity,
            ZoomUserSnapshot.last_login_time,
            ZoomUserSnapshot.user_created_at,
            ZoomUserSnapshot.zoom_id,
            Person.given_name,
            Person.family_name,
            Membership.role,
            Membership.active,
            Membership.left_at,
            Institution.code,
            Institution.name,
            Institution.region,
        )
        .outerjoin(Person, Person.email == ZoomUserSnapshot.email)
        .outerjoin(Membership, and_(Membership.person_id == Person.id, Membership.is_primary == true()))
        .outerjoin(Institution, Institution.id == Membership.institution_id)
        .where(holds)
        .order_by(case((Institution.code.is_(None), 1), else_=0), Institution.code, ZoomUserSnapshot.email)
    )
    if school is not None:
        stmt = stmt.where(Institution.code == school)
    for r in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        state = queries.license_state(r.type, r.status, on_zoom=True)
        reason = _licensed_reason(r.role, r.active, r.left_at, r.code)
        if state == queries.PENDING:
            reason = f"invitation not yet accepted; {reason}"
        yield (
            r.email,
            r.given_name if r.given_name is not None else r.first_name,
            r.family_name if r.family_name is not None else r.last_name,
            r.code,
            r.name,
            r.region,
            r.role,
            state,
            queries.addons_label(r.large_meeting, r.large_meeting_capacity),
            reason,
            _ms(r.last_login_time),
            _ms(r.user_created_at) if state == queries.PENDING else None,
            r.zoom_id,
        )
    yield from _waiting_rows(session, school=school)


def _waiting_rows(session: Session, *, school: str | None) -> Iterator[tuple[Any, ...]]:
    waiting = queries.latest_waiting(session, school=school)
    if not waiting.entries:
        return
    schools = {
        code: (name, region)
        for code, name, region in session.execute(
            select(Institution.code, Institution.name, Institution.region)
        )
    }
    # The whole account's sheet lists each person once, where they count; a school's workbook also
    # lists its people who count at another school (their entry says where).
    entries = sorted(
        (w for w in waiting.entries if school is not None or w.counted_at is None),
        key=lambda w: (w.institution_code or "\uffff", w.counted_at is not None, w.place or 0, w.email),
    )
    for start in range(0, len(entries), 500):
        chunk = entries[start : start + 500]
        names = {
            email: (given, family)
            for email, given, family in session.execute(
                select(Person.email, Person.given_name, Person.family_name).where(
                    Person.email.in_([w.email for w in chunk])
                )
            )
        }
        for w in chunk:
            given, family = names.get(w.email, (None, None))
            name, region = schools.get(w.institution_code or "", (None, None))
            yield (
                w.email,
                given,
                family,
                w.institution_code,
                name,
                region,
                w.role,
                "waiting",
                None,
                w.reason,
                None,
                None,
                None,
            )


def change_rows(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Audit events in [since, until), oldest first, optionally for one school."""
    stmt = select(
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.institution_code,
        AuditEvent.person_email,
        AuditEvent.result,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.zoom_code,
        AuditEvent.tracking_id,
        AuditEvent.operation_id,
        AuditEvent.detail,
    ).order_by(AuditEvent.at, AuditEvent.id)
    # The column type takes naive values as UTC, which is what parse_bound returns.
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    if school is not None:
        stmt = stmt.where(AuditEvent.institution_code == school)
    for r in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        detail = r.detail if isinstance(r.detail, str) or r.detail is None else _json_text(r.detail)
        yield (
            _ms(r.at),
            r.actor,
            r.action,
            r.institution_code,
            r.person_email,
            r.result,
            _json_text(r.before),
            _json_text(r.after),
            r.zoom_code,
            r.tracking_id,
            r.operation_id,
            detail,
        )


def import_rows(session: Session, *, school: str | None = None) -> Iterator[tuple[Any, ...]]:
    """Every rejected row with the batch (file, when, who) it came from."""
    stmt = (
        select(
            ImportBatch.id,
            ImportBatch.kind,
            ImportBatch.file_name,
            ImportBatch.started_at,
            ImportBatch.actor,
            ImportBatch.institution_code,
            ImportBatch.committed,
            RejectedRow.file,
            RejectedRow.sheet,
            RejectedRow.row,
            RejectedRow.column,
            RejectedRow.reason,
            RejectedRow.value,
        )
        .join(ImportBatch, ImportBatch.id == RejectedRow.batch_id)
        .order_by(ImportBatch.started_at, ImportBatch.id, RejectedRow.row, RejectedRow.id)
    )
    if school is not None:
        stmt = stmt.where(ImportBatch.institution_code == school)
    for r in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        yield (r[0], r[1], r[2], _ms(r[3]), *r[4:])


@dataclass(frozen=True)
class DriftTable:
    """The last reconcile flattened to rows: kind, email, school, detail, then the items' other fields."""

    report_at: datetime | None
    actor: str | None
    clean: bool | None
    columns: tuple[str, ...]  # item keys, "kind" first
    rows: list[tuple[Any, ...]]
    counts: dict[str, int] = field(default_factory=dict)


DRIFT_BASE = ("kind", "email", "institution_code", "detail")
DRIFT_HEADERS = {"kind": "Kind", "email": "Email", "institution_code": "School code", "detail": "Detail"}


def drift_header(key: str) -> str:
    return DRIFT_HEADERS.get(key) or key.replace("_", " ").capitalize()


def _drift_items(data: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(kind, item) pairs from the reconcile's JSON, whichever of the plain shapes it uses."""
    if isinstance(data, list):
        for item in data:
            if isinstance(item, Mapping):
                yield str(item.get("kind", "")), item
        return
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield str(item.get("kind", key)), item
                else:
                    yield str(key), {"value": item}
        elif isinstance(value, Mapping) and key in ("kinds", "drift", "by_kind"):
            yield from _drift_items(value)


def drift_table(session: Session, *, school: str | None = None) -> DriftTable | None:
    report = session.execute(
        select(DriftReport).order_by(DriftReport.at.desc(), DriftReport.id.desc()).limit(1)
    ).scalar_one_or_none()
    if report is None:
        return None
    items = [(kind, scrub(item)) for kind, item in _drift_items(report.data)]
    if school is not None:
        items = [(k, i) for k, i in items if i.get("institution_code") in (None, school)]
    fields: list[str] = list(DRIFT_BASE[1:])
    for _, item in items:
        for key in item:
            if key != "kind" and key not in fields:
                fields.append(key)
    rows = []
    counts: dict[str, int] = {}
    stored = report.data.get("counts") if isinstance(report.data, Mapping) else None
    if isinstance(stored, Mapping) and school is None:
        counts = {str(k): int(v) for k, v in stored.items() if isinstance(v, int)}
    for kind, item in items:
        if school is not None or not counts:
            counts[kind] = counts.get(kind, 0) + 1
        values = []
        for key in fields:
            value = item.get(key)
            values.append(_json_text(value) if isinstance(value, Mapping | list) else value)
        rows.append((kind, *values))
    return DriftTable(
        report_at=report.at,
        actor=report.actor,
        clean=report.clean,
        columns=("kind", *fields),
        rows=rows,
        counts=counts,
    )


# -- writers ----------------------------------------------------------------------------------


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed over it only when writing succeeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_summary(wb: Workbook, report: queries.SchoolsReport, generated_at: datetime) -> int:
    table = TableWriter(wb, "Summary", SUMMARY_COLUMNS)
    count = table.write(
        (
            r.code,
            r.name,
            r.region,
            r.kind,
            r.quota,
            r.members,
            r.licensed,
            r.pending,
            r.waiting,
            r.utilization,
        )
        for r in report.schools
    )
    cells = table.cells
    t = report.totals
    table.append_free_row([])
    table.append_free_row(
        [
            cells.bold("Total"),
            f"{t['schools']} schools",
            None,
            None,
            t["quota"],
            t["members"],
            t["licensed"],
            t["pending"],
            t["waiting"],
            cells.value(t["utilization"], "percent"),
        ]
    )
    table.append_free_row([])
    header_row = table.append_free_row([cells.header(h) for h in REGION_HEADERS])
    region_rows = queries.regions(report.schools)
    waiting_known = report.plan is not None
    for reg in region_rows:
        table.append_free_row(
            [
                cells.text(reg["region"]),
                reg["schools"],
                reg["quota"],
                reg["licensed"],
                reg["waiting"] if waiting_known else None,
                cells.value(reg["utilization"], "percent"),
            ]
        )
    table.append_free_row([])
    plan = report.plan
    table.append_free_row(
        [
            cells.text(
                f"Waiting from the plan of {plan.created_at:%Y-%m-%d %H:%M} UTC ({plan.fingerprint[:12]})"
            )
        ]
        if plan and plan.created_at
        else [cells.text(f"Waiting: {queries.NO_PLAN}")]
    )
    account = report.account
    if account:
        table.append_free_row(
            [
                cells.text(
                    f"Account seats: {account['seats_used']} used of {account['seats_purchased']} "
                    f"purchased, {account['seats_pending']} pending "
                    f"(observed {account['observed_at']:%Y-%m-%d %H:%M} UTC)"
                )
            ]
        )
    table.append_free_row([cells.text(f"Generated {generated_at:%Y-%m-%d %H:%M:%S} UTC; times are UTC")])
    if region_rows:
        first, last = header_row + 1, header_row + len(region_rows)
        chart = BarChart()
        chart.type = "col"
        chart.title = "Utilization by region"
        chart.y_axis.title = "Licensed / quota"
        chart.y_axis.number_format = "0%"
        chart.x_axis.title = "Region"
        chart.legend = None
        util_col = len(REGION_HEADERS)
        data = Reference(table.ws, min_col=util_col, min_row=header_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(table.ws, min_col=1, min_row=first, max_row=last))
        chart.width, chart.height = 22, 11
        table.ws.add_chart(chart, "L2")
    return count


def _write_drift(wb: Workbook, drift: DriftTable | None) -> int:
    if drift is None:
        table = TableWriter(wb, "Drift", (Column("Kind"), Column("Detail")))
        return table.write([("none", "no reconcile yet (run `provision reconcile`)")])
    columns = [
        Column(drift_header(name), "datetime" if name.endswith(("_at", "_time")) else "auto")
        for name in drift.columns
    ]
    table = TableWriter(wb, "Drift", columns)
    rows = [
        tuple(_as_time(v) if c.kind == "datetime" else v for v, c in zip(row, columns, strict=False))
        for row in drift.rows
    ]
    if not rows:
        rows = [("none", None, None, "no drift: Zoom matches the rosters and the policy")]
    count = table.write(rows)
    cells = table.cells
    table.append_free_row([])
    state = "clean" if drift.clean else "drift found"
    when = f"{drift.report_at:%Y-%m-%d %H:%M} UTC" if drift.report_at else "?"
    table.append_free_row([cells.text(f"Reconcile of {when} by {drift.actor or '?'}: {state}")])
    if drift.counts:
        table.append_free_row([cells.bold("Kind"), cells.bold("Count")])
        for kind, n in drift.counts.items():
            table.append_free_row([cells.text(kind), n])
    return count


def _as_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return _ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return _ms(value) if isinstance(value, datetime) else value


def export_audit_xlsx(
    session: Session,
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """The five-sheet audit workbook at `path` (written whole or not at all)."""
    target = Path(path)
    code = _check_school(session, school)
    generated_at = (now or datetime.now(UTC)).astimezone(UTC)
    report = queries.schools(session)
    if code is not None:
        report = queries.SchoolsReport(
            schools=[r for r in report.schools if r.code == code],
            totals=queries.totals_of(
                [r for r in report.schools if r.code == code], waiting_known=report.plan is not None
            ),
            plan=report.plan,
            account=report.account,
            note=report.note,
        )
    result = ExportResult(paths=[target])
    with _atomic(target) as tmp:
        wb = Workbook(write_only=True)
        result.rows["Summary"] = _write_summary(wb, report, generated_at)
        result.rows["Licenses"] = TableWriter(wb, "Licenses", LICENSE_COLUMNS).write(
            license_rows(session, school=code)
        )
        result.rows["Changes"] = TableWriter(wb, "Changes", CHANGE_COLUMNS).write(
            change_rows(session, since=since, until=until, school=code)
        )
        result.rows["Drift"] = _write_drift(wb, drift_table(session, school=code))
        result.rows["Import issues"] = TableWriter(wb, "Import issues", IMPORT_COLUMNS).write(
            import_rows(session, school=code)
        )
        wb.save(tmp)
    return result


def csv_paths(path: str | Path) -> tuple[Path, Path]:
    """FILE.csv -> FILE-licenses.csv and FILE-changes.csv (beside it)."""
    target = Path(path)
    stem = target.stem if target.suffix.lower() in (".csv", ".xlsx") else target.name
    return target.with_name(f"{stem}-licenses.csv"), target.with_name(f"{stem}-changes.csv")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return csv_safe(value)


def _write_csv(path: Path, columns: Sequence[Column], rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    # UTF-8 with a byte order mark: Excel on Windows then reads Cyrillic and Arabic correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
            count += 1
    return count


def export_csv(
    session: Session,
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
) -> ExportResult:
    """The Licenses and Changes tables as FILE-licenses.csv and FILE-changes.csv."""
    code = _check_school(session, school)
    licenses, changes = csv_paths(path)
    result = ExportResult(paths=[licenses, changes])
    with _atomic(licenses) as tmp_licenses, _atomic(changes) as tmp_changes:
        result.rows["Licenses"] = _write_csv(
            tmp_licenses, LICENSE_COLUMNS, license_rows(session, school=code)
        )
        result.rows["Changes"] = _write_csv(
            tmp_changes, CHANGE_COLUMNS, change_rows(session, since=since, until=until, school=code)
        )
    return result
