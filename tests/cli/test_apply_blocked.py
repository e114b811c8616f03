"""A refusal Zoom would repeat is settled as blocked: reported with the fix, never resent by a rerun.

Through the CLI on a real roster file, against a sandbox whose account limits new users to the
school's domain (Zoom answers 1116 for any other), as a ministry's account may.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent, Person, make_engine
from provision.cli import app
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()
OUTSIDER = "olena.private@gmail.com"


def _run(db: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db, *args])


def _events_for(db: str, email: str) -> list[AuditEvent]:
    with Session(make_engine(db)) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.person_email == email)).all())


def _rolled_out_with_one_refusal(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'provision.db'}"
    (tmp_path / "schools.csv").write_text(
        "code,name,region,seats\n0421,Ліцей 421,Київ,10\n", encoding="utf-8"
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "school,email,first name,last name,role\n"
        "0421,t1@school0421.edu.ua,Олена,Коваль,teacher\n"
        "0421,t2@school0421.edu.ua,Ірина,Бондар,teacher\n"
        f"0421,{OUTSIDER},Олена,Приватна,teacher\n",
        encoding="utf-8",
    )
    Sandbox(SandboxConfig(seats=10, limited_domains=["school0421.edu.ua"])).save(
        tmp_path / "sandbox-state.json"
    )
    for args in (("import", "schools", str(tmp_path / "schools.csv")), ("import", "roster", str(roster))):
        assert _run(db, *args).exit_code == 0
    assert _run(db, "--sandbox", "sync").exit_code == 0
    return db


def test_a_permanent_refusal_is_blocked_explained_and_not_resent(tmp_path: Path) -> None:
    db = _rolled_out_with_one_refusal(tmp_path)

    first = _run(db, "--sandbox", "apply", "--yes", "--json")

    assert first.exit_code == 1
    document = json.loads(first.stdout)
    data = document["data"]
    assert data["counts"]["create"]["succeeded"] == 2
    assert data["counts"]["create"]["blocked"] == 1
    assert data["rerun_helps"] is False
    [failure] = data["failures"]
    assert failure["email"] == OUTSIDER
    assert failure["state"] == "blocked"
    assert failure["zoom_code"] == 1116
    message = document["error"]["message"]
    assert "correct the address on the roster, add the domain to the account in Zoom" in message
    assert "run `provision apply` again" not in message

    # The nightly rerun does not send it again: the person waits, with the reason.
    again = _run(db, "--sandbox", "apply", "--yes", "--json")
    assert again.exit_code == 0, again.output
    assert len(_events_for(db, OUTSIDER)) == 1
    waiting = _run(db, "--sandbox", "plan", "--json")
    assert "blocked: Zoom refuses to create the user (code 1116)" in waiting.stdout

    # Once the account allows the domain, the operator asks for it again, and it goes through.
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    state.config.limited_domains = []
    state.save(tmp_path / "sandbox-state.json")
    retried = _run(db, "--sandbox", "apply", "--yes", "--retry-blocked", "--json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["data"]["counts"]["create"]["succeeded"] == 1
    assert [e.result for e in _events_for(db, OUTSIDER)] == ["blocked", "succeeded"]


def test_a_name_zoom_would_refuse_is_blocked_not_an_internal_error(tmp_path: Path) -> None:
    """A 70-character surname imported by an earlier version (today's import refuses it)."""
    db = _rolled_out_with_one_refusal(tmp_path)
    long_name = "Коваленко-Дорошенко-Сагайдачна-Володимирська-Богуславська-Остроградська"
    assert len(long_name) > 64
    with Session(make_engine(db)) as session:
        person = session.exec(select(Person).where(Person.email == "t2@school0421.edu.ua")).one()
        person.family_name = long_name
        session.add(person)
        session.commit()

    first = _run(db, "--sandbox", "apply", "--yes", "--json")

    assert first.exit_code == 1
    document = json.loads(first.stdout)
    assert document["error"]["type"] == "ApplyIncompleteError"
    assert "correct it at its source" in document["error"]["message"]
    blocked = {f["email"]: f for f in document["data"]["failures"]}
    assert blocked["t2@school0421.edu.ua"]["state"] == "blocked"
    assert long_name not in first.stdout  # personal data stays out of the message
    # Not stuck: no operation is left unfinished, and the next run does not send it again.
    again = _run(db, "--sandbox", "apply", "--yes", "--json")
    assert again.exit_code == 0, again.output
    assert [e.result for e in _events_for(db, "t2@school0421.edu.ua")] == ["blocked"]
