"""A ministry-sized world for the query and export benchmarks, written with set-based inserts.

800 schools in 25 regions, N people (default 100,000) with one primary membership each and 5%
listed by a second school, a Zoom snapshot for 70% of them (licensed, basic, pending,
inactive), a plan whose waiting list holds the people beyond quota, audit events and rejected rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
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
    bulk_insert,
    init_db,
    make_engine,
    session_scope,
)

NOW = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
ROLES = ("teacher", "teacher", "teacher", "staff", "admin", "student")
REGIONS = [f"Region {i:02d}" for i in range(25)]


def school_code(i: int) -> str:
    return f"{i:04d}"


def email_of(i: int) -> str:
    return f"person{i:06d}@school{i % 800:03d}.edu.ua"


def build(
    url: str, *, people: int = 100_000, schools: int = 800, events: int = 100_000, seed: int = 7
) -> Engine:
    engine = make_engine(url)
    init_db(engine)
    rnd = random.Random(seed)
    with session_scope(engine) as s:
        if s.execute(select(func.count()).select_from(Person)).scalar_one():
            return engine  # already built
        quotas = [rnd.randint(40, 200) for _ in range(schools)]
        bulk_insert(
            s,
            Institution,
            (
                {
                    "code": school_code(i),
                    "name": f"Ліцей № {i} ім. Шевченка",
                    "region": REGIONS[i % len(REGIONS)],
                    "kind": "school",
                    "seats": quotas[i],
                }
                for i in range(schools)
            ),
        )
        ids = dict(s.execute(select(Institution.code, Institution.id)).all())
        bulk_insert(
            s,
            Person,
            (
                {"email": email_of(i), "given_name": f"Олена{i}", "family_name": f"Коваленко{i}"}
                for i in range(people)
            ),
        )
        pids = dict(s.execute(select(Person.email, Person.id)).all())

        def memberships() -> Any:
            for i in range(people):
                home = i % schools
                yield {
                    "person_id": pids[email_of(i)],
                    "institution_id": ids[school_code(home)],
                    "role": ROLES[i % len(ROLES)],
                    "is_primary": True,
                    "active": i % 50 != 0,
                    "joined_at": NOW - timedelta(days=200),
                    "left_at": None if i % 50 else NOW - timedelta(days=10),
                }
                if i % 20 == 0:
                    yield {
                        "person_id": pids[email_of(i)],
                        "institution_id": ids[school_code((home + 1) % schools)],
                        "role": "teacher",
                        "is_primary": False,
                        "active": True,
                        "joined_at": NOW - timedelta(days=100),
                        "left_at": None,
                    }

        bulk_insert(s, Membership, memberships())
        held = [0] * schools
        waiting: list[dict[str, Any]] = []
        snaps: list[dict[str, Any]] = []
        for i in range(people):
            home = i % schools
            r = rnd.random()
            if r < 0.30:  # not on Zoom yet
                if held[home] >= quotas[home]:
                    waiting.append(
                        {
                            "email": email_of(i),
                            "institution_code": school_code(home),
                            "role": "teacher",
                            "reason": f"waiting: school quota {quotas[home]} of {quotas[home]} in use",
                        }
                    )
                continue
            status, type_ = "active", 1
            if r < 0.33:
                status, type_ = "pending", 2
            elif r < 0.35:
                status = "inactive"
            elif held[home] < quotas[home]:
                type_ = 2
                held[home] += 1
            snaps.append(
                {
                    "email": email_of(i),
                    "zoom_id": None if status == "pending" else f"z{i}",
                    "type": type_,
                    "status": status,
                    "first_name": f"Олена{i}",
                    "last_name": f"Коваленко{i}",
                    "last_login_time": NOW - timedelta(days=rnd.randint(0, 200))
                    if status == "active"
                    else None,
                    "user_created_at": NOW - timedelta(days=rnd.randint(1, 60)),
                    "large_meeting": i % 97 == 0,
                    "large_meeting_capacity": 500 if i % 97 == 0 else None,
                    "observed_at": NOW,
                    "group_ids": [],
                }
            )
        bulk_insert(s, ZoomUserSnapshot, snaps)
        s.add(
            AccountSnapshot(
                observed_at=NOW, seats_purchased=sum(quotas), seats_used=sum(held), seats_pending=0
            )
        )
        actions = [
            {
                "kind": "license",
                "email": w["email"],
                "institution_code": w["institution_code"],
                "reason": "entitled",
                "zoom_id": None,
                "payload": {"type": 2},
                "before": {},
                "after": {},
            }
            for w in waiting[: len(waiting) // 2]
        ]
        s.add(
            PlanRecord(
                fingerprint="b" * 64,
                created_at=NOW,
                snapshot_at=NOW,
                actor="bench",
                data={"format": 1, "actions": actions, "waiting": waiting, "summary": {}},
            )
        )
        bulk_insert(
            s,
            AuditEvent,
            (
                {
                    "at": NOW - timedelta(seconds=events - k),
                    "actor": "bench",
                    "action": "license",
                    "institution_code": school_code(k % schools),
                    "person_email": email_of(k % people),
                    "before": {"type": 1},
                    "after": {"type": 2},
                    "result": "succeeded",
                    "tracking_id": f"t{k}",
                }
                for k in range(events)
            ),
        )
        s.add(
            DriftReport(
                at=NOW,
                actor="bench",
                clean=False,
                data={
                    "kinds": {
                        "licensed_not_entitled": [
                            {"email": email_of(k), "institution_code": school_code(k % schools)}
                            for k in range(0, 2000, 2)
                        ]
                    }
                },
            )
        )
        batch = ImportBatch(
            kind="roster",
            file_name="big.xlsx",
            sha256="c" * 64,
            actor="bench",
            started_at=NOW,
            committed=True,
        )
        s.add(batch)
        s.flush()
        bulk_insert(
            s,
            RejectedRow,
            (
                {
                    "batch_id": batch.id,
                    "file": "big.xlsx",
                    "sheet": "Staff",
                    "row": k + 2,
                    "column": "email",
                    "reason": "not an email",
                    "value": f"=cmd{k}",
                }
                for k in range(1000)
            ),
        )
    return engine
