"""Accounts on the command line (issue 17, ask 1): the schools file's `account` column, checked
against the policy's aliases and the shape of a Zoom account id; `provision accounts`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from models import AccountSnapshot, Institution, make_engine
from provision.cli import app
from tests.cli.envelope import payload
from zoom_client.sandbox import Sandbox, SandboxConfig

runner = CliRunner()
SUB = "SubKharkiv01"
POLICY = """
[accounts.kyiv]
account_id_env = "KYIV_ZOOM_ACCOUNT_ID"
client_id_env = "KYIV_ZOOM_CLIENT_ID"
client_secret_env = "KYIV_ZOOM_CLIENT_SECRET"
[accounts.SubKharkiv01]
basic_cap = 2
daily_create_cap = 50
"""


def _files(tmp_path: Path, rows: str) -> list[str]:
    (tmp_path / "policy.toml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "schools.csv").write_text("code,name,seats,Zoom account\n" + rows, encoding="utf-8")
    return ["--policy", str(tmp_path / "policy.toml")]


def test_a_bad_account_names_file_row_and_column_and_nothing_is_written(
    tmp_path: Path, sqlite_url: str
) -> None:
    policy = _files(
        tmp_path, f"0101,Ліцей 1,5,\n0201,Ліцей 2,5,{SUB}\n0301,Ліцей 3,5,kyvi\n0401,Ліцей 4,5,a b\n"
    )

    result = runner.invoke(
        app, ["--db", sqlite_url, *policy, "import", "schools", str(tmp_path / "schools.csv"), "--json"]
    )

    assert result.exit_code == 2, result.output
    rejected = {(r["file"], r["row"], r["column"], r["value"]): r for r in payload(result.stdout)["rejected"]}
    assert set(rejected) == {
        ("schools.csv", 4, "Zoom account", "kyvi"),
        ("schools.csv", 5, "Zoom account", "a b"),
    }
    assert "did you mean 'kyiv'" in rejected["schools.csv", 4, "Zoom account", "kyvi"]["detail"]
    assert "neither an account alias" in rejected["schools.csv", 5, "Zoom account", "a b"]["detail"]
    with Session(make_engine(sqlite_url)) as session:
        assert session.execute(select(Institution)).first() is None


def test_accounts_lists_each_account_with_its_seats_basic_users_and_caps(
    tmp_path: Path, sqlite_url: str
) -> None:
    policy = _files(
        tmp_path, f"0101,Ліцей 1,5,\n0201,Ліцей 2,5,{SUB}\n0202,Ліцей 3,5,{SUB}\n0301,Гімназія,5,kyiv\n"
    )
    imported = runner.invoke(
        app, ["--db", sqlite_url, *policy, "import", "schools", str(tmp_path / "schools.csv")]
    )
    assert imported.exit_code == 0, imported.output
    with Session(make_engine(sqlite_url)) as session:
        stored = dict(session.execute(select(Institution.code, Institution.account)).all())  # type: ignore[call-overload]
    assert stored == {"0101": "", "0201": SUB, "0202": SUB, "0301": "kyiv"}
    sandbox = Sandbox(SandboxConfig(seats=7, sub_accounts={SUB: 3, "kyiv": 4}))
    sandbox.add_user(email="a@school.example", type=2, account_id=SUB)
    sandbox.add_user(email="b@school.example", type=1, account_id=SUB)
    sandbox.save(tmp_path / "sandbox-state.json")

    synced = runner.invoke(app, ["--db", sqlite_url, *policy, "--sandbox", "sync", "--json"])
    assert synced.exit_code == 0, synced.output
    assert set(payload(synced.stdout)["accounts"]) == {"", SUB, "kyiv"}
    result = runner.invoke(app, ["--db", sqlite_url, *policy, "accounts", "--json"])

    assert result.exit_code == 0, result.output
    rows = {row["account"]: row for row in payload(result.stdout)["accounts"]}
    assert rows[""]["kind"] == "main"
    assert rows[""]["seats"]["purchased"] == 7
    assert rows[SUB]["kind"] == "sub-account"
    assert (rows[SUB]["schools"], rows[SUB]["seats"]["purchased"], rows[SUB]["seats"]["used"]) == (2, 3, 1)
    assert (rows[SUB]["seats"]["free"], rows[SUB]["basic"], rows[SUB]["basic_cap"]) == (2, 1, 2)
    assert rows[SUB]["daily_create_cap"] == 50
    assert rows["kyiv"]["kind"] == "alias"
    assert rows["kyiv"]["seats"]["purchased"] == 4
    assert rows[""]["basic_cap"] == 9999
    human = runner.invoke(app, ["--db", sqlite_url, *policy, "accounts"])
    assert human.exit_code == 0, human.output
    assert SUB in human.stdout


def test_the_commands_an_operator_runs_license_each_account_within_its_own_seats(
    tmp_path: Path, sqlite_url: str
) -> None:
    policy = _files(tmp_path, f"0101,Ліцей 1,5,\n0201,Ліцей 2,5,{SUB}\n")
    (tmp_path / "roster.csv").write_text(
        "school,email,given name,family name,role\n"
        + "".join(
            f"{code},t{i}.{code}@school.example,T{i},Test,teacher\n"
            for code in ("0101", "0201")
            for i in range(3)
        ),
        encoding="utf-8",
    )
    sandbox = Sandbox(SandboxConfig(seats=3, sub_accounts={SUB: 2}, managed_domains=["school.example"]))
    for code, account in (("0101", None), ("0201", SUB)):
        for i in range(3):
            sandbox.add_user(email=f"t{i}.{code}@school.example", type=1, account_id=account)
    sandbox.save(tmp_path / "sandbox-state.json")
    db = ["--db", sqlite_url, *policy, "--sandbox"]
    for command in (
        ["import", "schools", str(tmp_path / "schools.csv")],
        ["import", "roster", str(tmp_path / "roster.csv")],
        ["sync"],
    ):
        done = runner.invoke(app, [*db, *command])
        assert done.exit_code == 0, done.output

    planned = runner.invoke(app, [*db, "plan", "--json"])
    applied = runner.invoke(app, [*db, "apply", "--yes", "--json"])

    assert planned.exit_code == 0, planned.output
    plan = payload(planned.stdout)
    assert plan["summary"]["accounts"][SUB]["totals"]["seats"]["purchased"] == 2
    assert applied.exit_code == 0, applied.output
    state = Sandbox.load(tmp_path / "sandbox-state.json")
    assert state.licensed_count() == 3
    assert state.licensed_count(account_id=SUB) == 2  # its own two seats, never the master's
    waiting = runner.invoke(app, [*db, "school", "0201", "--json"])
    assert waiting.exit_code == 0, waiting.output
    school = payload(waiting.stdout)
    assert school["school"]["account"] == SUB

    # The workbook the ministry sends that school names its own account and that account's sync.
    reported = runner.invoke(app, [*db, "report", "schools", str(tmp_path / "out"), "--json"])
    assert reported.exit_code == 0, reported.output
    paths = {f["institution_code"]: f["path"] for f in payload(reported.stdout)["files"]}
    summaries = {}
    for code, path in paths.items():
        rows = load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True)
        summaries[code] = {field: value for field, value in rows}
    assert summaries["0201"]["The school's Zoom account"] == SUB
    assert summaries["0101"]["The school's Zoom account"] == "sandbox"
    assert summaries["0201"]["Zoom account"] == "sandbox"  # the run's account, in the provenance
    with Session(make_engine(sqlite_url)) as session:
        newest = select(AccountSnapshot.account, func.max(AccountSnapshot.observed_at))  # type: ignore[call-overload]
        synced_at = dict(session.execute(newest.group_by(AccountSnapshot.account)).all())
    written_at = summaries["0201"]["Zoom data observed at (UTC)"]
    assert abs(written_at - synced_at[SUB].replace(tzinfo=None)) < timedelta(milliseconds=1)  # Excel keeps ms
