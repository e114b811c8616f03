"""Planning against a real database (SQLite and PostgreSQL): load, compute, refuse, record, stale."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from models import (
    AccountSnapshot,
    Institution,
    ManagedUser,
    Membership,
    Person,
    PlanRecord,
    ZoomUserSnapshot,
    init_db,
    make_engine,
    session_scope,
)
from provision.core.plan import ActionKind, Plan
from provision.core.policy import Policy
from provision.errors import InputError, UnsafePlanError
from provision.store.loaders import load_desired, load_observed
from provision.store.planning import check_fresh, make_plan

NOW = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
SNAP = datetime(2026, 9, 20, 11, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Engine:
    eng = make_engine(database_url)
    init_db(eng)
    return eng


def seed_school(
    engine: Engine,
    code: str,
    seats: int,
    people: Iterable[tuple[str, str, bool, datetime | None]],
    group: str | None = None,
) -> None:
    """people: (email, role, active, left_at)"""
    with session_scope(engine) as s:
        inst = Institution(code=code, name=f"School {code}", seats=seats, zoom_group_id=group)
        s.add(inst)
        s.flush()
        for email, role, active, left_at in people:
            person = s.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
            if person is None:
                person = Person(email=email, given_name="Given", family_name="Family")
                s.add(person)
                s.flush()
            s.add(
                Membership(
                    person_id=person.id,  # type: ignore[arg-type]
                    institution_id=inst.id,  # type: ignore[arg-type]
                    role=role,
                    is_primary=True,
                    active=active,
                    left_at=left_at,
                )
            )


def seed_zoom(
    engine: Engine, users: Iterable[tuple[str, int, str]], *, purchased: int, managed: Iterable[str] = ()
) -> None:
    """users: (email, type, status)"""
    users = list(users)
    with session_scope(engine) as s:
        for email, type_, status in users:
            s.add(
                ZoomUserSnapshot(
                    email=email,
                    zoom_id=None if status == "pending" else f"id-{email}",
                    type=type_,
                    status=status,
                    observed_at=SNAP,
                )
            )
        used = sum(1 for _, t, st in users if t == 2 and st == "active")
        s.add(AccountSnapshot(observed_at=SNAP, seats_purchased=purchased, seats_used=used, seats_pending=0))
        for email in managed:
            s.add(ManagedUser(email=email, zoom_id=f"id-{email}"))


def test_loads_rosters_and_snapshot(engine: Engine) -> None:
    left = datetime(2026, 9, 1, tzinfo=UTC)
    seed_school(
        engine, "0421", 2, [("a@x.ua", "teacher", True, None), ("b@x.ua", "admin", False, left)], group="g1"
    )
    seed_school(engine, "0500", 5, [("a@x.ua", "staff", True, None)])
    seed_zoom(engine, [("a@x.ua", 2, "active"), ("p@x.ua", 1, "pending")], purchased=10, managed=["a@x.ua"])
    with session_scope(engine) as s:
        d = load_desired(s)
        o = load_observed(s)
        scoped = load_desired(s, school="0500")
        with pytest.raises(InputError, match=r"unknown school '0422'.*0421"):
            load_desired(s, school="0422")
    assert d.schools["0421"].seats == 2
    assert d.schools["0421"].zoom_group_id == "g1"
    assert {m.institution_code for m in d.people["a@x.ua"].memberships} == {"0421", "0500"}
    gone = d.people["b@x.ua"].memberships[0]
    assert not gone.active
    assert gone.left_at == left
    assert set(scoped.people) == {"a@x.ua"}
    assert o.users["a@x.ua"].holds_seat
    assert o.users["p@x.ua"].zoom_id is None
    assert o.account is not None
    assert o.account.purchased == 10
    assert o.managed == frozenset({"a@x.ua"})
    assert o.snapshot_at == SNAP


def test_make_plan_records_it_and_a_changed_snapshot_makes_it_stale(engine: Engine) -> None:
    seed_school(
        engine,
        "0421",
        2,
        [
            ("a@x.ua", "teacher", True, None),
            ("b@x.ua", "teacher", True, None),
            ("c@x.ua", "teacher", True, None),
        ],
    )
    seed_zoom(engine, [("a@x.ua", 1, "active")], purchased=10)
    policy = Policy(addons={}, create_waiting="basic")  # c waits with a Basic account
    with session_scope(engine) as s:
        plan = make_plan(s, policy, now=NOW, actor="tester")
    assert [(a.kind, a.email) for a in plan.actions] == [
        (ActionKind.CREATE, "b@x.ua"),
        (ActionKind.CREATE, "c@x.ua"),
        (ActionKind.LICENSE, "a@x.ua"),
        (ActionKind.ADOPT, "a@x.ua"),
    ]
    assert [a.payload.type for a in plan.actions if a.kind is ActionKind.CREATE] == [2, 1]
    assert plan.waiting[0].reason == "waiting: 1st in line at 0421 (quota 2 of 2 in use)"
    with session_scope(engine) as s:
        record = s.execute(select(PlanRecord)).scalar_one()
        assert record.fingerprint == plan.fingerprint
        assert record.actor == "tester"
        assert Plan.from_data(record.data).to_data() == plan.to_data()
        check_fresh(s, Plan.from_data(record.data), policy, now=NOW)  # nothing changed: fresh
        # planning the same inputs again updates the record rather than failing on the fingerprint
        make_plan(s, policy, now=NOW, actor="tester")
        assert s.execute(select(func.count()).select_from(PlanRecord)).scalar_one() == 1

    with session_scope(engine) as s:
        s.execute(update(ZoomUserSnapshot).values(type=2))
    with (
        session_scope(engine) as s,
        pytest.raises(InputError, match=r"plan is stale.*run provision plan again"),
    ):
        check_fresh(s, plan, policy, now=NOW)


def test_an_edited_policy_makes_the_plan_stale(engine: Engine) -> None:
    seed_school(engine, "0421", 5, [("a@x.ua", "teacher", True, None)])
    seed_zoom(engine, [("a@x.ua", 1, "active")], purchased=10)
    with session_scope(engine) as s:
        plan = make_plan(s, Policy(), now=NOW)
        with pytest.raises(InputError, match="stale"):
            check_fresh(s, plan, Policy(grace_days=1), now=NOW)


def test_mass_revocation_is_refused_unless_forced(engine: Engine) -> None:
    left = NOW - timedelta(days=60)
    stayers = [(f"s{i:02}@x.ua", "teacher", True, None) for i in range(10)]
    leavers = [(f"l{i:02}@x.ua", "teacher", False, left) for i in range(8)]
    seed_school(engine, "0421", 40, stayers + leavers)
    everyone = [e for e, *_ in stayers + leavers]
    seed_zoom(engine, [(e, 2, "active") for e in everyone], purchased=40, managed=everyone)
    policy = Policy(
        max_school_revoke_count=5, max_school_revoke_share=0.3, revoke_share_min_count=2, addons={}
    )
    with session_scope(engine) as s:
        with pytest.raises(UnsafePlanError) as info:
            make_plan(s, policy, now=NOW)
        message = str(info.value)
        assert "school 0421: revokes 8 licenses, above max_school_revoke_count 5" in message
        assert "revokes 8 of 18 licenses (44%)" in message
        assert message.endswith("rerun with --force to accept")
        assert s.execute(select(func.count()).select_from(PlanRecord)).scalar_one() == 0
        plan = make_plan(s, policy, now=NOW, force=True)
    assert plan.counts()["unlicense"] == 8


def test_empty_rosters_never_revoke_everyone_even_forced(engine: Engine) -> None:
    left = NOW - timedelta(days=60)
    seed_school(engine, "0421", 5, [("a@x.ua", "teacher", False, left)])
    seed_zoom(engine, [("a@x.ua", 2, "active")], purchased=5, managed=["a@x.ua"])
    with session_scope(engine) as s, pytest.raises(UnsafePlanError, match="no roster has any active member"):
        make_plan(s, Policy(), now=NOW, force=True)


def test_no_snapshot_is_a_clear_input_error(engine: Engine) -> None:
    seed_school(engine, "0421", 5, [("a@x.ua", "teacher", True, None)])
    with (
        session_scope(engine) as s,
        pytest.raises(InputError, match="no Zoom snapshot: run `provision sync` first"),
    ):
        make_plan(s, Policy(), now=NOW)


def test_observed_carries_last_logins_for_reconcile(engine: Engine) -> None:
    login = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    seed_zoom(engine, [("a@x.ua", 2, "active")], purchased=5)
    with session_scope(engine) as s:
        s.execute(update(ZoomUserSnapshot).values(last_login_time=login))
    with session_scope(engine) as s:
        assert load_observed(s).users["a@x.ua"].last_login_time == login
        assert load_observed(s, logins=False).users["a@x.ua"].last_login_time is None
