"""Writer.insert_many on SQLite: a large batch goes in as one JSON array through json_each, and
the table then holds exactly what binding row by row leaves: the values, their SQL types, the
order and the rowids. A value JSON would carry another way keeps the row-by-row way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from models import writer as writer_module
from models.writer import Writer

pytestmark = pytest.mark.skipif(not writer_module._JSON_ARROWS, reason="SQLite < 3.38: row by row only")

ODD_TEXT = [
    "plain",
    "Шевченко Тарас",
    "عبد الله",
    'O\'Brien "the" \\ back',
    "line\nbreak\ttab",
    "\x01control\x7f",
    "😀 emoji",
    "",
]


def _rows(n: int) -> list[tuple[Any, ...]]:
    out = []
    for i in range(n):
        text = ODD_TEXT[i % len(ODD_TEXT)]
        number: Any = [0, -1, 2**62, 7][i % 4]
        real: Any = [0.5, 1.0, 1e300, None][i % 4]
        flag: Any = [True, False, None][i % 3]
        out.append((f"{text}-{i}", number, real, flag))
    return out


def _table(path: Path) -> Writer:
    connection = sqlite3.connect(path)
    # No declared types: every value keeps the SQL type it was given (affinity would hide a change).
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d, batch, stamp)")
    return Writer(connection, "sqlite")


def _stored(w: Writer) -> list[tuple[Any, ...]]:
    columns = ", ".join(f"{c}, typeof({c})" for c in ("a", "b", "c", "d", "batch", "stamp"))
    return w.rows(f"SELECT id, {columns} FROM t ORDER BY id")


def _insert(
    path: Path, rows: list[tuple[Any, ...]], *, json: bool, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    arrays: list[str | None] = []
    with monkeypatch.context() as m:
        if not json:
            m.setattr(writer_module, "JSON_MIN_ROWS", 10**9)
        as_json = writer_module._json_rows
        m.setattr(writer_module, "_json_rows", lambda chunk: arrays.append(as_json(chunk)) or arrays[-1])
        w = _table(path)
        w.execute("INSERT INTO t (a) VALUES ('before')")  # rowids continue after what is there
        w.insert_many("t", ("a", "b", "c", "d"), rows, {"batch": 7, "stamp": "2026-11-30 10:00:00.000000"})
        w.commit()
        stored = _stored(w)
        w.close()
    assert bool(arrays) == json
    assert not json or arrays[0] is not None
    return stored


def test_one_json_array_stores_what_row_by_row_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(2_500)
    expected = _insert(tmp_path / "rows.db", rows, json=False, monkeypatch=monkeypatch)
    got = _insert(tmp_path / "json.db", rows, json=True, monkeypatch=monkeypatch)
    assert got == expected
    assert len(got) == 2_501
    assert {row[2] for row in got[1:]} == {"text"}  # the text stayed text, odd characters and all
    assert [row[0] for row in got] == list(range(1, 2_502))


def test_a_value_json_would_change_keeps_the_row_by_row_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bytes are a BLOB when bound; JSON has no bytes. The second chunk holds them: the first
    # chunk went in as JSON, the rest row by row, each row once and in order.
    monkeypatch.setattr(writer_module, "JSON_CHUNK_ROWS", 1_000)
    rows = _rows(2_500)
    rows[1_500] = (b"\x00\x01 raw", 1, 0.5, True)
    expected = _insert(tmp_path / "rows.db", rows, json=False, monkeypatch=monkeypatch)
    got = _insert(tmp_path / "json.db", rows, json=True, monkeypatch=monkeypatch)
    assert got == expected
    assert got[1_501][1:3] == (b"\x00\x01 raw", "blob")
