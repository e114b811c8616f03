"""The waiting list the queries and the export show is the latest real plan's, reason for reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from models import PlanRecord, session_scope
from provision.core.plan import Plan, Waiting
from provision.reports import export, queries
from provision.store.planning import make_plan
from provision.store.policy_file import load_policy
from tests.provision.ops_data import NOW, make_db, seed


def test_waiting_comes_from_the_latest_plan(database_url: str, tmp_path: Path) -> None:
    engine = make_db(database_url)
    seed(engine, with_plan=False)
    with session_scope(engine) as s:
        plan = make_plan(s, load_policy(None), now=NOW, force=True, actor="test")
    assert plan.waiting, "the seed has more entitled people at 0421 than seats"
    expected = {w.email: w.reason for w in plan.waiting if w.counted_at is None}
    at_0421 = {w.email: w.reason for w in plan.waiting if w.institution_code == "0421"}
    with session_scope(engine) as s:
        report = queries.schools(s)
        members = {m.email: m for m in queries.school(s, "0421").members}
        export.export_audit_xlsx(s, tmp_path / "a.xlsx")
    assert report.plan is not None
    assert report.plan.fingerprint == plan.fingerprint
    per_school: dict[str, int] = {}
    for w in plan.waiting:
        if w.counted_at is None:
            per_school[w.institution_code or ""] = per_school.get(w.institution_code or "", 0) + 1
    assert {r.code: r.waiting for r in report.schools} == {
        c: per_school.get(c, 0) for c in ("0421", "0690", "0962")
    }
    assert {e: m.waiting for e, m in members.items() if m.waiting} == at_0421
    rows = list(load_workbook(tmp_path / "a.xlsx")["Licenses"].iter_rows(min_row=2, values_only=True))
    assert len({r[0] for r in rows}) == len(rows)  # each person once
    # The waiting, and the holders the plan would put on the list, each with the plan's reason.
    shown = {
        r[0]: r[9].split(export.PLAN_SAYS)[-1] for r in rows if r[7] == "waiting" or export.PLAN_SAYS in r[9]
    }
    assert shown == expected

    # a newer plan replaces the waiting list
    newer = Plan(
        actions=[],
        waiting=[Waiting("marie@ecole.fr", "0690", "teacher", "waiting: account seats")],
        fingerprint="n" * 64,
        created_at=NOW + timedelta(hours=1),
    )
    with session_scope(engine) as s:
        s.add(
            PlanRecord(
                fingerprint=newer.fingerprint, created_at=newer.created_at, actor="test", data=newer.to_data()
            )
        )
    with session_scope(engine) as s:
        report = queries.schools(s)
        assert {r.code: r.waiting for r in report.schools} == {"0421": 0, "0690": 1, "0962": 0}
        assert queries.person(s, "marie@ecole.fr").waiting == newer.waiting[0].to_data()
