"""Our own license history, read from the audit log: who we last left Licensed, and who is contested.

One pass over the succeeded type-setting audit events (email and `after` only, as cheap as the
plan's load of `licensed_by_us` always was) gives each user's last value and how many changes in
a row set it. Only users whose run is long enough and whom Zoom now shows with another value are
read again in full (times, `before`, the plan's snapshot) for provision.core.contested.
Plain SQL (models.reader), so that `provision plan` reads it without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.reader import Reader, as_reader, in_list
from provision.core.actions import TYPE_SETTING
from provision.core.contested import CONTESTED_AFTER, Contest, LicenseChange, find_contest
from provision.core.state import LICENSED_TYPE, ZoomUser

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SUCCEEDED = "succeeded"
FIELD = "type"  # the license field our kinds set
_IN_CHUNK = 500  # values per IN (...): far below SQLite's limit on parameters


# A user's last value set by us, and how many of our changes in a row set it.
Run = tuple[int, int]


def _events(db: Reader, emails: list[str] | None) -> Iterator[tuple[Any, ...]]:
    """The succeeded type-setting events in the order they happened: (email, after) each, or, for
    `emails` only, (email, after, at, actor, action, institution_code, before, operation_id)."""
    kinds, params = in_list("k", TYPE_SETTING)
    columns = "person_email, after"
    where = f"result = :succeeded AND action IN {kinds}"
    params["succeeded"] = SUCCEEDED
    if emails is None:
        yield from db.rows(f"SELECT {columns} FROM audit_event WHERE {where} ORDER BY at, id", params)
        return
    columns += ", at, actor, action, institution_code, before, operation_id"
    # An email's events all fall in one chunk: each one's stay in the order they happened.
    for start in range(0, len(emails), _IN_CHUNK):
        wanted, chosen = in_list("e", emails[start : start + _IN_CHUNK])
        yield from db.rows(
            f"SELECT {columns} FROM audit_event WHERE {where} AND person_email IN {wanted} ORDER BY at, id",
            {**params, **chosen},
        )


def _value(after: Any) -> int | None:
    if not isinstance(after, Mapping) or after.get(FIELD) is None:
        return None
    return int(after[FIELD])


def license_runs(source: Reader | Session) -> dict[str, Run]:
    """Per email, the value our last succeeded type change set and how many in a row set it."""
    db = as_reader(source)
    json = db.json
    runs: dict[str, Run] = {}
    # Plain tuples and no call per row but the JSON's: this loop sees a row per license change of
    # every year.
    for email, raw_after in _events(db, None):
        after = json(raw_after)
        if not email or not isinstance(after, Mapping):
            continue
        raw = after.get(FIELD)
        if raw is None:
            continue
        value = int(raw)
        run = runs.get(email)
        # Our own change to another value ends any earlier chain.
        runs[email] = (value, run[1] + 1) if run is not None and run[0] == value else (value, 1)
    return runs


def licensed_by_us(runs: Mapping[str, Run]) -> frozenset[str]:
    """Who our last succeeded license-changing action left Licensed."""
    return frozenset(email for email, run in runs.items() if run[0] == LICENSED_TYPE)


def load_contests(
    source: Reader | Session,
    runs: Mapping[str, Run],
    users: Mapping[str, ZoomUser],
    seen_at: datetime | None,
) -> dict[str, Contest]:
    """The users another writer set back after our last changes (provision.core.contested).

    `users` and `seen_at` are the snapshot and when it was taken. When each earlier set-back was
    seen is the snapshot time of the plan that made our next change (its PlanRecord).
    """
    emails = sorted(
        email
        for email, run in runs.items()
        if run[1] >= CONTESTED_AFTER
        and (user := users.get(email)) is not None
        # A deactivated user's type means nothing; an invitation's is Zoom's, not another writer's.
        and user.status == "active"
        and user.type != run[0]
    )
    if not emails:
        return {}
    db = as_reader(source)
    chains: dict[str, list[LicenseChange]] = {}
    for email, after, at, actor, action, code, raw_before, ref in _events(db, emails):
        value = _value(db.json(after))
        if value is None:
            continue
        before = db.json(raw_before)
        seen = before.get(FIELD) if isinstance(before, Mapping) else None
        when = db.when(at)
        assert when is not None  # an event's time is never empty
        change = LicenseChange(when, value, seen, action, actor or "?", code, ref)
        chain = chains.setdefault(email, [])
        if chain and chain[-1].value != value:
            chain.clear()
        chain.append(change)
    refs = [c.ref for chain in chains.values() for c in chain if c.ref is not None]
    seen_times: dict[int | None, datetime | None] = {}
    for start in range(0, len(refs), _IN_CHUNK):
        wanted, chosen = in_list("r", refs[start : start + _IN_CHUNK])
        for ref, at in db.rows(
            "SELECT operation.id, plan_record.snapshot_at FROM operation "
            "JOIN plan_record ON plan_record.fingerprint = operation.plan_fingerprint "
            f"WHERE operation.id IN {wanted}",
            chosen,
        ):
            seen_times[ref] = db.when(at)
    found: dict[str, Contest] = {}
    for email, chain in chains.items():
        timed = [c._replace(seen_at=seen_times.get(c.ref)) for c in chain]
        contest = find_contest(email, FIELD, timed, users[email].type, seen_at)
        if contest is not None:
            found[email] = contest
    return found
