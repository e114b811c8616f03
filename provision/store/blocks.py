"""The journal's refusals that still hold: who is blocked, and since when (provision.core.blocked).

Apart from the loaders so that the phone-call queries (provision.reports.queries) can read them
without loading the Zoom client.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from models import Operation, Person
from provision.core.blocked import Blocked, is_seat_wait


def aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def load_blocked(session: Session, *, since: datetime | None = None) -> dict[str, Blocked]:
    """Each person's last permanent refusal that still holds (provision.core.blocked); `since`:
    only refusals recorded after that time (the queries: since the latest plan).

    A refusal holds until a later change to that person succeeds or their roster data changes
    (a corrected name is a new request). Seats that ran out are not kept: the next plan counts
    seats again.
    """
    conn = session.connection()
    found: dict[str, Blocked] = {}
    op = Operation
    query = select(col(op.email), col(op.kind), col(op.updated_at), col(op.zoom_code), col(op.error)).where(
        col(op.state) == "blocked"
    )
    if since is not None:
        query = query.where(col(op.updated_at) > since)
    rows = conn.execute(query.order_by(col(op.updated_at)))
    for email, kind, at, code, error in rows:
        if not is_seat_wait(error):
            found[email] = Blocked(kind=kind, at=aware(at) or at, zoom_code=code, error=error or "")
    if not found:
        return found
    emails = list(found)
    later = conn.execute(
        select(col(op.email), func.max(col(op.updated_at)))
        .where(col(op.state) == "succeeded", col(op.email).in_(emails))
        .group_by(col(op.email))
    )
    edited = conn.execute(
        select(col(Person.email), col(Person.updated_at)).where(col(Person.email).in_(emails))
    )
    for email, at in [*later.all(), *edited.all()]:
        block = found.get(email)
        if block is not None and at is not None and (aware(at) or at) > block.at:
            del found[email]
    return found
