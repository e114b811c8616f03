"""The journal's refusals that still hold: who is blocked, and since when (provision.core.blocked).

Apart from the loaders so that the phone-call queries (provision.reports.queries) can read them
without loading the Zoom client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from models.reader import Reader, as_reader, in_list
from provision.core.blocked import Blocked, is_seat_wait

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def load_blocked(source: Reader | Session, *, since: datetime | None = None) -> dict[str, Blocked]:
    """Each person's last permanent refusal that still holds (provision.core.blocked); `since`:
    only refusals recorded after that time (the queries: since the latest plan).

    A refusal holds until a later change to that person succeeds or their roster data changes
    (a corrected name is a new request). Seats that ran out are not kept: the next plan counts
    seats again. Plain SQL (models.reader): a question on the phone reads it without SQLAlchemy.
    """
    db = as_reader(source)
    found: dict[str, Blocked] = {}
    sql = "SELECT email, kind, updated_at, zoom_code, error FROM operation WHERE state = 'blocked'"
    params = {}
    if since is not None:
        sql += " AND updated_at > :since"
        params["since"] = db.stamp(since)
    for email, kind, at, code, error in db.rows(sql + " ORDER BY updated_at", params):
        if not is_seat_wait(error):
            when = db.when(at)
            assert when is not None  # updated_at is never empty
            found[email] = Blocked(kind=kind, at=when, zoom_code=code, error=error or "")
    if not found:
        return found
    emails = list(found)
    later: list[tuple[str, datetime | None]] = []
    for start in range(0, len(emails), 500):
        wanted, chosen = in_list("e", emails[start : start + 500])
        later += [
            (email, db.when(at))
            for email, at in db.rows(
                "SELECT email, MAX(updated_at) FROM operation "
                f"WHERE state = 'succeeded' AND email IN {wanted} GROUP BY email",
                chosen,
            )
        ]
        later += [
            (email, db.when(at))
            for email, at in db.rows(f"SELECT email, updated_at FROM person WHERE email IN {wanted}", chosen)
        ]
    for email, at in later:
        block = found.get(email)
        if block is not None and at is not None and at > block.at:
            del found[email]
    return found
