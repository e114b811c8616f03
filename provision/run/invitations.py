"""Sync's side of expired invitations: which of our invitations Zoom dropped since the last look.

A managed user the last snapshot showed pending and Zoom no longer lists has either let the
invitation expire (a read answers 400/1120) or been removed by hand (1001). Only the first is an
expiry (provision.core.invitations); each one found is recorded as an audit event, in the same
transaction as the snapshot that no longer has the user. Cost: one Light read per vanished
invitation, none at all on a sync where nobody vanished.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import ManagedUser, ZoomUserSnapshot
from provision.core.invitations import EXPIRED_EVENT
from provision.store.audit import event_row
from zoom_client import AsyncZoomClient, ZoomAPIError, ZoomError


@dataclass(frozen=True)
class Expired:
    email: str
    type: int
    invited_at: datetime | None


async def find_expired(
    engine: Engine, client: AsyncZoomClient, listed: Container[str], account: str = ""
) -> list[Expired]:
    """Our invitations in `account` ("" = the main one) pending at the last look, gone from
    Zoom's lists of it, that Zoom says expired."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(ZoomUserSnapshot.email), col(ZoomUserSnapshot.type), col(ZoomUserSnapshot.user_created_at)
            )
            .join(ManagedUser, col(ManagedUser.email) == col(ZoomUserSnapshot.email))
            .where(col(ZoomUserSnapshot.status) == "pending", col(ZoomUserSnapshot.account) == account)
        ).all()
    found: list[Expired] = []
    for email, user_type, invited_at in rows:
        if email in listed:
            continue
        try:
            await client.users.get(email)
        except ZoomAPIError as exc:
            if exc.is_invitation_expired():
                found.append(Expired(email, int(user_type), invited_at))
        except ZoomError:
            continue  # unknown: the plan then invites again at once, as for a user removed by hand
    return found


def expired_events(found: list[Expired], *, actor: str, at: datetime) -> list[dict[str, Any]]:
    """The audit rows recording each expiry (result "observed": a fact seen, not a change of ours)."""
    return [
        event_row(
            actor=actor,
            action=EXPIRED_EVENT,
            result="observed",
            person_email=item.email,
            before={"type": item.type, "status": "pending"},
            after={},
            zoom_code=1120,
            detail=(
                "the invitation"
                + (f" sent on {item.invited_at:%Y-%m-%d}" if item.invited_at else "")
                + " expired unanswered (Zoom 1120): it left the pending list"
            ),
            at=at,
        )
        for item in found
    ]
