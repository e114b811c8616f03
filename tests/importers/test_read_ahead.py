"""A workbook read ahead (importers.ahead, started by the console command before the CLI loads)
is only a shortcut: the import takes those sheets only for the very file it imports, unchanged
since the read began; anything else is read again, and files the checks refuse are never parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from importers import ahead, import_roster, roster_write
from models.reader import connect
from models.writer import Writer, writing
from tests.importers.conftest import write_csv, write_xlsx
from tests.importers.test_roster_plain import FIRST, HEADER, SECOND, _contents, _database


@pytest.fixture(autouse=True)
def nothing_pending() -> Iterator[None]:
    yield
    ahead._pending.clear()


def _roster(path: Path, rows: list[list[str]]) -> Path:
    return write_xlsx(path, {"roster": rows})


def test_the_import_takes_the_sheets_read_ahead(sqlite_url: str, tmp_path: Path) -> None:
    url = _database(sqlite_url, tmp_path)
    path = _roster(tmp_path / "roster.xlsx", FIRST)
    assert ahead.start(path)
    with writing(url) as writer:
        report = import_roster(writer, path, actor="tester")
    assert report.committed
    assert report.rows_accepted == 4
    assert not ahead._pending  # taken, not left behind
    # the same rows as an import that read the file itself
    other = _database(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    with writing(other) as writer:
        import_roster(writer, path, actor="tester")
    assert _contents(url) == _contents(other)


def test_a_file_changed_since_the_read_began_is_read_again(sqlite_url: str, tmp_path: Path) -> None:
    url = _database(sqlite_url, tmp_path)
    path = _roster(tmp_path / "roster.xlsx", FIRST)
    assert ahead.start(path)
    _roster(tmp_path / "new.xlsx", SECOND)
    os.replace(tmp_path / "new.xlsx", path)  # as an office saves: a new file under the old name
    with writing(url) as writer:
        report = import_roster(writer, path, actor="tester", allow_shrink=True)
    assert report.rows_accepted == 3  # SECOND's rows, not FIRST's
    emails = {e for (e,) in connect(url).rows("SELECT email FROM person")}
    assert "mykhailo@school.ua" in emails
    assert "franko@school.ua" not in emails


def test_only_workbooks_the_checks_pass_are_read_ahead(tmp_path: Path) -> None:
    assert not ahead.start(tmp_path / "missing.xlsx")
    assert not ahead.start(write_csv(tmp_path / "roster.csv", FIRST, encoding="utf-8"))
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert not ahead.start(empty)
    assert not ahead._pending


def test_ids_sqlite_did_not_give_one_after_another_are_read_back(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # New people's ids are taken as the consecutive rowids SQLite gives (checked by a count);
    # where that check fails, they are read back by email, and every membership still points
    # at its own person.
    url = _database(sqlite_url, tmp_path)
    monkeypatch.setattr(Writer, "new_ids", lambda self, table, largest, count: None)
    rows = [HEADER, *[["Ткачук", f"Ім'я {i}", f"p{i}@school.ua", "учень", "0421"] for i in range(1_200)]]
    path = write_csv(tmp_path / "roster.csv", rows, encoding="utf-8")
    with writing(url) as writer:
        assert import_roster(writer, path, actor="tester").committed
    pairs = connect(url).rows(
        "SELECT person.email, person.given_name FROM membership "
        "JOIN person ON person.id = membership.person_id"
    )
    assert len(pairs) == 1_200
    assert all(given == f"Ім'я {email[1:].split('@')[0]}" for email, given in pairs)


def test_people_written_while_validating_are_stored_only_with_their_memberships(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The people of a big roster are inserted while its rows are still validated; a failure
    # after that (here: making the memberships) must leave the database as it was.
    url = _database(sqlite_url, tmp_path)
    before = _contents(url)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(roster_write, "_membership_rows", broken)
    rows = [HEADER, *[["Ткачук", f"Ім'я {i}", f"p{i}@school.ua", "учень", "0421"] for i in range(25_000)]]
    path = write_csv(tmp_path / "roster.csv", rows, encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk is full"), writing(url) as writer:
        import_roster(writer, path, actor="tester")
    assert _contents(url) == before


def test_a_refused_big_roster_takes_back_the_people_written_meanwhile(
    sqlite_url: str, tmp_path: Path
) -> None:
    url = _database(sqlite_url, tmp_path)
    before = _contents(url)
    rows = [HEADER, *[["Ткачук", f"Ім'я {i}", f"p{i}@school.ua", "учень", "0421"] for i in range(25_000)]]
    rows.append(["Ткачук", "Остап", "not an email", "учень", "0421"])  # the last row: after the rest
    path = write_csv(tmp_path / "roster.csv", rows, encoding="utf-8")
    with writing(url) as writer:
        report = import_roster(writer, path, actor="tester")
    assert not report.committed
    assert report.rows_rejected == 1
    assert _contents(url) == before
