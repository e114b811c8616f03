"""The rows of the auditors' workbook, streamed from the database: licenses, changes, imports, drift.

Times are UTC here (naive, as Excel keeps them); the writers add the local time beside them.
Nothing named like a credential leaves (scrub).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from models import (
    AuditEvent,
    DriftReport,
    ImportBatch,
    Institution,
    Membership,
    Operation,
    Person,
    RejectedRow,
    ZoomUserSnapshot,
)
from provision.reports import queries
from provision.reports.words import change_words, state_words
from provision.reports.xlsx import Column, excel_datetime
from zoom_client import UserType

STREAM_BATCH = 1000
PLAN_SAYS = "the latest plan: "
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
    Column("Zoom account"),  # "" the main one; a sub-account id or an alias (issue 17)
)
CHANGE_COLUMNS = (
    Column("At (UTC)", "datetime"),
    Column("Actor"),
    Column("Action"),
    Column("School code"),
    Column("Person"),
    Column("Result"),
    Column("Change"),
    Column("Before"),
    Column("After"),
    Column("Zoom code", "int"),
    Column("Tracking id"),
    Column("Operation", "int"),
    Column("Detail"),
    Column("Zoom account"),  # the account the change was sent to
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


def license_rows(
    session: Session, *, school: str | None = None, product: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every person holding a license or an invitation (from the last snapshot), then the waiting.

    `product`: the policy's Zoom One product (None: Zoom Meetings). Its holders are read by
    core.product.license_type (queries.license_state), whatever type Zoom lists them with; the SQL
    only narrows to the rows that may hold it."""
    active = col(ZoomUserSnapshot.status) == "active"
    maybe = col(ZoomUserSnapshot.type) == UserType.LICENSED
    if product is not None:
        maybe = or_(maybe, col(ZoomUserSnapshot.zoom_one_type) == product)
    holds = or_(and_(maybe, active), col(ZoomUserSnapshot.status) == "pending")
    stmt = (
        select(
            col(ZoomUserSnapshot.email),
            col(ZoomUserSnapshot.first_name),
            col(ZoomUserSnapshot.last_name),
            col(ZoomUserSnapshot.type),
            col(ZoomUserSnapshot.zoom_one_type),
            col(ZoomUserSnapshot.status),
            col(ZoomUserSnapshot.large_meeting),
            col(ZoomUserSnapshot.large_meeting_capacity),
            col(ZoomUserSnapshot.last_login_time),
            col(ZoomUserSnapshot.user_created_at),
            col(ZoomUserSnapshot.zoom_id),
            col(ZoomUserSnapshot.account),
            col(Person.given_name),
            col(Person.family_name),
            col(Membership.role),
            col(Membership.active),
            col(Membership.left_at),
            col(Institution.code),
            col(Institution.name),
            col(Institution.region),
        )
        .outerjoin(Person, col(Person.email) == col(ZoomUserSnapshot.email))
        .outerjoin(
            Membership,
            and_(col(Membership.person_id) == col(Person.id), col(Membership.is_primary) == true()),
        )
        .outerjoin(Institution, col(Institution.id) == col(Membership.institution_id))
        .where(holds)
        .order_by(
            case((col(Institution.code).is_(None), 1), else_=0),
            col(Institution.code),
            col(ZoomUserSnapshot.email),
        )
    )
    if school is not None:
        stmt = stmt.where(col(Institution.code) == school)
    # Each person once: a holder is not also listed as waiting, and a person with two primary
    # memberships (a data error elsewhere) is not counted twice.
    listed: set[str] = set()
    waiting = queries.latest_waiting(session, school=school)
    # A holder the latest plan puts on the waiting list keeps one line: what they hold now, and why
    # the plan would take it back.
    plan_says = {w.email: w.reason for w in waiting.entries if w.counted_at is None}
    for r in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        state = queries.license_state(
            r.type, r.status, on_zoom=True, zoom_one=r.zoom_one_type, product=product
        )
        if r.email in listed or state == queries.BASIC:  # Listed Licensed, holding another bundle
            continue
        listed.add(r.email)
        reason = _licensed_reason(r.role, r.active, r.left_at, r.code)
        if state == queries.PENDING:
            reason = f"invitation not yet accepted; {reason}"
        if r.email in plan_says:
            reason = f"{reason}; {PLAN_SAYS}{plan_says[r.email]}"
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
            _account_name(r.account),
        )
    yield from _waiting_rows(session, waiting, school=school, listed=listed)


def _waiting_rows(
    session: Session, waiting: queries.WaitingList, *, school: str | None, listed: set[str]
) -> Iterator[tuple[Any, ...]]:
    if not waiting.entries:
        return
    schools = {
        code: (name, region, account)
        for code, name, region, account in session.execute(
            select(
                col(Institution.code),
                col(Institution.name),
                col(Institution.region),
                col(Institution.account),
            )
        )
    }
    # The whole account's sheet lists each person once, where they count; a school's workbook also
    # lists its people who count at another school (their entry says where).
    entries = sorted(
        (
            w
            for w in waiting.entries
            if w.email not in listed and (school is not None or w.counted_at is None)
        ),
        key=lambda w: (w.institution_code or "\uffff", w.counted_at is not None, w.place or 0, w.email),
    )
    for start in range(0, len(entries), 500):
        chunk = entries[start : start + 500]
        names = {
            email: (given, family)
            for email, given, family in session.execute(
                select(col(Person.email), col(Person.given_name), col(Person.family_name)).where(
                    col(Person.email).in_([w.email for w in chunk])
                )
            )
        }
        for w in chunk:
            if w.email in listed and school is None:
                continue  # listed twice in the plan's waiting list (two schools)
            listed.add(w.email)
            given, family = names.get(w.email, (None, None))
            name, region, account = schools.get(w.institution_code or "", (None, None, None))
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
                _account_name(account),  # where they will be licensed: their school's account
            )


def _account_name(key: str | None) -> str:
    """How the workbook names a Zoom account (its key; the main one by that word)."""
    return key if key else "main"


def change_rows(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    school: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Audit events in [since, until), oldest first, optionally for one school."""
    stmt = (
        select(
            col(AuditEvent.at),
            col(AuditEvent.actor),
            col(AuditEvent.action),
            col(AuditEvent.institution_code),
            col(AuditEvent.person_email),
            col(AuditEvent.result),
            col(AuditEvent.before),
            col(AuditEvent.after),
            col(AuditEvent.zoom_code),
            col(AuditEvent.tracking_id),
            col(AuditEvent.operation_id),
            col(AuditEvent.detail),
            col(Operation.account),
        )
        .outerjoin(Operation, col(Operation.id) == col(AuditEvent.operation_id))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    # The column type takes naive values as UTC, which is what parse_bound returns.
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < until)
    if school is not None:
        stmt = stmt.where(col(AuditEvent.institution_code) == school)
    for r in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        detail = r.detail if isinstance(r.detail, str) or r.detail is None else _json_text(r.detail)
        before, after = scrub(r.before), scrub(r.after)
        yield (
            _ms(r.at),
            r.actor,
            r.action,
            r.institution_code,
            r.person_email,
            r.result,
            change_words(before, after),
            state_words(before),
            state_words(after),
            r.zoom_code,
            r.tracking_id,
            r.operation_id,
            detail,
            _account_name(r.account) if r.operation_id is not None else None,
        )


def import_rows(session: Session, *, school: str | None = None) -> Iterator[tuple[Any, ...]]:
    """Every rejected row with the batch (file, when, who) it came from, and the row's school."""
    row_school = func.coalesce(col(RejectedRow.institution_code), col(ImportBatch.institution_code))
    stmt = (
        select(
            col(ImportBatch.id),
            col(ImportBatch.kind),
            col(ImportBatch.file_name),
            col(ImportBatch.started_at),
            col(ImportBatch.actor),
            row_school,
            col(ImportBatch.committed),
            col(RejectedRow.file),
            col(RejectedRow.sheet),
            col(RejectedRow.row),
            col(RejectedRow.column),
            col(RejectedRow.reason),
            col(RejectedRow.value),
        )
        .join(ImportBatch, col(ImportBatch.id) == col(RejectedRow.batch_id))
        .order_by(col(ImportBatch.started_at), col(ImportBatch.id), col(RejectedRow.row), col(RejectedRow.id))
    )
    if school is not None:
        stmt = stmt.where(row_school == school)
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
        select(DriftReport).order_by(col(DriftReport.at).desc(), col(DriftReport.id).desc()).limit(1)
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
