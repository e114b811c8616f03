"""The roster import through the database driver alone (models.writer), as `provision import
roster` runs it: the same rows as through a SQLAlchemy session, the same schema after, the same
lock, and none of the engine stack loaded (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from importers import import_roster, import_schools
from importers.errors import FileFormatError
from importers.extent import check_xlsx_extent
from models.db import dispose_engines, init_db, make_engine, session_scope
from models.errors import LockedError
from models.locks import ROSTERS, operation_lock
from models.reader import connect
from models.writer import writing
from tests.cli.loaded import loaded_by
from tests.importers.conftest import SCHOOLS, write_csv, write_xlsx, write_xlsx_xml

REPO = Path(__file__).resolve().parents[2]
HEADER = ["Прізвище", "Ім'я", "Електронна пошта", "Посада", "Код закладу"]
FIRST = [
    HEADER,
    ["Шевченко", "Тарас", "  Taras@School.UA ", "вчитель", "0421"],
    ["Франко", "Іван", "franko@school.ua", "директор", "0421"],
    ["Українка", "Леся", "lesya@school.ua", "учень", "0422"],
    ["Шевченко", "Тарас", "taras@school.ua", "вчитель", "0422"],
]
# a changed name, a changed role, one leaving 0421, one new
SECOND = [
    HEADER,
    ["Шевченко", "Тарас Григорович", "taras@school.ua", "вчитель", "0421"],
    ["Українка", "Леся", "lesya@school.ua", "вчитель", "0422"],
    ["Коцюбинський", "Михайло", "mykhailo@school.ua", "вчитель", "0421"],
]
# Columns holding times (the moment of each run) and the notes that quote them.
TIMES = {"created_at", "updated_at", "joined_at", "left_at", "started_at", "at"}
TABLES = ("person", "membership", "import_batch", "rejected_row", "audit_event")


def _database(url: str, folder: Path) -> str:
    engine = make_engine(url)
    init_db(engine)
    schools = folder / "schools.xlsx"  # written once: openpyxl stamps the time into the file
    if not schools.exists():
        write_xlsx(schools, {"schools": SCHOOLS})
    with session_scope(engine) as session:
        assert import_schools(session, schools, actor="tester").committed
    return url


def _contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    reader = connect(url)
    try:
        out = {}
        for table in TABLES:
            columns = [c for c in _columns(reader, table) if c not in TIMES]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = reader.rows(f"SELECT {quoted} FROM {table} ORDER BY id")
            out[table] = [tuple(_plain(v) for v in row) for row in rows]
        return out
    finally:
        reader.close()


def _columns(reader: object, table: str) -> list[str]:
    rows = reader.rows(f"SELECT * FROM {table} WHERE 1 = 0")  # type: ignore[attr-defined]
    assert rows == []
    cursor = reader.connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        return [d[0] for d in cursor.description]
    finally:
        cursor.close()


def _plain(value: object) -> object:
    # JSON as text on SQLite, as data on PostgreSQL; a note may quote the minute of an import
    if isinstance(value, str) and value[:1] in "{[":
        value = json.loads(value)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "notes"}
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


@pytest.fixture
def two_databases(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The same schools in two databases: one written through a session, one through the driver."""
    first = _database(database_url, tmp_path)
    if database_url.startswith("sqlite"):
        yield first, _database(f"sqlite:///{tmp_path / 'plain.db'}", tmp_path)
        return
    # a second schema beside the fixture's, dropped after
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    base, _, _ = database_url.partition("?")
    plain = "postgresql://" + base.split("://", 1)[1]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield first, _database(f"{base}?options=-csearch_path%3D{schema}", tmp_path)
    finally:
        dispose_engines()
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_driver_and_session_write_the_same_rows(two_databases: tuple[str, str], tmp_path: Path) -> None:
    by_session, by_driver = two_databases
    for n, rows in enumerate((FIRST, SECOND, FIRST)):
        path = write_csv(tmp_path / f"roster{n}.csv", rows, encoding="utf-8")
        with session_scope(make_engine(by_session)) as session:
            expected = import_roster(session, path, actor="tester", allow_shrink=True)
        with writing(by_driver) as writer:
            got = import_roster(writer, path, actor="tester", allow_shrink=True)
        assert got.to_data() == expected.to_data()
    got_rows, expected_rows = _contents(by_driver), _contents(by_session)
    for table in TABLES:
        for a, b in zip(got_rows[table], expected_rows[table], strict=True):
            assert a == b, table


def test_a_first_roster_leaves_the_schema_as_it_was(sqlite_url: str, tmp_path: Path) -> None:
    url = _database(sqlite_url, tmp_path)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    before = connect(url).rows(schema)
    path = write_csv(tmp_path / "roster.csv", FIRST, encoding="utf-8")
    with writing(url) as writer:
        assert import_roster(writer, path, actor="tester").committed
    reader = connect(url)
    assert reader.rows(schema) == before
    assert reader.rows("PRAGMA integrity_check") == [("ok",)]
    reader.close()


def test_a_refused_roster_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    url = _database(sqlite_url, tmp_path)
    before = _contents(url)
    rows = [*FIRST, ["Петренко", "Петро", "not an email", "вчитель", "0421"]]
    path = write_csv(tmp_path / "roster.csv", rows, encoding="utf-8")
    with writing(url) as writer:
        report = import_roster(writer, path, actor="tester")
    assert not report.committed
    assert report.rejected
    assert _contents(url) == before


def test_the_driver_import_holds_the_rosters_lock(database_url: str, tmp_path: Path) -> None:
    url = _database(database_url, tmp_path)
    path = write_csv(tmp_path / "roster.csv", FIRST, encoding="utf-8")
    engine: Engine = make_engine(url)
    with operation_lock(engine, ROSTERS), pytest.raises(LockedError, match="rosters"), writing(url) as writer:
        import_roster(writer, path, actor="tester")


def test_the_command_loads_no_engine(database_url: str, tmp_path: Path) -> None:
    url = _database(database_url, tmp_path)
    path = write_csv(tmp_path / "roster.csv", FIRST, encoding="utf-8")
    code, modules, _ = loaded_by("import", "roster", str(path), tmp_path=tmp_path, env={"DATABASE_URL": url})
    assert code in (0, None)
    assert {"sqlalchemy", "sqlmodel", "alembic"}.isdisjoint(modules)
    assert _contents(url)["membership"]


def _sheet(cells: str) -> str:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )


@pytest.mark.parametrize(
    ("cells", "max_cells", "refused"),
    [
        ('<row r="1"><c r="A1"/><c r="E1"/></row><row r="300000"><c r="B300000"/></row>', 5_000_000, None),
        ('<row r="1"><c r="Z1"/></row><row r="300000"><c r="B300000"/></row>', 5_000_000, "A1:Z300000"),
        ('<row r="1"><c r="A1"/><c r="AB1"/></row><row r="99999"><c r="A99999"/></row>', 5_000_000, None),
        ('<row r="1"><c r="A1"/><c r="XFD1"/></row><row r="400"><c r="A400"/></row>', 5_000_000, "A1:XFD400"),
        ('<row r="1"><c r="A1"/><c r="C1"/></row><row r="40"><c r="A40"/></row>', 100, "A1:C40"),
        ('<row r="1"><c r="A1"/><c r="B1"/></row><row r="40"><c r="A40"/></row>', 100, None),
    ],
)
def test_the_extent_check_matches_only_the_rare_cells_yet_misses_none(
    cells: str, max_cells: int, refused: str | None, tmp_path: Path
) -> None:
    path = write_xlsx_xml(tmp_path / "sheet.xlsx", "s", _sheet(cells))
    if refused:
        with pytest.raises(FileFormatError, match=f"uses the range {refused} "):
            check_xlsx_extent(str(path), "sheet.xlsx", max_cells)
    else:
        check_xlsx_extent(str(path), "sheet.xlsx", max_cells)
