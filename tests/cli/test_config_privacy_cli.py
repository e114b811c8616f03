"""Configuration errors exit 2 naming the value (password masked); files holding personal data
are created 0600 whatever the umask; --dry-run writes nothing but what it prints."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from models.db import dispose_engines
from provision.cli import app
from tests.importers.conftest import SCHOOLS, write_xlsx
from zoom_client.sandbox import Sandbox, SandboxConfig


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["--actor", "cli-tester", *args], env=env)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 000: what the process would give everyone if we left the mode to it."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)
        dispose_engines()


def squeeze(text: str) -> str:
    """The text without whitespace: rich wraps long paths at the terminal's width."""
    return "".join(text.split())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("url", "shown", "hidden", "why"),
    [
        (
            "mysql://ops:s3cret@db.example/provision",
            "mysql://ops:***@db.example/provision",
            "s3cret",
            "mysql",
        ),
        ("not a url", "not a url", None, "is not a URL"),
        (
            "postgres://ops:s3 cret@host:port/x",
            "postgresql+psycopg://ops:***@host:port/x",
            "s3 cret",
            "not a URL",
        ),
        ("postgresql+pg8000://ops:s3cret@h/d", "postgresql+pg8000://ops:***@h/d", "s3cret", "pg8000"),
        # read commands say "no database at …", an import that the folder does not exist
        ("sqlite:////no/such/folder/p.db", "sqlite:////no/such/folder/p.db", None, "/no/such/folder"),
    ],
)
def test_bad_database_url_exits_2_naming_it_masked(
    url: str, shown: str, hidden: str | None, why: str
) -> None:
    for args, env in (
        (["schools"], {"DATABASE_URL": url}),
        (["--db", url, "import", "schools", "x.xlsx"], None),
    ):
        result = run(*args, env=env)
        assert result.exit_code == 2, result.output
        flat = squeeze(result.stderr)
        assert squeeze(shown) in flat
        assert squeeze(why) in flat
        assert "internal error" not in flat
        if hidden:
            assert hidden not in result.output
    as_json = run("schools", "--json", env={"DATABASE_URL": url})
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)["error"]
    assert squeeze(why) in squeeze(error["message"])
    assert error["type"] in ("DatabaseURLError", "InputError")


def test_database_error_names_the_database(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database, just bytes " * 200)
    result = run("--db", f"sqlite:///{broken}", "schools")
    assert result.exit_code == 2  # the operator's to point elsewhere: no rerun mends it
    flat = squeeze(result.stderr)
    assert squeeze(f"database error (sqlite:///{broken}): file is not a database") in flat
    assert squeeze("a rerun will not help") in flat


def test_personal_data_files_are_0600_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "provision.db"
    url = f"sqlite:///{db}"
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    roster = write_xlsx(
        tmp_path / "r.xlsx",
        {
            "0421": [
                ["Email", "Name", "Role"],
                ["a@s.ua", "Anna Koval", "teacher"],
                ["broken", "X Y", "teacher"],
            ]
        },
    )
    assert run("--db", url, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
    assert run("--db", url, "import", "roster", str(roster), "--skip-invalid").exit_code == 0
    # the engine is still open (cached): SQLite's -wal and -shm files are beside the database
    wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
    assert wal.exists()
    assert shm.exists()
    Sandbox(SandboxConfig(seats=5)).save(tmp_path / "sandbox-state.json")
    os.chmod(tmp_path / "sandbox-state.json", 0o600)  # the seed file is the test's own
    assert run("--db", url, "--sandbox", "sync").exit_code == 0
    assert run("--db", url, "--sandbox", "plan", "--out", str(tmp_path / "plan.json")).exit_code == 0
    assert run("--db", url, "--sandbox", "apply", "--yes").exit_code == 0
    assert run("--db", url, "audit", "export", str(tmp_path / "audit.xlsx")).exit_code == 0
    private = [
        db,
        wal,
        shm,
        *(tmp_path / "rejects").glob("*.xlsx"),
        tmp_path / "sandbox-state.json",
        tmp_path / "plan.json",
        tmp_path / "audit.xlsx",
        *tmp_path.glob("*.lock"),
    ]
    assert any(p.name.endswith(".lock") for p in private)
    assert any(p.parent.name == "rejects" for p in private)
    assert {p.name: oct(mode(p)) for p in private} == {p.name: oct(0o600) for p in private}


def test_dry_run_writes_nothing_but_what_it_prints(tmp_path: Path) -> None:
    roster = write_xlsx(
        tmp_path / "r.csv.xlsx",
        {
            "0421": [
                ["Email", "Name", "Role", "School"],
                ["a@s.ua", "Anna Koval", "teacher", "0421"],
                ["broken", "X Y", "teacher", "0421"],
            ]
        },
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(
        "--db", f"sqlite:///{tmp_path / 'provision.db'}", "import", "roster", str(roster), "--dry-run"
    )
    assert result.exit_code == 2  # the rows are rejected (no such school in an empty database)
    assert "unknown school code" in result.stderr
    assert "were not written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no database, no rejects file
    asked = tmp_path / "out" / "rejects.xlsx"
    result = run(
        "--db",
        f"sqlite:///{tmp_path / 'provision.db'}",
        "import",
        "roster",
        str(roster),
        "--dry-run",
        "--rejects-out",
        str(asked),
    )
    assert result.exit_code == 2
    assert asked.exists()
    assert not (tmp_path / "provision.db").exists()


def test_an_unreadable_policy_exits_2_naming_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    try:
        assert run("--db", url, "import", "schools", str(tmp_path / "schools.xlsx")).exit_code == 0
        (tmp_path / "policy-folder").mkdir()
        (tmp_path / "latin1.toml").write_bytes("licensed_roles = ['é']".encode("latin-1"))
        for policy, why in (
            ("policy-folder", "cannot read the policy file"),
            ("latin1.toml", "cannot read the policy file"),
            ("missing.toml", "policy file not found"),
        ):
            result = run(
                "--db", url, "--sandbox", "plan", env={"PROVISION_POLICY_FILE": str(tmp_path / policy)}
            )
            assert result.exit_code == 2, result.output
            assert squeeze(f"{tmp_path / policy}: {why}") in squeeze(result.stderr)
    finally:
        dispose_engines()
