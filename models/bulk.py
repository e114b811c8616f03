"""Set-based writes for imports and snapshots: one statement per chunk, not an ORM add per row.

`bulk_upsert` is INSERT ... ON CONFLICT (keys) DO UPDATE on both SQLite and PostgreSQL; it only
touches a row whose values really changed, so `updated_at` means something and a re-import of
an unchanged roster writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, Connection, Table, cast, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

CHUNK_ROWS = 5_000
Row = Mapping[str, Any]
TableLike = type[SQLModel] | Table


def _resolve(table: TableLike) -> tuple[Table, type[SQLModel] | None]:
    if isinstance(table, Table):
        for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
            if mapper.local_table is table:
                return table, mapper.class_
        return table, None
    return table.__table__, table  # type: ignore[attr-defined]


def _defaults(table: Table, model: type[SQLModel] | None) -> dict[str, Any]:
    """Python-side defaults of the model, evaluated once per call (one timestamp per batch)."""
    values: dict[str, Any] = {}
    if model is None:
        return values
    for name, field in model.model_fields.items():
        if name not in table.c or table.c[name].primary_key:
            continue
        if field.default_factory is not None:
            values[name] = field.default_factory()  # type: ignore[call-arg]
        elif field.default is not PydanticUndefined:
            values[name] = field.default
    return values


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _differs(current: Any, incoming: Any, dialect: str) -> Any:
    # PostgreSQL's json type has no equality operator; jsonb compares by value.
    if dialect == "postgresql" and isinstance(current.type, JSON):
        return cast(current, JSONB).is_distinct_from(cast(incoming, JSONB))
    return current.is_distinct_from(incoming)


def _dedupe(rows: list[Row], keys: Sequence[str]) -> list[Row]:
    # PostgreSQL refuses to update one row twice in a statement; the last occurrence wins.
    key = itemgetter(*keys)
    by_key: dict[Any, Row] = {}
    for row in rows:
        by_key[key(row)] = row
    if len(by_key) == len(rows):
        return rows
    return list(by_key.values())


def _execute(
    conn: Connection,
    tbl: Table,
    stmt: Any,
    given: list[str],
    constants: dict[str, Any],
    rows: list[Row],
) -> int:
    """Run `stmt` once per row through the driver's executemany, binding values ourselves.

    SQLAlchemy's own executemany converts every value of every row through the column types;
    for 100,000 rows that costs more than the database's work. Here a value the whole batch
    shares (the model's defaults: one timestamp per batch) is converted once, and only the
    columns the caller gave are converted per row, and only where the type needs it.
    """
    dialect = conn.dialect
    cols = given + [c for c in constants if c not in given]
    # for_executemany: no RETURNING of the new ids (we do not fetch them row by row).
    compiled = stmt.compile(dialect=dialect, column_keys=cols, for_executemany=True)
    escaped = dict(getattr(compiled, "escaped_bind_names", None) or {})
    procs = {c: tbl.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in cols}
    fixed = {c: (procs[c](v) if procs[c] else v) for c, v in constants.items() if c not in given}
    converted = [(c, p) for c in given if (p := procs[c]) is not None]
    params: list[Any] = []
    if compiled.positional:
        # Column by column (one list per given column, the shared constants repeated), then
        # zipped into the row tuples: no per-row dict, the loops run inside comprehensions.
        names = {escaped.get(c, c): c for c in cols}
        layout = [names[k] for k in (compiled.positiontup or [])]
        picked: dict[str, list[Any]] = {}
        columns: list[Iterable[Any]] = []
        for c in layout:
            if c in fixed:
                columns.append(repeat(fixed[c], len(rows)))
                continue
            if c not in picked:
                got = [row[c] for row in rows]
                proc = procs[c]
                picked[c] = got if proc is None else [proc(v) for v in got]
            columns.append(picked[c])
        params = list(zip(*columns, strict=True))
    else:
        for row in rows:
            merged = {**fixed, **row}
            for c, p in converted:
                merged[c] = p(merged[c])
            if escaped:
                merged = {escaped.get(k, k): v for k, v in merged.items()}
            params.append(merged)
    result = conn.exec_driver_sql(str(compiled), params)
    return max(result.rowcount, 0)


def _prepare(tbl: Table, chunk: list[Row]) -> list[str]:
    """The columns the caller gave (the first row's; every row must carry the same)."""
    given = list(chunk[0].keys())
    for row in chunk:
        if row.keys() != chunk[0].keys():
            unknown = row.keys() - tbl.c.keys()
            if unknown:
                raise ValueError(f"{tbl.name} has no column {', '.join(sorted(unknown))}")
            raise ValueError(f"{tbl.name}: every row must carry the same columns ({', '.join(given)})")
    unknown = set(given) - set(tbl.c.keys())
    if unknown:
        raise ValueError(f"{tbl.name} has no column {', '.join(sorted(unknown))}")
    return given


def bulk_insert(
    session: Session, table: TableLike, rows: Iterable[Row], *, chunk_size: int = CHUNK_ROWS
) -> int:
    """Insert rows (mappings of column name to value), model defaults filled in; returns the count."""
    tbl, model = _resolve(table)
    defaults = _defaults(tbl, model)
    conn = session.connection()
    count = 0
    for chunk in _chunks(rows, chunk_size):
        given = _prepare(tbl, chunk)
        count += _execute(conn, tbl, insert(tbl), given, defaults, chunk)
    return count


def bulk_upsert(
    session: Session,
    table: TableLike,
    rows: Iterable[Row],
    keys: Sequence[str],
    *,
    update: Sequence[str] | None = None,
    chunk_size: int = CHUNK_ROWS,
) -> int:
    """Insert rows, or update the existing row with the same `keys` (a unique constraint).

    rows: mappings of column name to value, all with the same columns; the model's defaults
    fill the columns they leave out (created_at, updated_at: one timestamp per call).
    update: the columns to overwrite on conflict; default every column the rows carry except
    the keys, `id` and `created_at` (`updated_at` is refreshed with them). An empty sequence
    means "insert if absent, else leave alone". Rows whose values are unchanged are not
    written. Duplicate keys inside `rows`: the last one wins. Returns the number of rows
    inserted or changed.
    """
    tbl, model = _resolve(table)
    defaults = _defaults(tbl, model)
    for k in keys:
        if k not in tbl.c:
            raise ValueError(f"{tbl.name} has no column {k}")
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        make_insert: Any = postgresql.insert
    elif dialect == "sqlite":
        make_insert = sqlite.insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"bulk_upsert does not support {dialect}")

    written = 0
    for chunk in _chunks(rows, chunk_size):
        given = _prepare(tbl, chunk)
        missing = [k for k in keys if k not in given]
        if missing:
            raise ValueError(f"{tbl.name}: the rows lack the key column {', '.join(missing)}")
        cols = (
            [c for c in given if c not in keys and c not in ("id", "created_at")]
            if update is None
            else list(update)
        )
        stmt = make_insert(tbl)
        if cols:
            changed = [c for c in cols if c != "updated_at"]
            set_ = {c: stmt.excluded[c] for c in cols}
            if "updated_at" in tbl.c and "updated_at" not in set_:
                set_["updated_at"] = stmt.excluded["updated_at"]
            where = (
                or_(*(_differs(tbl.c[c], stmt.excluded[c], dialect) for c in changed)) if changed else None
            )
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        written += _execute(conn, tbl, stmt, given, defaults, _dedupe(chunk, keys))
    return written


def id_map(
    session: Session, table: TableLike, key: str, values: Iterable[Any] | None = None
) -> dict[Any, int]:
    """{key value: id} for the rows of `table` (all of them, or those whose key is in `values`)."""
    tbl, _ = _resolve(table)
    col = tbl.c[key]
    conn = session.connection()
    plain = all(
        c.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None) is None
        for c in (col, tbl.c.id)
    )
    if values is None and plain:
        # The driver's own cursor, in this transaction: SQLAlchemy's Row per row of a whole
        # table (100,000 people) costs more than the query itself (no value needs converting).
        sql = str(select(col, tbl.c.id).compile(dialect=conn.dialect))
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            return dict(cursor.fetchall())
        finally:
            cursor.close()
    if values is None:
        return {k: i for k, i in conn.execute(select(col, tbl.c.id))}
    out: dict[Any, int] = {}
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), CHUNK_ROWS):
        part = wanted[start : start + CHUNK_ROWS]
        out.update({k: i for k, i in conn.execute(select(col, tbl.c.id).where(col.in_(part)))})
    return out


__all__ = ["bulk_insert", "bulk_upsert", "id_map"]
