"""A workbook read ahead (importers.ahead, started by the console command before the CLI loads)
is only a shortcut: the import takes those sheets only for the very file it imports, unchanged
since the read began; anything else is read again, and files the checks refuse are never parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from importers import ahead, import_roster
from importers.roster_write import _People
from models.reader import connect
from models.writer import writing
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


def test_ids_told_wrong_are_checked_and_the_memberships_built_again(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite gives new rows the largest id plus one; were it ever otherwise, the memberships
    # built with the ids told ahead must not point at the wrong people.
    url = _database(sqlite_url, tmp_path)
    tell = _People.tell_ids

    def wrong(self: _People) -> bool:
        told = tell(self)
        assert told
        assert self.told is not None
        self.told = range(self.told.start + 1_000, self.told.stop + 1_000)
        for email, _, _ in self.new:
            self.ids[email] += 1_000
        return told

    monkeypatch.setattr(_People, "tell_ids", wrong)
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
