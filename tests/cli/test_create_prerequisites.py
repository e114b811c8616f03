"""Before apply creates users, what the account's create action needs is checked once: people
Zoom would refuse are not sent, and every answer (apply, plan, school, person, waiting) gives
them the refusal as their reason, with what fixes it, never "run again".

Through the CLI on real roster files, against sandbox accounts as strict as Zoom: autoCreate
only within the managed domains, ssoCreate only with SSO (ZOOM_API.md §11).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from typer.testing import CliRunner

from models import Operation, make_engine
from models.db import dispose_engines
from provision.cli import app
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()
DOMAIN = "school0421.edu.ua"
OUTSIDER = "olena.private@gmail.com"


class Account:
    def __init__(self, tmp_path: Path, *, create_action: str, people: list[str], **config: Any) -> None:
        self.db = f"sqlite:///{tmp_path / 'provision.db'}"
        self.policy = tmp_path / "policy.toml"
        self.policy.write_text(f'create_action = "{create_action}"\n', encoding="utf-8")
        self.state = tmp_path / "sandbox-state.json"
        Sandbox(SandboxConfig(seats=10, **config)).save(self.state)
        (tmp_path / "schools.csv").write_text(
            "code,name,region,seats\n0421,Ліцей 421,Київ,10\n", encoding="utf-8"
        )
        lines = ["school,email,first name,last name,role"]
        lines += [f"0421,{email},Олена,Коваль,teacher" for email in people]
        (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert self.run("import", "schools", str(tmp_path / "schools.csv")).exit_code == 0
        assert self.run("import", "roster", str(tmp_path / "roster.csv")).exit_code == 0
        assert self.run("sync").exit_code == 0

    def run(self, *args: str) -> Any:
        argv = ["--db", self.db, "--sandbox", "--policy", str(self.policy), *args]
        result = runner.invoke(app, argv, env={"PROVISION_SANDBOX_STATE": str(self.state)})
        dispose_engines()
        return result

    def data(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        return json.loads(result.stdout)["data"]

    def sent(self) -> dict[str, int]:
        """Per email, how many times apply sent its create to Zoom (the journal's attempts)."""
        with Session(make_engine(self.db)) as session:
            return {op.email: op.attempts for op in session.exec(select(Operation)).all()}

    def created(self) -> set[str]:
        return {user["email"] for user in Sandbox.load(self.state).users()}


def test_autocreate_outside_the_managed_domains_is_not_sent(tmp_path: Path) -> None:
    inside = [f"t1@{DOMAIN}", f"t2@staff.{DOMAIN}"]  # a subdomain is covered
    account = Account(
        tmp_path, create_action="autoCreate", people=[*inside, OUTSIDER], managed_domains=[DOMAIN]
    )

    first = account.run("apply", "--yes", "--json")

    assert first.exit_code == 1
    document = json.loads(first.stdout)
    assert document["data"]["counts"]["create"] == {
        "succeeded": 2,
        "failed": 0,
        "blocked": 1,
        "dropped": 0,
        "pending": 0,
    }
    assert document["data"]["rerun_helps"] is False
    [failure] = document["data"]["failures"]
    assert failure["email"] == OUTSIDER
    assert "gmail.com is not a managed domain of the account (school0421.edu.ua)" in failure["error"]
    message = document["error"]["message"]
    assert "add the domain in Zoom (Account Profile, Associated Domains)" in message
    assert "run `provision apply` again" not in message
    assert account.sent() == {**dict.fromkeys(inside, 1), OUTSIDER: 0}  # never sent to Zoom
    assert account.created() == set(inside)

    # Every answer a school or the ministry asks gives the same reason, before any new plan.
    fix = "autoCreate works only for the account's managed (associated) domains"
    person = account.data("person", OUTSIDER)
    assert fix in person["answer"]
    assert "a rerun will not help" in person["answer"]
    [member] = [m for m in account.data("school", "0421")["members"] if m["email"] == OUTSIDER]
    assert fix in member["waiting"]
    assert [line["email"] for line in account.data("waiting")["waiting"]] == [OUTSIDER]
    assert fix in account.data("waiting")["waiting"][0]["reason"]
    text = account.run("person", OUTSIDER)
    assert "Associated Domains" in " ".join(text.stdout.split())

    # The nightly rerun sends nothing again; the plan holds the person back with the reason.
    assert account.run("apply", "--yes", "--json").exit_code == 0
    assert account.sent()[OUTSIDER] == 0
    [waiting] = account.data("plan")["waiting"]
    assert waiting["email"] == OUTSIDER
    assert waiting["reason"].startswith("blocked: " + fix)


def test_ssocreate_without_sso_meets_zoom_once(tmp_path: Path) -> None:
    people = [f"t{i}@{DOMAIN}" for i in range(5)]
    account = Account(tmp_path, create_action="ssoCreate", people=people)

    first = account.run("apply", "--yes", "--json")

    assert first.exit_code == 1
    data = json.loads(first.stdout)["data"]
    assert data["counts"]["create"]["blocked"] == 5
    assert sorted(account.sent().values()) == [0, 0, 0, 0, 1]  # one create told; four never sent
    assert account.created() == set()
    assert {f["zoom_code"] for f in data["failures"]} == {2002}
    reason = account.data("person", people[0])["answer"]
    assert "SSO is not enabled on the Zoom account" in reason
    assert 'create_action = "create"' in reason
    for failure in data["failures"]:
        assert all(other not in failure["error"] for other in people if other != failure["email"])
