"""Issue 12's target "owner, admin and a custom-role admin who leave the roster: untouched, reported",
as the operator meets it: rosters from spreadsheet files, `provision sync`, `plan` (table and JSON),
`apply --yes`, on a sandbox account holding its owner, an admin and a custom role."""

from __future__ import annotations

from pathlib import Path

from tests.cli.envelope import payload
from tests.cli.ministry import DOMAINS, Ministry
from zoom_client.sandbox import Sandbox, SandboxConfig

HEADER = ["Email", "Name", "Role"]
OWNER, ADMIN, HELPDESK, LEAVER, STAYS = (
    f"{name}@school.example" for name in ("owner", "admin", "helpdesk", "leaver", "stays")
)


def test_owner_admin_and_custom_role_who_leave_are_untouched_and_reported(
    sqlite_url: str, tmp_path: Path
) -> None:
    ministry = Ministry(
        tmp_path, sqlite_url, seats=10, policy='create_action = "autoCreate"\ngrace_days = 0\n'
    )
    account = Sandbox(
        SandboxConfig(
            seats=10, large_meeting_seats={500: 0, 1000: 0}, managed_domains=DOMAINS, owner_email=OWNER
        )
    )
    account.add_user(email=ADMIN, type=2, role_id="1")
    account.add_user(email=HELPDESK, type=2, role_id="5")  # a custom administrator role
    account.save(ministry.state)
    ministry.schools([["0701", "Ліцей", "North", "school", 10]])
    everyone = [[e, e.split("@")[0], "teacher"] for e in (OWNER, ADMIN, HELPDESK, LEAVER, STAYS)]
    assert ministry.roster("first.xlsx", {"0701": [HEADER, *everyone]}).exit_code == 0
    ministry.sync_plan_apply()
    assert ministry.licensed() == {OWNER, ADMIN, HELPDESK, LEAVER, STAYS}

    # The next roster lists only one of them: the other four left (a shrink the operator accepts).
    assert ministry.roster("later.xlsx", {"0701": [HEADER, everyone[-1]]}, "--allow-shrink").exit_code == 0
    ministry.ok("sync")
    plan = ministry.data("plan")
    table = ministry.ok("plan").stdout
    ministry.ok("apply", "--yes")

    assert sorted(plan["protected"]) == sorted([OWNER, ADMIN, HELPDESK])
    assert plan["counts"]["protected"] == 3
    assert [(a["kind"], a["email"]) for a in plan["actions"]] == [("unlicense", LEAVER)]
    assert "Protected (3): never touched" in table
    for email in (OWNER, ADMIN, HELPDESK):
        assert f"    {email}" in table
    assert ministry.licensed() == {OWNER, ADMIN, HELPDESK, STAYS}
    ministry.ok("sync")
    assert ministry.data("plan")["actions"] == []  # and no later run touches them either

    # Reconcile names them too (not an alert: exit 0), with who they are and the school they left.
    result = ministry.run("reconcile", "--json")
    assert result.exit_code == 0, result.output
    items = {item["email"]: item for item in payload(result.stdout)["kinds"]["protected_left"]}
    assert set(items) == {OWNER, ADMIN, HELPDESK}
    assert items[OWNER]["detail"].startswith("the account owner; left the roster of 0701 on ")
    assert items[ADMIN]["detail"].startswith("an admin; left")
    assert items[HELPDESK]["detail"].startswith("an admin (custom role 5); left")
    assert all(item["institution_code"] == "0701" for item in items.values())
    human = ministry.ok("reconcile").stdout  # stdout is a pipe here: tab-separated lines
    assert "protected left\t3" in human
    assert OWNER in human
