"""A command imports only what it uses: `provision --help`, a Tab and a question on the phone must
not wait for the importers, the Zoom client, openpyxl or Alembic to load.

Checked on sys.modules of a fresh interpreter (never timed here: bench/cli/run.py measures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from models.db import head_from_scripts, head_revision
from tests.cli.loaded import loaded_by
from tests.provision.ops_data import make_db, seed

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "httpx", "openpyxl", "python_calamine", "importers", "zoom_client")
# Imported by every command that reaches the database; never by a read-only question, which
# reads through the database driver alone (models.reader).
NOT_FOR_QUESTIONS = (
    "alembic",
    "sqlalchemy",
    "sqlmodel",
    "httpx",
    "openpyxl",
    "python_calamine",
    "zoom_client",
    "importers.roster",
)


def packages(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_importing_the_cli_loads_no_database_spreadsheet_or_zoom_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import json, sys, provision.cli; print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    assert packages(set(json.loads(proc.stdout)), HEAVY) == []


def test_help_and_tab_completion_load_none_of_them_either(tmp_path: Path) -> None:
    code, modules, _ = loaded_by("--help", tmp_path=tmp_path)
    assert code == 0
    assert packages(modules, HEAVY) == []
    code, modules, _ = loaded_by("school", "--help", tmp_path=tmp_path)
    assert code == 0
    assert packages(modules, HEAVY) == []
    tab = {"_PROVISION_COMPLETE": "complete_bash", "COMP_WORDS": "provision sch", "COMP_CWORD": "1"}
    code, modules, shown = loaded_by(tmp_path=tmp_path, env=tab)
    assert code == 0
    assert shown.split() == ["schools", "school"]
    assert packages(modules, HEAVY) == []


def test_a_question_on_the_phone_loads_neither_alembic_nor_the_importers_nor_zoom(
    database_url: str, tmp_path: Path
) -> None:
    seed(make_db(database_url))  # a database at the newest schema revision
    code, modules, _ = loaded_by("--db", database_url, "school", "0421", "--json", tmp_path=tmp_path)
    assert code == 0
    assert packages(modules, NOT_FOR_QUESTIONS) == []
    code, modules, _ = loaded_by("--db", database_url, "person", "Olena@School.ua", tmp_path=tmp_path)
    assert code == 0
    assert packages(modules, NOT_FOR_QUESTIONS) == []


def test_an_unknown_school_still_answers_exit_2_without_loading_them(
    database_url: str, tmp_path: Path
) -> None:
    seed(make_db(database_url))
    code, modules, _ = loaded_by("--db", database_url, "school", "9999", tmp_path=tmp_path)
    assert code == 2
    assert packages(modules, NOT_FOR_QUESTIONS) == []


def test_a_question_on_a_database_of_another_schema_version_is_refused_as_any_command(
    database_url: str, tmp_path: Path
) -> None:
    # The light path reads only a database at the newest revision; any other goes through the
    # same check (upgrade, or refusal) as every command.
    engine = make_db(database_url)
    seed(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from provision.cli import main; main()",
            "--db",
            database_url,
            "school",
            "0421",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "9999" in proc.stderr
    assert "0421" not in proc.stdout


def test_the_start_up_schema_check_reads_the_same_head_as_alembic() -> None:
    # Every command compares the database's revision with this, read from the migration files'
    # text; Alembic is the authority it must agree with.
    assert head_from_scripts() == head_revision()


def test_every_public_name_of_the_lazy_packages_resolves() -> None:
    # models and importers load their submodules on first use (PEP 562): a name listed in
    # __all__ but missing from the table that says where it lives would fail only when used.
    import importers
    import models

    for package in (importers, models):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
