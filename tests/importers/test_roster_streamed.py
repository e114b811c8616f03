"""A roster written while it is validated (SQLite: the people, and the memberships of people new
to the database, go to Writer.behind as the rows come) leaves what writing it at the end leaves:
the same people with the same ids, the same memberships, batches, audit and reports, and the
same roster as the plan loads it, over a sequence of imports (first, changed, back again)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from importers import import_roster, roster_write
from models.db import dispose_engines, make_engine
from models.reader import connect
from models.writer import writing
from provision.cli import app
from provision.store.loaders import load_desired
from tests.cli.envelope import payload
from tests.importers.conftest import write_csv, write_xlsx
from tests.importers.test_roster_plain import HEADER, _database
from tests.provision.test_planning import seed_zoom

SCHOOL_CODES = ("0421", "0422")


def _rows(n: int, *, shift: int = 0, renamed: int = -1) -> list[list[str]]:
    roles = ("вчитель", "учень", "учень", "директор")
    rows = []
    for i in range(shift, n + shift):
        given = f"Ім'я {i}" if i != renamed else "Нове ім'я"
        rows.append(["Ткачук", given, f"p{i}@school.ua", roles[i % 4], SCHOOL_CODES[i % 2]])
        if i % 7 == 0:  # in both schools: primary where listed first
            rows.append(["Ткачук", given, f"p{i}@school.ua", "вчитель", SCHOOL_CODES[(i + 1) % 2]])
    return [HEADER, *rows]


def _contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    reader = connect(url)
    try:
        return {
            "person": reader.rows("SELECT id, email, given_name, family_name FROM person ORDER BY id"),
            # membership ids follow the order the rows were written in: compared by their key
            "membership": reader.rows(
                "SELECT person_id, institution_id, role, is_primary, active, joined_at, left_at, "
                "batch_id, priority, position FROM membership ORDER BY person_id, institution_id"
            ),
            "batch": reader.rows(
                "SELECT id, kind, file_name, sheet, rows_accepted, rows_rejected, committed "
                "FROM import_batch ORDER BY id"
            ),
            "audit": reader.rows("SELECT action, actor, person_email FROM audit_event ORDER BY id"),
        }
    finally:
        reader.close()


def _people(url: str) -> list[object]:
    """The roster as the plan loads it, by email."""
    reader = connect(url)
    try:
        return sorted(load_desired(reader).people.items())
    finally:
        reader.close()


def _plan(url: str) -> dict[str, object]:
    """`provision plan --json` on a Zoom snapshot with fewer seats than teachers: the seats'
    shares and the order of who waits come from the roster as the plan loads it."""
    seed_zoom(make_engine(url), [("p0@school.ua", 1, "active")], purchased=2_000)
    try:
        result = CliRunner().invoke(app, ["--db", url, "plan", "--json"])
    finally:
        dispose_engines()
    assert result.exit_code in (0, 1), result.output
    data = payload(result.stdout)
    data.pop("created_at", None)
    return data


def test_written_meanwhile_or_at_the_end_the_same_roster(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = _database(sqlite_url, tmp_path)
    at_end = _database(f"sqlite:///{tmp_path / 'at_end.db'}", tmp_path)
    files = [
        write_xlsx(tmp_path / "first.xlsx", {"roster": _rows(12_000)}),
        # 1,000 left, 1,000 new, a name changed
        write_csv(tmp_path / "second.csv", _rows(12_000, shift=1_000, renamed=5_000), encoding="utf-8"),
        write_xlsx(tmp_path / "first-again.xlsx", {"roster": _rows(12_000)}),
    ]
    whole_table = roster_write._whole_table
    for day, path in enumerate(files, start=1):
        # both databases at the same moments: the times stored (joined, left) compare too
        with time_machine.travel(datetime(2026, 9, day, 9, 0, tzinfo=UTC), tick=False):
            with writing(streamed) as writer:
                a = import_roster(writer, path, actor="tester", allow_shrink=True)
            with monkeypatch.context() as m:
                # a school's roster against a big table: people looked up by email, written at the end
                m.setattr(roster_write, "_whole_table", lambda w, listed: False)
                with writing(at_end) as writer:
                    b = import_roster(writer, path, actor="tester", allow_shrink=True)
        assert a.to_data() == b.to_data()
        assert a.committed
    assert whole_table is roster_write._whole_table
    got, expected = _contents(streamed), _contents(at_end)
    assert len(got["membership"]) > 13_000
    for table in expected:
        assert got[table] == expected[table], table
    # the rows come back in another order (membership ids follow the writing order), not the plan
    assert _people(streamed) == _people(at_end)
    assert _plan(streamed) == _plan(at_end)
