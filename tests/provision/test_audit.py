"""record_event: one row with who, what, where, before/after and Zoom's references, committed with
the caller's transaction (and never at all when that transaction fails)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models import AuditEvent
from provision.store.audit import record_event
from tests.provision.apply_kit import database


def test_event_carries_actor_school_person_states_and_zoom_references(database_url: str) -> None:
    engine = database(database_url)
    with Session(engine) as session:
        event = record_event(
            session,
            actor="ops@ministry",
            action="license",
            result="succeeded",
            institution_code="0421",
            person_email="t@school.example",
            before={"type": 1},
            after={"type": 2},
            zoom_code=None,
            tracking_id="trk-1",
            detail="on the roster of 0421 as teacher",
        )
        assert event.id is not None
        session.commit()
    with Session(engine) as session:
        stored = session.execute(select(AuditEvent)).scalar_one()
    assert (stored.actor, stored.action, stored.result) == ("ops@ministry", "license", "succeeded")
    assert (stored.institution_code, stored.person_email) == ("0421", "t@school.example")
    assert (stored.before, stored.after) == ({"type": 1}, {"type": 2})
    assert stored.tracking_id == "trk-1"
    assert stored.at is not None


def test_event_is_lost_with_a_failed_transaction_not_written_alone(sqlite_url: str) -> None:
    engine = database(sqlite_url)

    def failing_transaction() -> None:
        with Session(engine) as session, session.begin():
            record_event(
                session, actor="a", action="unlicense", result="succeeded", person_email="x@s.example"
            )
            raise RuntimeError("the journal update failed")

    with pytest.raises(RuntimeError):
        failing_transaction()
    with Session(engine) as session:
        assert session.execute(select(AuditEvent)).first() is None
