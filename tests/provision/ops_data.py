"""A small, realistic world for the query and export tests, written through the models tables.

Three schools in three languages; people who hold a license, wait for one, have a pending
invitation, left the roster, hold an add-on, are on Zoom without a roster, and one whose name is a
formula-injection attempt. A plan with a waiting list, audit events, a reconcile, rejected rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from models import (
    AccountSnapshot,
    AuditEvent,
    DriftReport,
    ImportBatch,
    Institution,
    Membership,
    Person,
    PlanRecord,
    RejectedRow,
    ZoomUserSnapshot,
    init_db,
    make_engine,
    session_scope,
)
from provision.core.plan import Plan, Waiting

NOW = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
INJECTION = '=HYPERLINK("http://x","y")'
PHONE = "+380501234567"


def make_db(url: str) -> Engine:
    engine = make_engine(url)
    init_db(engine)
    return engine


def seed(engine: Engine, *, with_plan: bool = True, with_drift: bool = True) -> None:
    with session_scope(engine) as s:
        kyiv = Institution(
            code="0421", name="Ліцей № 1 імені Лесі Українки", region="Київ", kind="school", seats=2
        )
        lyon = Institution(code="0690", name="École Voltaire", region="Lyon", kind="school", seats=3)
        amman = Institution(code="0962", name="مدرسة النور", region="Amman", kind="school", seats=1)
        s.add_all([kyiv, lyon, amman])
        s.flush()

        def add(
            email: str,
            given: str,
            family: str,
            inst: Institution,
            role: str,
            *,
            primary: bool = True,
            active: bool = True,
            left_at: datetime | None = None,
        ) -> Person:
            p = s.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
            if p is None:
                p = Person(email=email, given_name=given, family_name=family)
                s.add(p)
                s.flush()
            s.add(
                Membership(
                    person_id=p.id,
                    institution_id=inst.id,
                    role=role,
                    is_primary=primary,
                    active=active,
                    joined_at=NOW - timedelta(days=100),
                    left_at=left_at,
                )
            )
            return p

        add("olena@school.ua", "Олена", "Коваль", kyiv, "teacher")
        add("taras@school.ua", "Тарас", "Шевченко", kyiv, "admin")
        add("wait@school.ua", "Іван", "Чекаючий", kyiv, "teacher")
        add(
            "left@school.ua", "Петро", "Пішов", kyiv, "teacher", active=False, left_at=NOW - timedelta(days=3)
        )
        add("marie@ecole.fr", "Marie", "Curie", lyon, "teacher")
        add("olena@school.ua", "Олена", "Коваль", lyon, "teacher", primary=False)  # two schools, one seat
        add("evil@ecole.fr", INJECTION, PHONE, lyon, "teacher")
        add("new@ecole.fr", "Jean", "Nouveau", lyon, "staff")
        add("huda@nour.jo", "هدى", "الحسن", amman, "teacher")
        s.add_all(
            [
                ZoomUserSnapshot(
                    email="olena@school.ua",
                    zoom_id="z-olena",
                    type=2,
                    status="active",
                    last_login_time=NOW - timedelta(days=1),
                    large_meeting=True,
                    large_meeting_capacity=500,
                    observed_at=NOW,
                ),
                ZoomUserSnapshot(
                    email="taras@school.ua",
                    zoom_id="z-taras",
                    type=2,
                    status="active",
                    last_login_time=None,
                    observed_at=NOW,
                ),
                ZoomUserSnapshot(
                    email="left@school.ua",
                    zoom_id="z-left",
                    type=2,
                    status="active",
                    last_login_time=NOW - timedelta(days=30),
                    observed_at=NOW,
                ),
                ZoomUserSnapshot(
                    email="marie@ecole.fr", zoom_id="z-marie", type=1, status="active", observed_at=NOW
                ),
                ZoomUserSnapshot(
                    email="evil@ecole.fr",
                    zoom_id="z-evil",
                    type=2,
                    status="active",
                    first_name=INJECTION,
                    last_name=PHONE,
                    observed_at=NOW,
                ),
                ZoomUserSnapshot(
                    email="new@ecole.fr",
                    zoom_id=None,
                    type=2,
                    status="pending",
                    user_created_at=NOW - timedelta(days=9),
                    observed_at=NOW,
                ),
                ZoomUserSnapshot(
                    email="huda@nour.jo", zoom_id="z-huda", type=1, status="inactive", observed_at=NOW
                ),
                ZoomUserSnapshot(
                    email="stray@elsewhere.org", zoom_id="z-stray", type=2, status="active", observed_at=NOW
                ),
                AccountSnapshot(observed_at=NOW, seats_purchased=10, seats_used=5, seats_pending=1),
            ]
        )
        if with_plan:
            plan = Plan(
                actions=[],
                waiting=[
                    Waiting("wait@school.ua", "0421", "teacher", "waiting: school quota 2 of 2 in use"),
                    Waiting("huda@nour.jo", "0962", "teacher", "waiting: account seats 10 of 10 in use"),
                ],
                fingerprint="f" * 64,
                snapshot_at=NOW,
                created_at=NOW,
            )
            s.add(
                PlanRecord(
                    fingerprint=plan.fingerprint,
                    created_at=NOW,
                    snapshot_at=NOW,
                    actor="ops",
                    data=plan.to_data(),
                )
            )
        s.add_all(
            [
                AuditEvent(
                    at=NOW - timedelta(days=10),
                    actor="ops",
                    action="license",
                    institution_code="0421",
                    person_email="olena@school.ua",
                    before={"type": 1},
                    after={"type": 2},
                    result="succeeded",
                    tracking_id="t-1",
                ),
                AuditEvent(
                    at=NOW - timedelta(days=5),
                    actor="ops",
                    action="add_addon",
                    institution_code="0421",
                    person_email="olena@school.ua",
                    before={"large_meeting": False},
                    after={"large_meeting": True, "capacity": 500, "access_token": "leak?"},
                    result="succeeded",
                ),
                AuditEvent(
                    at=NOW - timedelta(days=2),
                    actor="ops",
                    action="license",
                    institution_code="0690",
                    person_email="evil@ecole.fr",
                    before={"type": 1},
                    after={"type": 2},
                    result="succeeded",
                    detail=INJECTION,
                ),
            ]
        )
        if with_drift:
            s.add(
                DriftReport(
                    at=NOW,
                    actor="cron",
                    clean=False,
                    data={
                        "kinds": {
                            "licensed_not_entitled": [
                                {
                                    "email": "stray@elsewhere.org",
                                    "institution_code": None,
                                    "detail": "licensed in Zoom, on no roster",
                                }
                            ],
                            "changed_by_hand": [
                                {
                                    "email": "marie@ecole.fr",
                                    "institution_code": "0690",
                                    "detail": "type 2 -> 1 since our apply",
                                }
                            ],
                        }
                    },
                )
            )
        batch = ImportBatch(
            kind="roster",
            file_name="0690.xlsx",
            sha256="a" * 64,
            sheet="Staff",
            institution_code="0690",
            actor="ops",
            started_at=NOW - timedelta(days=20),
            rows_accepted=4,
            rows_rejected=1,
            committed=True,
        )
        s.add(batch)
        s.flush()
        s.add(
            RejectedRow(
                batch_id=batch.id,
                file="0690.xlsx",
                sheet="Staff",
                row=7,
                column="email",
                reason="not an email address",
                value="@SUM(A1:A9)",
            )
        )
