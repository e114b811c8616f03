"""Schools from a OneRoster/SDS package: its orgs become institutions, with no sheet of ours.

An org of an institution type is an institution (code = its identifier, else its sourcedId; the
sourcedId is kept so rosters find it); the district above it is its region; departments and
other sub-orgs are kept as org units of the school above them. Seats come from a mapping sheet
(--seats) or are left as they are (0 for a new school, with a warning naming it); so does the
school's Zoom account, where that sheet has an `account` column (else each keeps its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from importers import report as R
from importers.batch import close_batch, open_batch
from importers.errors import DataError
from importers.orgs import Org, institution_of, read_orgs, region_of
from importers.package import open_package
from importers.report import ImportReport, Rejected, SchoolChange, count
from importers.seats_sheet import SeatRow, read_seats
from models import Institution, OrgUnit
from models.bulk import bulk_upsert, id_map
from models.types import utcnow

MAX_NAMED = 20  # schools named in a warning before "and N more"


@dataclass
class _School:
    org: Org
    code: str
    name: str
    region: str | None
    seats: int | None  # None: not in the seats sheet
    account: str | None = None  # None: the seats sheet does not say (the school keeps its own)


def _org_reject(org: Org, column: str, reason: str, value: str, detail: str = "") -> Rejected:
    return Rejected("orgs.csv", None, org.row, column, reason, value, detail)


def _schools(orgs: dict[str, Org], report: ImportReport) -> dict[str, _School]:
    """sourcedId -> school, for the package's institutions (duplicate codes rejected)."""
    out: dict[str, _School] = {}
    first: dict[str, Org] = {}
    for org in sorted(orgs.values(), key=lambda o: o.row):
        if not org.is_institution or org.deleted:
            continue
        code = org.identifier or org.sourced_id
        column = "identifier" if org.identifier else "sourcedId"
        if not org.name:
            report.rejected.append(_org_reject(org, "name", R.MISSING_NAME, ""))
            continue
        if code in first:
            detail = f"first at row {first[code].row}"
            report.rejected.append(_org_reject(org, column, R.DUPLICATE, code, detail))
            continue
        first[code] = org
        out[org.sourced_id] = _School(org, code, org.name, region_of(org, orgs), None)
    return out


def _apply_seats(
    schools: dict[str, _School], sheet: tuple[list[SeatRow], list[Rejected]], report: ImportReport
) -> None:
    """Seats by code, sourcedId or identifier; a key naming no school of the package is rejected."""
    rows, rejected = sheet
    report.rejected.extend(rejected)
    by_key: dict[str, _School] = {}
    for s in schools.values():
        for k in (s.code, s.org.sourced_id, s.org.identifier):
            if k:
                by_key.setdefault(k, s)
                by_key.setdefault(k.upper(), s)
    for row in rows:
        school = by_key.get(row.key) or by_key.get(row.key.upper())
        if school is None:
            report.rejected.append(
                Rejected(
                    row.file,
                    row.sheet,
                    row.row,
                    row.column,
                    R.UNKNOWN_SCHOOL,
                    row.key,
                    "no such org in the package",
                )
            )
            continue
        school.seats = row.seats
        school.account = row.account


@dataclass
class _Existing:
    code: str
    name: str
    region: str | None
    kind: str | None
    seats: int
    sourced_id: str | None
    account: str


def _existing(
    session: Session, schools: dict[str, _School]
) -> tuple[dict[str, _Existing], dict[str, _Existing]]:
    """Institutions already known, by sourcedId and by code."""
    t = Institution.__table__  # type: ignore[attr-defined]
    sids = list(schools)
    codes = [s.code for s in schools.values()]
    by_sid: dict[str, _Existing] = {}
    by_code: dict[str, _Existing] = {}
    for start in range(0, max(len(sids), 1), 500):
        part_sids, part_codes = sids[start : start + 500], codes[start : start + 500]
        stmt = select(t.c.code, t.c.name, t.c.region, t.c.kind, t.c.seats, t.c.sourced_id, t.c.account).where(
            or_(t.c.sourced_id.in_(part_sids), t.c.code.in_(part_codes))
        )
        for row in session.connection().execute(stmt):
            ex = _Existing(*row[:6], account=row[6] or "")  # "" and None both say the main account
            by_code[ex.code] = ex
            if ex.sourced_id:
                by_sid[ex.sourced_id] = ex
    return by_sid, by_code


def import_package_schools(
    session: Session,
    path: Path,
    report: ImportReport,
    *,
    actor: str,
    seats: Path | None,
    dry_run: bool,
    skip_invalid: bool,
    check_account: Callable[[str], str | None] | None = None,
) -> ImportReport:
    pkg = open_package(path, report.file)
    if pkg.mode("orgs") == "absent":
        raise DataError(f"{report.file}: the manifest says orgs are absent (no change): no schools to import")
    orgs = read_orgs(pkg)
    schools = _schools(orgs, report)
    if not schools and not report.rejected:
        raise DataError(
            f"{report.file}: orgs.csv lists no org of type school"
            + ("" if orgs else " (the package has no orgs.csv)")
        )
    if seats is not None:
        _apply_seats(schools, read_seats(seats, check_account), report)

    by_sid, by_code = _existing(session, schools)
    rows: dict[str, dict[str, object]] = {}
    for sid, s in schools.items():
        ex = by_sid.get(sid)
        if ex is not None and ex.code != s.code:
            report.notes.append(
                f"org {sid}: identifier now {s.code!r}, the school keeps its code {ex.code!r}"
            )
            s.code = ex.code
        if ex is None:
            ex = by_code.get(s.code)
            if ex is not None and ex.sourced_id and ex.sourced_id != sid:
                column = "identifier" if s.org.identifier else "sourcedId"
                detail = f"the code belongs to org {ex.sourced_id}"
                report.rejected.append(_org_reject(s.org, column, R.DUPLICATE, s.code, detail))
                continue
        new: dict[str, object] = {
            "code": s.code,
            "name": s.name,
            "region": s.region,
            "kind": s.org.type or None,
            "seats": s.seats if s.seats is not None else (ex.seats if ex is not None else 0),
            "sourced_id": sid,
            "account": s.account if s.account is not None else (ex.account if ex is not None else ""),
        }
        rows[s.code] = new
        change = report.schools.setdefault(s.code, SchoolChange())
        if ex is None:
            change.added = 1
        elif (ex.name, ex.region, ex.kind, ex.seats, ex.sourced_id, ex.account) != tuple(
            new[k] for k in ("name", "region", "kind", "seats", "sourced_id", "account")
        ):
            change.updated = 1
        else:
            change.unchanged = 1
    units = _units(orgs, schools)
    report.rows_accepted = len(rows)
    _summarize(report, orgs, rows, units, seats is not None)
    if dry_run or (report.rejected and not skip_invalid):
        return report

    batch = open_batch(session, report, actor=actor, sheet=None, school=None)
    now = utcnow()
    bulk_upsert(
        session,
        Institution,
        [{**r, "updated_at": now} for r in rows.values()],
        ["code"],
        update=["name", "region", "kind", "seats", "sourced_id", "account", "updated_at"],
    )
    ids = id_map(session, Institution, "code", list(rows))
    code_of = {sid: s.code for sid, s in schools.items()}
    bulk_upsert(
        session,
        OrgUnit,
        [
            {
                "sourced_id": o.sourced_id,
                "institution_id": ids[code_of[parent]],
                "kind": o.type or None,
                "name": o.name,
                "updated_at": now,
            }
            for o, parent in units
            if code_of.get(parent) in ids
        ],
        ["sourced_id"],
        update=["institution_id", "kind", "name", "updated_at"],
    )
    close_batch(session, batch, report, actor=actor, action="import.schools")
    return report


def _units(orgs: dict[str, Org], schools: dict[str, _School]) -> list[tuple[Org, str]]:
    """(sub-org, the sourcedId of the school it counts for), for the orgs below a school."""
    out = []
    for org in orgs.values():
        if org.is_institution or org.is_above_school or org.deleted:
            continue
        inst = institution_of(org, orgs)
        if inst is not None and inst.sourced_id in schools:
            out.append((org, inst.sourced_id))
    return out


def _summarize(
    report: ImportReport,
    orgs: dict[str, Org],
    rows: dict[str, dict[str, object]],
    units: list[tuple[Org, str]],
    seats_given: bool,
) -> None:
    placed = {o.sourced_id for o, _ in units}
    stray = [
        o
        for o in orgs.values()
        if not (o.is_institution or o.is_above_school or o.deleted) and o.sourced_id not in placed
    ]
    regions = {r["region"] for r in rows.values() if r["region"]}
    report.counts = {
        "institutions": len(rows),
        "sub_orgs": len(units),
        "regions": len(regions),
        "orgs_above_school": sum(1 for o in orgs.values() if o.is_above_school),
        "orgs_under_no_school": len(stray),
        "orgs_tobedeleted_skipped": sum(1 for o in orgs.values() if o.deleted),
    }
    if units:
        what = count(len(units), "department or other sub-org counts", "departments or other sub-orgs count")
        report.notes.append(f"{what} as the school above them")
    if stray:
        names = ", ".join(f"{o.sourced_id} ({o.type})" for o in stray[:MAX_NAMED])
        report.notes.append(f"{count(len(stray), 'org', 'orgs')} under no school left out: {names}")
    if report.counts["orgs_tobedeleted_skipped"]:
        report.notes.append(
            f"{count(report.counts['orgs_tobedeleted_skipped'], 'org', 'orgs')} marked tobedeleted left out "
            "(schools already imported are kept)"
        )
    no_seats = [(code, r["name"]) for code, r in sorted(rows.items()) if r["seats"] == 0]
    report.counts["schools_without_seats"] = len(no_seats)
    if no_seats:
        named = ", ".join(f"{code} ({name})" for code, name in no_seats[:MAX_NAMED])
        more = f" and {len(no_seats) - MAX_NAMED} more" if len(no_seats) > MAX_NAMED else ""
        how = "" if seats_given else "; give seats with --seats FILE (columns: code or sourcedId, seats)"
        who = count(len(no_seats), "school has", "schools have")
        report.warnings.append(f"{who} 0 seats: {named}{more}{how}")
