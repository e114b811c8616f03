"""The audit log is append-only: the ORM refuses changes, and so does the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import IntegrityError

from models import AuditEvent, AuditImmutableError, session_scope


def _one_event(engine: Engine) -> int:
    with session_scope(engine) as s:
        ev = AuditEvent(
            actor="olena", action="license", person_email="a@x.ua", before={"type": 1}, after={"type": 2}
        )
        s.add(ev)
    assert ev.id is not None
    return ev.id


def _unchanged(engine: Engine, event_id: int) -> None:
    with session_scope(engine) as s:
        ev = s.get(AuditEvent, event_id)
        assert ev is not None
        assert ev.actor == "olena"
        assert ev.after == {"type": 2}


def test_events_are_inserted_and_read_back(engine: Engine) -> None:
    first, second = _one_event(engine), _one_event(engine)
    with session_scope(engine) as s:
        assert s.exec(select(AuditEvent.id).order_by(AuditEvent.id)).all() == [(first,), (second,)]


def test_the_orm_refuses_to_change_or_delete_an_event(engine: Engine) -> None:
    event_id = _one_event(engine)

    def rewrite_actor() -> None:
        with session_scope(engine) as s:
            ev = s.get(AuditEvent, event_id)
            assert ev is not None
            ev.actor = "mallory"

    with pytest.raises(AuditImmutableError, match="append-only"):
        rewrite_actor()
    with pytest.raises(AuditImmutableError), session_scope(engine) as s:
        s.delete(s.get(AuditEvent, event_id))
    with pytest.raises(AuditImmutableError), session_scope(engine) as s:
        s.execute(update(AuditEvent).values(actor="mallory"))
    with pytest.raises(AuditImmutableError), session_scope(engine) as s:
        s.execute(delete(AuditEvent))
    _unchanged(engine, event_id)


def test_the_database_refuses_sql_that_bypasses_the_orm(engine: Engine) -> None:
    event_id = _one_event(engine)
    for sql in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    if engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))
    _unchanged(engine, event_id)
