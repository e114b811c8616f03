"""The console command's entry (provision.launch): it finds a roster workbook in argv and reads it
ahead while the CLI loads; the import then takes those sheets (importers.ahead)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from models.db import dispose_engines
from provision.cli import app
from provision.launch import ROOT_VALUED, ROSTER_VALUED, roster_file
from tests.importers.conftest import SCHOOLS, write_xlsx
from tests.importers.test_roster_plain import HEADER, _contents

CONSOLE = Path(sys.executable).parent / "provision"


@pytest.mark.parametrize(
    ("argv", "file"),
    [
        (["import", "roster", "r.xlsx"], "r.xlsx"),
        (
            ["--db", "sqlite:///x.db", "--wait", "3", "import", "roster", "--school", "0421", "r.xlsx"],
            "r.xlsx",
        ),
        (
            ["--db=sqlite:///x.db", "-q", "import", "roster", "r.xlsx", "--json", "--rejects-out", "o.xlsx"],
            "r.xlsx",
        ),
        (["import", "roster", "--dry-run", "--", "-r.xlsx"], "-r.xlsx"),
        (["import", "schools", "s.xlsx"], None),
        (["import", "roster", "--help"], None),
        (["-h", "import", "roster", "r.xlsx"], None),
        (["import", "roster", "--rejects-dir", "out"], None),
        (["plan", "roster", "r.xlsx"], None),
        (["--db", "import", "roster", "r.xlsx"], None),  # "import" is --db's value: no roster
    ],
)
def test_the_roster_file_is_found_where_the_cli_takes_it(argv: list[str], file: str | None) -> None:
    assert roster_file(argv) == (Path(file) if file else None)


def _valued(params: list[object]) -> set[str]:
    return {
        opt
        for p in params
        if getattr(p, "param_type_name", "") == "option" and not getattr(p, "is_flag", False)
        for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])
    }


def test_the_options_that_take_a_value_are_the_clis_own() -> None:
    root = typer.main.get_command(app)
    roster = root.commands["import"].commands["roster"]  # type: ignore[attr-defined]
    assert _valued(root.params) == ROOT_VALUED
    assert _valued(roster.params) == ROSTER_VALUED


@pytest.mark.skipif(not CONSOLE.exists(), reason="the project is not installed here (no console script)")
def test_the_console_command_imports_what_it_read_ahead(tmp_path: Path) -> None:
    rows = [HEADER, *[["Коваль", f"Анна {i}", f"anna{i}@school.ua", "учень", "0421"] for i in range(1_500)]]
    roster = write_xlsx(tmp_path / "roster.xlsx", {"roster": rows})
    schools = write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    by_console, in_process = (f"sqlite:///{tmp_path / name}" for name in ("console.db", "cli.db"))
    try:
        for url in (by_console, in_process):
            assert CliRunner().invoke(app, ["--db", url, "import", "schools", str(schools)]).exit_code == 0
        result = CliRunner().invoke(app, ["--db", in_process, "import", "roster", str(roster)])
        assert result.exit_code == 0, result.output
    finally:
        dispose_engines()
    proc = subprocess.run(
        [str(CONSOLE), "--debug", "--db", by_console, "import", "roster", str(roster)],
        capture_output=True,
        text=True,
        env={**os.environ, "PROVISION_ACTOR": "cli-tester"},
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "roster.xlsx: read ahead while the command started" in proc.stderr
    got, expected = _contents(by_console), _contents(in_process)
    assert len(got["membership"]) == 1_500
    assert got["person"] == expected["person"]
    assert got["membership"] == expected["membership"]
