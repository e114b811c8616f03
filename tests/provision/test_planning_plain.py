"""Planning through the database driver alone (models.reader), as `provision plan` does, against
planning through a SQLAlchemy session (apply, reconcile): the same inputs, plan and PlanRecord,
and the same locks. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models import (
    AccountSnapshot,
    AuditEvent,
    Operation,
    PlanRecord,
    ZoomUserSnapshot,
    init_db,
    make_engine,
    session_scope,
)
from models.errors import LockedError
from models.locks import ROSTERS, operation_lock
from models.reader import as_reader, connect
from provision.core.invitations import EXPIRED_EVENT
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.store.loaders import load_desired, load_observed
from provision.store.planning import encode_plan, make_plan, rosters_shared, save_plan
from tests.provision.test_planning import seed_school, seed_zoom

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)
SNAP = datetime(2026, 9, 20, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
CONTESTED = "saml@x.ua"  # licensed by us twice, set back to Basic by another writer each time
INVITED = "invited@x.ua"  # an invitation that expired, sent again


@pytest.fixture
def engine(database_url: str) -> Engine:
    eng = make_engine(database_url)
    init_db(eng)
    return eng


def _record(session: Session, fingerprint: str) -> PlanRecord:
    return session.execute(select(PlanRecord).where(col(PlanRecord.fingerprint) == fingerprint)).scalar_one()


def _seed_history(engine: Engine) -> None:
    """Everything load_observed reads beside the users: the account's add-ons and pools, our own
    license changes (a contest), an expired invitation sent again, a create today, a refusal."""
    with session_scope(engine) as s:
        s.add(
            AccountSnapshot(
                observed_at=SNAP,
                seats_purchased=10,
                seats_used=1,
                addons={"large_meeting_500": {"hosts": 5, "usage": 1}},
                pools={"plan_base": {"hosts": 10, "usage": 1, "pending": 0}},
                seat_pool="plan_base",
                pending_reading="pending_apart",
            )
        )
        for n, at in enumerate((T0, T1), start=1):
            s.add(PlanRecord(fingerprint=f"fp{n}", created_at=at, snapshot_at=at, actor="ops", data={}))
            op = Operation(
                plan_fingerprint=f"fp{n}", seq=1, kind="license", email=CONTESTED, state="succeeded"
            )
            s.add(op)
            s.flush()
            s.add(
                AuditEvent(
                    at=at + timedelta(hours=1),
                    actor="ops",
                    action="license",
                    institution_code="0421",
                    person_email=CONTESTED,
                    before={"type": 1},
                    after={"type": 2},
                    result="succeeded",
                    operation_id=op.id,
                )
            )
        s.add(AuditEvent(at=T0, actor="sync", action=EXPIRED_EVENT, person_email=INVITED))
        s.add(
            AuditEvent(
                at=T1, actor="ops", action="create", person_email=INVITED, result="succeeded", after={}
            )
        )
        s.add(
            Operation(
                plan_fingerprint="fp2",
                seq=2,
                kind="create",
                email="new@x.ua",
                state="succeeded",
                updated_at=datetime.now(UTC),
            )
        )
        s.add(
            Operation(
                plan_fingerprint="fp2",
                seq=3,
                kind="license",
                email="refused@x.ua",
                state="blocked",
                zoom_code=1001,
                error="User does not exist",
                updated_at=datetime.now(UTC),  # after the roster's last change: it still holds
            )
        )


def _seed(engine: Engine) -> None:
    seed_school(
        engine,
        "0421",
        3,
        [
            ("a@x.ua", "teacher", True, None),
            ("b@x.ua", "teacher", True, None),
            (CONTESTED, "teacher", True, None),
            (INVITED, "teacher", True, None),
            ("refused@x.ua", "teacher", True, None),
            ("gone@x.ua", "teacher", False, T0),
        ],
        group="g1",
    )
    seed_zoom(
        engine,
        [("a@x.ua", 2, "active"), (CONTESTED, 1, "active"), ("gone@x.ua", 2, "active")],
        purchased=10,
        managed=["a@x.ua", CONTESTED, "gone@x.ua"],
    )
    with session_scope(engine) as s:  # seed_zoom's account row: the history's is the newest
        s.execute(delete(AccountSnapshot))
        s.execute(
            update(ZoomUserSnapshot)
            .where(col(ZoomUserSnapshot.email) == "a@x.ua")
            .values(group_ids=["g0", "g1"], large_meeting=True, large_meeting_capacity=500)
        )
    _seed_history(engine)


def test_the_driver_alone_reads_the_inputs_the_session_reads(engine: Engine, database_url: str) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        desired, observed = load_desired(s), load_observed(s, logins=False)
    reader = connect(database_url)
    try:
        assert load_desired(reader) == desired
        assert load_observed(reader, logins=False) == observed
    finally:
        reader.close()
    # the seeds reached every part of it
    assert observed.contested[CONTESTED].ours == 2
    assert observed.invitations[INVITED].resent == (T1,)
    assert observed.created_today == {"": 1}
    assert set(observed.blocked) == {"refused@x.ua"}
    assert observed.account is not None
    assert observed.account.addons == {"large_meeting_500": {"hosts": 5, "usage": 1}}
    assert observed.account.observed_at == SNAP
    assert observed.users["a@x.ua"].group_ids == ("g0", "g1")


def test_a_plan_through_the_driver_is_the_plan_and_the_record_of_a_session(
    engine: Engine, database_url: str
) -> None:
    _seed(engine)
    policy = Policy()
    with session_scope(engine) as s:
        by_session = make_plan(s, policy, now=NOW, actor="tester", force=True)
        record = _record(s, by_session.fingerprint)
        first_id, first_data = record.id, record.data
    reader = connect(database_url)
    try:
        by_driver = make_plan(reader, policy, now=NOW, actor="tester", force=True, record=False)
        assert encode_plan(by_driver.to_data()) == encode_plan(by_session.to_data())
        # planned again: the record of that fingerprint is updated, not doubled
        again = (NOW + timedelta(minutes=5)).isoformat()
        later = Plan.from_data({**by_driver.to_data(), "created_at": again})
        save_plan(reader, later, actor="other")
        reader.connection.commit()
    finally:
        reader.close()
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(PlanRecord)).scalar_one() == 3  # fp1, fp2, this
        record = _record(s, by_session.fingerprint)
        assert record.id == first_id
        assert record.actor == "other"
        assert record.created_at == NOW + timedelta(minutes=5)
        assert record.snapshot_at == SNAP
        assert record.applied_at is None
        assert record.data == {**first_data, "created_at": later.created_at.isoformat()}


def test_a_record_written_through_the_driver_reads_back_through_the_orm(
    engine: Engine, database_url: str
) -> None:
    _seed(engine)
    reader = connect(database_url)
    try:
        plan = make_plan(reader, Policy(), now=NOW, actor="driver", force=True)
        reader.connection.commit()
    finally:
        reader.close()
    with session_scope(engine) as s:
        record = _record(s, plan.fingerprint)
        assert (record.actor, record.created_at, record.snapshot_at) == ("driver", NOW, SNAP)
        assert Plan.from_data(record.data).to_data() == plan.to_data()


def test_a_plan_through_a_reader_shares_the_rosters_lock_of_the_engine(
    engine: Engine, database_url: str
) -> None:
    reader = connect(database_url)
    try:
        with (
            rosters_shared(reader),
            operation_lock(engine, ROSTERS, shared=True),  # another plan
            pytest.raises(LockedError, match="holds the rosters lock"),
            operation_lock(engine, ROSTERS),  # an import
        ):
            pass
        with (
            operation_lock(engine, ROSTERS),  # an import
            pytest.raises(LockedError, match="holds the rosters lock"),
            rosters_shared(reader),
        ):
            pass
        with rosters_shared(reader):  # free again
            pass
    finally:
        reader.close()


def test_a_reader_borrowed_from_a_session_takes_no_lock(engine: Engine) -> None:
    with session_scope(engine) as s:
        borrowed = as_reader(s)
        assert borrowed.url is None
        with pytest.raises(ValueError, match="URL"), rosters_shared(borrowed):
            pass
        with rosters_shared(s):  # the session itself: through its engine
            pass
