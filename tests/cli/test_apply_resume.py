"""A plan never outlives its reasons: resuming drops what lost its reason; --abandon ends a plan.

Through the CLI on real roster files, against the sandbox: Zoom's daily create cap stops the first
apply half way, as it would at ministry scale.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from models import AuditEvent, make_engine
from provision.cli import app
from provision.store import journal
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()
DAY = 86_400.0


def _roster(path: Path, people: range) -> Path:
    lines = ["school,email,first name,last name,role"]
    lines += [f"0421,t{i}@school0421.edu.ua,Олена,Коваль,teacher" for i in people]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(db: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db, *args])


def _stopped_half_way(tmp_path: Path) -> str:
    """10 teachers to create; Zoom's daily create cap lets 6 through today."""
    db = f"sqlite:///{tmp_path / 'provision.db'}"
    (tmp_path / "schools.csv").write_text(
        "code,name,region,seats\n0421,Ліцей 421,Київ,20\n", encoding="utf-8"
    )
    assert _run(db, "import", "schools", str(tmp_path / "schools.csv")).exit_code == 0
    assert _run(db, "import", "roster", str(_roster(tmp_path / "r1.csv", range(10)))).exit_code == 0
    Sandbox(SandboxConfig(seats=20, daily_create_cap=6)).save(tmp_path / "sandbox-state.json")
    assert _run(db, "--sandbox", "sync").exit_code == 0
    first = _run(db, "--sandbox", "apply", "--yes", "--json")
    assert first.exit_code == 1
    assert "daily limit" in json.loads(first.stdout)["error"]["message"]
    return db


def _next_day(tmp_path: Path) -> None:
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    state.clock.advance(DAY)
    state.save(tmp_path / "sandbox-state.json")


def test_resume_drops_people_who_left_the_roster_and_audits_it(tmp_path: Path) -> None:
    db = _stopped_half_way(tmp_path)
    # Meanwhile the school sends a roster without t7, t8, t9: they must not be created tomorrow.
    assert _run(db, "import", "roster", str(_roster(tmp_path / "r2.csv", range(7)))).exit_code == 0
    _next_day(tmp_path)

    resumed = _run(db, "--sandbox", "apply", "--yes", "--json")

    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)["data"]
    assert data["dropped"] == 3
    assert data["counts"]["create"]["succeeded"] == 7
    emails = {u["email"] for u in Sandbox.load(tmp_path / "sandbox-state.json").users()}
    assert {f"t{i}@school0421.edu.ua" for i in range(7)} <= emails
    assert not {f"t{i}@school0421.edu.ua" for i in (7, 8, 9)} & emails
    from sqlmodel import Session, select

    with Session(make_engine(db)) as session:
        dropped = session.exec(select(AuditEvent).where(AuditEvent.result == "dropped")).all()
    assert sorted(e.person_email for e in dropped) == [f"t{i}@school0421.edu.ua" for i in (7, 8, 9)]
    assert all("no longer planned" in (e.detail or "") for e in dropped)


def test_abandon_ends_the_unfinished_plan_and_a_new_plan_can_run(tmp_path: Path) -> None:
    db = _stopped_half_way(tmp_path)
    abandoned = _run(db, "--actor", "olena", "--sandbox", "apply", "--abandon", "--yes", "--json")

    assert abandoned.exit_code == 0, abandoned.output
    ended = json.loads(abandoned.stdout)["data"]["abandoned"]
    assert len(ended) == 1
    assert ended[0]["operations"] == 4
    engine = make_engine(db)
    assert journal.unfinished(engine) == []
    from sqlmodel import Session, select

    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.result == "abandoned")).all()
    assert len(rows) == 4
    assert {r.actor for r in rows} == {"olena"}
    # Nothing of the old plan is sent: tomorrow a new plan creates the four still missing.
    _next_day(tmp_path)
    again = _run(db, "--sandbox", "apply", "--yes", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)["data"]
    assert data["resumed"] is False
    assert data["counts"]["create"]["succeeded"] == 4
