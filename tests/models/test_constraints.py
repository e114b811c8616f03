"""The database itself keeps the domain's keys: unique codes and emails, real foreign keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from models import (
    AccountSnapshot,
    ImportBatch,
    Institution,
    ManagedUser,
    Membership,
    Operation,
    Person,
    PlanRecord,
    ZoomUserSnapshot,
    session_scope,
)


def _people_and_school(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        person = Person(email="olena@school.ua", given_name="Олена", family_name="Коваль")
        school = Institution(code="KY-001", name="Ліцей", seats=5)
        s.add_all([person, school])
        s.flush()
        assert person.id is not None
        assert school.id is not None
        return person.id, school.id


# Factories, not instances: a mapped object belongs to the session that stored it.
DUPLICATES: dict[str, tuple[Callable[[], SQLModel], Callable[[], SQLModel]]] = {
    "institution code": (
        lambda: Institution(code="KY-001", name="a", seats=1),
        lambda: Institution(code="KY-001", name="b", seats=2),
    ),
    "person email": (lambda: Person(email="a@x.ua"), lambda: Person(email="a@x.ua", given_name="B")),
    "snapshot email": (
        lambda: ZoomUserSnapshot(email="a@x.ua", type=1),
        lambda: ZoomUserSnapshot(email="a@x.ua", type=2),
    ),
    "managed email": (lambda: ManagedUser(email="a@x.ua"), lambda: ManagedUser(email="a@x.ua")),
    "plan": (
        lambda: PlanRecord(fingerprint="f1", actor="me"),
        lambda: PlanRecord(fingerprint="f1", actor="you"),
    ),
    "operation seq": (
        lambda: Operation(plan_fingerprint="f1", seq=1, kind="license", email="a@x.ua"),
        lambda: Operation(plan_fingerprint="f1", seq=1, kind="unlicense", email="b@x.ua"),
    ),
}


@pytest.mark.parametrize("key", list(DUPLICATES))
def test_unique_keys_refuse_a_second_row(engine: Engine, key: str) -> None:
    first, second = DUPLICATES[key]
    with session_scope(engine) as s:
        s.add(first())
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(second())


def test_a_person_belongs_to_a_school_once(engine: Engine) -> None:
    person_id, school_id = _people_and_school(engine)
    with session_scope(engine) as s:
        s.add(Membership(person_id=person_id, institution_id=school_id, role="teacher"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Membership(person_id=person_id, institution_id=school_id, role="admin"))
    # The same operation number in another plan is another operation.
    with session_scope(engine) as s:
        s.add(Operation(plan_fingerprint="f1", seq=1, kind="license", email="a@x.ua"))
        s.add(Operation(plan_fingerprint="f2", seq=1, kind="license", email="a@x.ua"))


def test_a_membership_must_point_at_a_real_person_and_school(engine: Engine) -> None:
    person_id, school_id = _people_and_school(engine)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Membership(person_id=person_id + 1000, institution_id=school_id, role="teacher"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Membership(person_id=person_id, institution_id=school_id + 1000, role="teacher"))
    with session_scope(engine) as s:
        s.add(Membership(person_id=person_id, institution_id=school_id, role="teacher"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.delete(s.get(Person, person_id))  # a person with memberships cannot vanish


def test_json_columns_round_trip(engine: Engine) -> None:
    summary: dict[str, Any] = {"schools": {"KY-001": {"added": 3, "left": ["олена@x.ua"]}}, "note": "مرحبا"}
    addons = {"large_meeting_500": {"hosts": 10, "usage": 4}, "large_meeting_1000": {"hosts": 0, "usage": 0}}
    with session_scope(engine) as s:
        s.add(ImportBatch(kind="roster", file_name="r.xlsx", sha256="ab", actor="me", summary=summary))
        s.add(ZoomUserSnapshot(email="a@x.ua", type=2, group_ids=["g1", "g2"]))
        s.add(AccountSnapshot(seats_purchased=100, seats_used=40, addons=addons))
    with session_scope(engine) as s:
        assert s.exec(select(ImportBatch.summary)).one()[0] == summary
        assert s.exec(select(ZoomUserSnapshot.group_ids)).one()[0] == ["g1", "g2"]
        assert s.exec(select(AccountSnapshot.addons)).one()[0] == addons


def test_datetimes_come_back_aware_and_in_utc(engine: Engine) -> None:
    kyiv = timezone(timedelta(hours=2))
    login = datetime(2026, 3, 1, 9, 30, tzinfo=kyiv)
    with session_scope(engine) as s:
        s.add(ZoomUserSnapshot(email="a@x.ua", type=1, last_login_time=login))
        # A naive value is taken as UTC (never as the server's local time).
        s.add(ZoomUserSnapshot(email="b@x.ua", type=1, last_login_time=datetime(2026, 3, 1, 7, 30)))
    with session_scope(engine) as s:
        rows = s.exec(select(ZoomUserSnapshot.email, ZoomUserSnapshot.last_login_time)).all()
    times = dict(rows)
    assert times["a@x.ua"] == login
    assert times["a@x.ua"].tzinfo is UTC
    assert times["a@x.ua"].hour == 7
    assert times["b@x.ua"] == times["a@x.ua"]
    with session_scope(engine) as s:  # and compare correctly inside the database
        later = s.exec(
            select(ZoomUserSnapshot.email).where(
                ZoomUserSnapshot.last_login_time > datetime(2026, 3, 1, 7, tzinfo=UTC)
            )
        ).all()
    assert len(later) == 2
