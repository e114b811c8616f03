"""Who gets a seat, and why: real roster files -> import -> --sandbox sync -> plan -> apply.

Fair shares across schools when the quotas exceed the seats, the roster's own order inside a
school, one reason that names the rule and the place in line and does not change when an
invitation is accepted, and `provision waiting`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.ministry import Ministry

HEADER = ["Email", "ПІБ", "Посада"]
QUOTAS = {f"S{i:02}": q for i, q in enumerate([3, 3, 3, 3, 6, 6, 6, 6, 9, 9, 9, 9], start=1)}


def teachers(code: str, n: int) -> list[list[str]]:
    return [[f"t{i}.{code.lower()}@school.example", f"Вчитель{i} {code}", "вчитель"] for i in range(n)]


@pytest.mark.slow
def test_an_oversubscribed_account_is_shared_in_proportion_to_the_quotas(
    database_url: str, tmp_path: Path
) -> None:
    ministry = Ministry(tmp_path, database_url, seats=20, policy='create_action = "autoCreate"\n')
    ministry.schools(
        [
            [code, f"School {code}", "North" if i < 6 else "South", "school", q]
            for i, (code, q) in enumerate(QUOTAS.items())
        ]
    )
    # Every school asks for one more teacher than its quota: 84 people, 72 quota seats, 20 seats.
    assert (
        ministry.roster(
            "staff.xlsx", {code: [HEADER, *teachers(code, q + 1)] for code, q in QUOTAS.items()}
        ).exit_code
        == 0
    )
    ministry.ok("sync")

    shown = ministry.ok("plan").stdout
    # The shortage is said first, before any table.
    assert shown.index("Seats are short") < shown.index("Plan per region")
    said = " ".join(shown.split())
    assert (
        "84 people are entitled at 12 schools whose quotas allow 72 seats; the account can give 20, 52 short"
        in said
    )
    assert "12 of 12 schools get at least one" in said

    plan = ministry.sync_plan_apply()
    assert plan["summary"]["shortage"] == {
        "schools": 12,
        "demand": 84,
        "quotas": 72,
        "seats_available": 20,
        "shortfall": 52,
        "allocation": "proportional",
        "schools_served": 12,
    }
    licensed = ministry.licensed()
    assert len(licensed) == 20  # every seat used, never more
    per_school = {
        code: sum(1 for email in licensed if email.endswith(f".{code.lower()}@school.example"))
        for code in QUOTAS
    }
    total_quota = sum(QUOTAS.values())
    for code, quota in QUOTAS.items():
        assert per_school[code] >= 1, code
        assert abs(per_school[code] - 20 * quota / total_quota) < 1, (code, per_school[code])
    # Inside each school the first rows of the roster got the seats.
    assert all(f"t0.{code.lower()}@school.example" in licensed for code in QUOTAS)

    # Applied: nothing left to do, and the same people still wait for the same reason.
    assert ministry.run("plan", "--detailed-exitcode").exit_code == 0
    lines = ministry.data("waiting", "--school", "S09")["waiting"]
    share = "(account seats 20 of 20 in use, S09 has its proportional share of 2)"
    assert [(line["place"], line["reason"]) for line in lines[:2]] == [
        (1, f"waiting: 1st in line at S09 {share}"),
        (2, f"waiting: 2nd in line at S09 {share}"),
    ]
    assert lines[-1]["reason"] == "waiting: 8th in line at S09 (quota 9 of 9 in use)"


def test_priority_allocation_serves_role_priority_across_the_account(sqlite_url: str, tmp_path: Path) -> None:
    ministry = Ministry(
        tmp_path, sqlite_url, seats=2, policy='allocation = "priority"\ncreate_action = "autoCreate"\n'
    )
    ministry.schools([["A1", "A", "North", "school", 5], ["B1", "B", "North", "school", 5]])
    rows = {
        "A1": [HEADER, *teachers("A1", 2)],
        "B1": [HEADER, ["dir.b1@school.example", "Директор Б", "директор"], *teachers("B1", 1)],
    }
    assert ministry.roster("r.xlsx", rows).exit_code == 0
    ministry.sync_plan_apply()
    # The admin first, then the roster order: B1's director and A1's first row.
    assert ministry.licensed() == {"dir.b1@school.example", "t0.a1@school.example"}
    reasons = {w["email"]: w["reason"] for w in ministry.data("waiting")["waiting"]}
    assert reasons["t1.a1@school.example"] == (
        "waiting: 1st in line at A1 (account seats 2 of 2 in use, served by role priority)"
    )


def test_inside_a_school_the_roster_order_decides_never_the_email(sqlite_url: str, tmp_path: Path) -> None:
    ministry = Ministry(tmp_path, sqlite_url, seats=10, policy='create_action = "autoCreate"\n')
    ministry.schools(
        [["0421", "Ліцей №1", "Київська", "ліцей", 2], ["0690", "École Voltaire", "Casablanca", "école", 2]]
    )
    lyceum = [
        HEADER,
        ["olena.kovalenko@school.ua", "Коваленко Олена", "вчитель"],  # first on the sheet
        ["zinaida.bondar@school.ua", "Бондар Зінаїда", "вчителька"],
        ["a.tkachenko@school.ua", "Ткаченко Андрій", "вчитель"],  # first by email, last on the sheet
    ]
    ecole = [
        ["Courriel", "Nom", "Fonction", "Priorité"],
        ["p.first@ecole.ma", "Premier Paul", "enseignant", 3],
        ["q.second@ecole.ma", "Second Quentin", "enseignant", 1],
        ["r.third@ecole.ma", "Troisième René", "enseignante", 2],
    ]
    assert ministry.roster("r.xlsx", {"0421": lyceum, "0690": ecole}).exit_code == 0
    ministry.sync_plan_apply()

    assert ministry.licensed() == {
        "olena.kovalenko@school.ua",
        "zinaida.bondar@school.ua",
        "q.second@ecole.ma",
        "r.third@ecole.ma",
    }
    lines = ministry.data("waiting")["waiting"]
    assert [(w["institution_code"], w["email"], w["reason"]) for w in lines] == [
        ("0421", "a.tkachenko@school.ua", "waiting: 1st in line at 0421 (quota 2 of 2 in use)"),
        ("0690", "p.first@ecole.ma", "waiting: 1st in line at 0690 (quota 2 of 2 in use)"),
    ]


def test_the_reason_stays_the_same_before_and_after_invitations_are_accepted(
    database_url: str, tmp_path: Path
) -> None:
    # Zoom emails invitations (the default); those waiting get a Basic account meanwhile.
    ministry = Ministry(tmp_path, database_url, seats=10, policy='create_waiting = "basic"\n')
    ministry.schools(
        [["0421", "Ліцей №1", "Київська", "ліцей", 2], ["0690", "Гімназія", "Київська", "гімназія", 5]]
    )
    people = [HEADER, *teachers("0421", 4), ["both@school.ua", "Двоє Марія", "вчителька"]]
    assert ministry.roster("0421.xlsx", {"0421": people}).exit_code == 0
    assert (
        ministry.roster(
            "0690.xlsx", {"0690": [HEADER, ["both@school.ua", "Двоє Марія", "вчителька"]]}
        ).exit_code
        == 0
    )
    ministry.sync_plan_apply()
    assert {u["status"] for u in ministry.sandbox().users()} == {"pending"}

    def reasons() -> list[tuple[str | None, int | None, str, str]]:
        lines = ministry.data("waiting")["waiting"]
        return [(w["institution_code"], w["place"], w["email"], w["reason"]) for w in lines]

    expected = [
        ("0421", 1, "t2.0421@school.example", "waiting: 1st in line at 0421 (quota 2 of 2 in use)"),
        ("0421", 2, "t3.0421@school.example", "waiting: 2nd in line at 0421 (quota 2 of 2 in use)"),
        ("0421", 3, "both@school.ua", "waiting: 3rd in line at 0421 (quota 2 of 2 in use)"),
        # A teacher on two rosters counts at her first school, and has a reason at the other one too.
        (
            "0690",
            None,
            "both@school.ua",
            "waiting: counted at 0421, 3rd in line at 0421 (quota 2 of 2 in use)",
        ),
    ]
    ministry.ok("plan")
    assert reasons() == expected
    today = datetime.now(UTC).date().isoformat()
    assert (
        ministry.data("person", "t0.0421@school.example")["answer"]
        == f"invitation sent on {today}, not accepted yet"
    )
    assert ministry.data("person", "t2.0421@school.example")["answer"] == (
        f"invitation sent on {today}, not accepted yet; waiting: 1st in line at 0421 (quota 2 of 2 in use)"
    )

    assert ministry.accept_invitations() == 5
    ministry.ok("sync")
    assert ministry.run("plan", "--detailed-exitcode").exit_code == 0  # nothing to change
    assert reasons() == expected
    assert ministry.data("person", "t0.0421@school.example")["answer"] == "Licensed"
    person = ministry.run("person", "t2.0421@school.example").stdout
    assert "Basic (no license); waiting: 1st in line at 0421 (quota 2 of 2 in use)" in " ".join(
        person.split()
    )
    assert "waiting: waiting:" not in person
    assert "type 1" not in person


def test_waiting_lists_a_region_in_line_order(sqlite_url: str, tmp_path: Path) -> None:
    ministry = Ministry(tmp_path, sqlite_url, seats=10, policy='create_action = "autoCreate"\n')
    ministry.schools([["N1", "North one", "North", "school", 1], ["S1", "South one", "South", "school", 1]])
    assert (
        ministry.roster(
            "r.xlsx", {"N1": [HEADER, *teachers("N1", 3)], "S1": [HEADER, *teachers("S1", 2)]}
        ).exit_code
        == 0
    )
    ministry.sync_plan_apply()
    north = ministry.data("waiting", "--region", "north")["waiting"]
    assert [(w["institution_code"], w["place"], w["email"]) for w in north] == [
        ("N1", 1, "t1.n1@school.example"),
        ("N1", 2, "t2.n1@school.example"),
    ]
    shown = ministry.ok("waiting", "--region", "South").stdout
    assert "t1.s1@school.example" in shown
    assert "t1.n1@school.example" not in shown
    assert ministry.run("waiting", "--region", "Atlantis").exit_code == 2


def test_plan_summary_first_exit_codes_grace_unsafe_and_a_plan_applied_twice(
    sqlite_url: str, tmp_path: Path
) -> None:
    ministry = Ministry(tmp_path, sqlite_url, seats=50, policy='create_action = "autoCreate"\n')
    ministry.schools([["N1", "North one", "North", "school", 10], ["S1", "South one", "South", "school", 10]])
    north = [HEADER, *teachers("N1", 6)]
    assert ministry.roster("r.xlsx", {"N1": north, "S1": [HEADER, *teachers("S1", 6)]}).exit_code == 0
    ministry.ok("sync")

    pending = ministry.run("plan", "--detailed-exitcode", "--out", "plan.json")
    assert pending.exit_code == 3  # changes pending
    out = pending.stdout
    assert out.index("Plan per region") < out.index("Plan per school") < out.index("t0.n1@school.example")
    only_south = ministry.ok("plan", "--region", "south").stdout
    assert "t0.s1@school.example" in only_south
    assert "t0.n1@school.example" not in only_south
    assert ministry.run("plan", "--region", "Atlantis").exit_code == 2

    ministry.ok("apply", "plan.json", "--yes")
    again = ministry.ok("apply", "plan.json", "--yes")
    [line] = again.stdout.strip().splitlines()
    assert line.startswith(
        f"Plan {json.loads(Path('plan.json').read_text())['fingerprint'][:12]} was already applied"
    )
    ministry.ok("sync")
    assert ministry.run("plan", "--detailed-exitcode").exit_code == 0

    # Two teachers leave N1: within the grace period they are named with the day the license goes.
    assert ministry.roster("r2.xlsx", {"N1": north[:5]}).exit_code == 0
    left_on = datetime.now(UTC).date()
    shown = " ".join(ministry.ok("plan").stdout.split())
    until = (left_on + timedelta(days=14)).isoformat()
    assert "In their grace period (2): the license goes on the day shown" in shown
    assert f"{until} N1 t4.n1@school.example" in shown
    assert [g["email"] for g in ministry.data("plan")["grace"]] == [
        "t4.n1@school.example",
        "t5.n1@school.example",
    ]

    # Without a grace period and with a threshold of 0 the plan is unsafe: shown, then refused.
    ministry.policy.write_text(
        'create_action = "autoCreate"\ngrace_days = 0\nmax_revoke_count = 0\n', encoding="utf-8"
    )
    refused = ministry.run("plan", "--out", "unsafe.json")
    assert refused.exit_code == 1
    assert "- unlicense" in refused.stdout
    assert "t5.n1@school.example" in refused.stdout
    assert "above max_revoke_count 0" in " ".join(refused.stderr.split())
    assert not Path("unsafe.json").exists()
