"""A ministry as an operator meets it: spreadsheet files, the `provision` CLI, the sandbox account.

Every step runs the real command (import -> --sandbox sync -> plan -> apply) in-process with
typer's CliRunner, on the files the schools would send.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.importers.conftest import write_xlsx
from zoom_client.sandbox import Sandbox, SandboxConfig

SCHOOL_HEADER = ["code", "name", "region", "kind", "seats"]
# The schools' domains are the account's associated domains: autoCreate works for them.
DOMAINS = ["school.example", "school.ua", "ecole.ma", "school.jo", "s.ua"]


class Ministry:
    def __init__(self, root: Path, database_url: str, *, seats: int, policy: str = "") -> None:
        self.root = root
        self.database_url = database_url
        self.state = root / "sandbox-state.json"
        config = SandboxConfig(seats=seats, large_meeting_seats={500: 0, 1000: 0}, managed_domains=DOMAINS)
        Sandbox(config).save(self.state)
        self.policy = root / "policy.toml"
        self.policy.write_text(policy, encoding="utf-8")

    def run(self, *args: str) -> Result:
        argv = ["--db", self.database_url, "--sandbox", "--policy", str(self.policy), "--actor", "ops", *args]
        result = CliRunner().invoke(app, argv, env={"PROVISION_SANDBOX_STATE": str(self.state)})
        dispose_engines()
        return result

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
        return result

    def data(self, *args: str) -> Any:
        """The `data` of a command's --json envelope."""
        document = json.loads(self.ok(*args, "--json").stdout)
        return document.get("data", document)

    def schools(self, rows: Sequence[Sequence[Any]]) -> None:
        path = write_xlsx(self.root / "schools.xlsx", {"schools": [SCHOOL_HEADER, *rows]})
        self.ok("import", "schools", str(path))

    def roster(self, name: str, sheets: dict[str, Sequence[Sequence[Any]]], *extra: str) -> Result:
        path = write_xlsx(self.root / name, dict(sheets))
        return self.run("import", "roster", str(path), *extra)

    def sync_plan_apply(self) -> Any:
        """One round as the operator does it; returns the plan that was applied (its JSON)."""
        self.ok("sync")
        plan = self.data("plan")
        self.ok("apply", "--yes")
        self.ok("sync")
        return plan

    def sandbox(self) -> Sandbox:
        return Sandbox.load(self.state)

    def accept_invitations(self) -> int:
        sandbox = self.sandbox()
        accepted = sandbox.accept_invitations()
        sandbox.save(self.state)
        return accepted

    def licensed(self) -> set[str]:
        return {u["email"] for u in self.sandbox().users() if u["type"] == 2 and u["status"] == "active"}

    def holding(self) -> set[str]:
        """Licensed users, pending invitations of a licensed type included (they hold a seat)."""
        return {u["email"] for u in self.sandbox().users() if u["type"] == 2 and u["status"] != "inactive"}
