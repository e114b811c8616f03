"""Set-based upserts for imports: new rows inserted, changed rows updated, unchanged rows left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from models import (
    Institution,
    Person,
    ZoomUserSnapshot,
    bulk,
    bulk_insert,
    bulk_update,
    bulk_upsert,
    session_scope,
)
from models.bulk import id_map


@pytest.fixture(autouse=True, params=["row by row", "copy"])
def write_path(request: pytest.FixtureRequest, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """On PostgreSQL every test runs twice: executemany, and the COPY path of large calls
    (forced here for a handful of rows). SQLite has only the first."""
    if request.param == "copy":
        if not database_url.startswith("postgresql"):
            pytest.skip("COPY is PostgreSQL's")
        monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 1)
    return str(request.param)


def _people(engine: Engine) -> dict[str, tuple[str, str, datetime, datetime]]:
    with session_scope(engine) as s:
        rows = s.exec(
            select(Person.email, Person.given_name, Person.family_name, Person.created_at, Person.updated_at)
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}  # type: ignore[misc]


def test_upsert_inserts_updates_and_leaves_unchanged_rows_alone(engine: Engine) -> None:
    with session_scope(engine) as s:
        n = bulk_upsert(
            s,
            Person,
            [
                {"email": "a@x.ua", "given_name": "Олена", "family_name": "Коваль"},
                {"email": "b@x.ua", "given_name": "Ahmed", "family_name": "Haddad"},
            ],
            keys=["email"],
        )
    assert n == 2
    before = _people(engine)
    assert before["a@x.ua"][:2] == ("Олена", "Коваль")
    assert before["a@x.ua"][2].tzinfo is UTC  # created_at filled from the model's default

    with session_scope(engine) as s:
        n = bulk_upsert(
            s,
            Person,
            [
                {"email": "a@x.ua", "given_name": "Олена", "family_name": "Коваль"},  # unchanged
                {"email": "b@x.ua", "given_name": "Ahmad", "family_name": "Haddad"},  # changed
                {"email": "c@x.ua", "given_name": "Zoé", "family_name": "Martin"},  # new
            ],
            keys=["email"],
        )
    assert n == 2
    after = _people(engine)
    assert after["a@x.ua"] == before["a@x.ua"]  # not rewritten: updated_at kept
    assert after["b@x.ua"][0] == "Ahmad"
    assert after["b@x.ua"][2] == before["b@x.ua"][2]  # created_at kept
    assert after["b@x.ua"][3] > before["b@x.ua"][3]  # updated_at moved
    assert after["c@x.ua"][:2] == ("Zoé", "Martin")


def test_duplicate_keys_in_one_call_the_last_wins(engine: Engine) -> None:
    rows = [{"email": "a@x.ua", "given_name": "first"}, {"email": "a@x.ua", "given_name": "last"}]
    with session_scope(engine) as s:
        bulk_upsert(s, Person, rows, keys=["email"])
    assert _people(engine)["a@x.ua"][0] == "last"


def test_upsert_with_no_update_columns_only_inserts_the_missing(engine: Engine) -> None:
    with session_scope(engine) as s:
        bulk_insert(s, Institution, [{"code": "KY-001", "name": "original", "seats": 5}])
    with session_scope(engine) as s:
        bulk_upsert(
            s,
            Institution,
            [{"code": "KY-001", "name": "other", "seats": 9}, {"code": "KY-002", "name": "new", "seats": 1}],
            keys=["code"],
            update=(),
        )
    with session_scope(engine) as s:
        got = dict(s.exec(select(Institution.code, Institution.name)).all())  # type: ignore[arg-type]
    assert got == {"KY-001": "original", "KY-002": "new"}


def test_large_batches_span_chunks_and_json_columns(engine: Engine) -> None:
    rows = [{"email": f"u{i}@x.ua", "type": 1 + i % 2, "group_ids": [f"g{i % 3}"]} for i in range(2_500)]
    with session_scope(engine) as s:
        assert bulk_upsert(s, ZoomUserSnapshot, rows, keys=["email"], chunk_size=1_000) == 2_500
    with session_scope(engine) as s:
        ids = id_map(s, ZoomUserSnapshot, "email")
        some = id_map(s, ZoomUserSnapshot, "email", ["u7@x.ua", "nobody@x.ua"])
        snap = s.get(ZoomUserSnapshot, ids["u7@x.ua"])
    assert len(ids) == 2_500
    assert some == {"u7@x.ua": ids["u7@x.ua"]}
    assert snap is not None
    assert snap.group_ids == ["g1"]
    assert snap.type == 2


def test_rollback_undoes_a_bulk_write(engine: Engine) -> None:
    def import_then_fail() -> None:
        with session_scope(engine) as s:
            bulk_upsert(s, Person, [{"email": "a@x.ua"}], keys=["email"])
            raise RuntimeError("a later row was bad")

    with pytest.raises(RuntimeError):
        import_then_fail()
    assert _people(engine) == {}


def test_unknown_columns_are_refused_by_name(engine: Engine) -> None:
    with pytest.raises(ValueError, match="person has no column nickname"), session_scope(engine) as s:
        bulk_upsert(s, Person, [{"email": "a@x.ua", "nickname": "o"}], keys=["email"])


def test_rejected_rows_with_reserved_column_names_and_per_row_datetimes(engine: Engine) -> None:
    from datetime import timedelta, timezone

    from models import ImportBatch, RejectedRow

    with session_scope(engine) as s:
        batch = ImportBatch(kind="roster", file_name="r.xlsx", sha256="ab", actor="me")
        s.add(batch)
        s.flush()
        rows = [
            {
                "batch_id": batch.id,
                "file": "r.xlsx",
                "sheet": "Ліцей",
                "row": r,
                "column": "email",
                "reason": "bad",
            }
            for r in (3, 4)
        ]
        assert bulk_insert(s, RejectedRow, rows) == 2
        kyiv = timezone(timedelta(hours=2))
        bulk_upsert(
            s,
            ZoomUserSnapshot,
            [{"email": "a@x.ua", "type": 2, "last_login_time": datetime(2026, 3, 1, 9, tzinfo=kyiv)}],
            keys=["email"],
        )
    with session_scope(engine) as s:
        got = s.exec(select(RejectedRow.row, RejectedRow.column).order_by(RejectedRow.row)).all()
        login = s.exec(select(ZoomUserSnapshot.last_login_time)).one()[0]
    assert [tuple(r) for r in got] == [(3, "email"), (4, "email")]
    assert login == datetime(2026, 3, 1, 7, tzinfo=UTC)
    assert login.tzinfo is UTC


def test_a_large_upsert_writes_only_what_changed(engine: Engine) -> None:
    """At the size of a ministry roster (the COPY path on PostgreSQL): a second upsert with a
    few changed rows and a few new ones writes exactly those, in one call."""
    rows = [{"email": f"p{i}@x.ua", "given_name": "Given", "family_name": f"F{i}"} for i in range(3_000)]
    with session_scope(engine) as s:
        assert bulk_upsert(s, Person, rows, keys=["email"]) == 3_000
    before = _people(engine)
    again = [dict(r) for r in rows]
    for i in (5, 1_500, 2_999):
        again[i]["given_name"] = "Renamed"
    again.append({"email": "new@x.ua", "given_name": "New", "family_name": "Person"})
    with session_scope(engine) as s:
        assert bulk_upsert(s, Person, again, keys=["email"]) == 4
    after = _people(engine)
    assert len(after) == 3_001
    assert after["p1500@x.ua"][0] == "Renamed"
    assert after["p1500@x.ua"][3] > before["p1500@x.ua"][3]
    assert after["p7@x.ua"] == before["p7@x.ua"]  # untouched: updated_at kept


def test_bulk_update_sets_the_given_columns_of_the_rows_found_by_key(engine: Engine) -> None:
    """The journal's outcome writes: each row's own values, a shared timestamp bound once, JSON
    and timezone conversion as on insert, other rows and columns untouched, unknown keys ignored."""
    rows = [{"email": f"u{i}@x.ua", "type": 1, "group_ids": [], "dept": "keep"} for i in range(1_200)]
    with session_scope(engine) as s:
        bulk_upsert(s, ZoomUserSnapshot, rows, keys=["email"])
    seen = datetime(2026, 3, 1, 9, tzinfo=UTC)
    changes = [{"email": f"u{i}@x.ua", "type": 2, "group_ids": [f"g{i}"]} for i in range(0, 1_200, 2)]
    changes.append({"email": "nobody@x.ua", "type": 2, "group_ids": ["g"]})
    with session_scope(engine) as s:
        assert (
            bulk_update(s, ZoomUserSnapshot, changes, "email", values={"observed_at": seen}, chunk_size=500)
            == 600
        )
    with session_scope(engine) as s:
        got = {
            r[0]: tuple(r[1:])
            for r in s.exec(
                select(
                    ZoomUserSnapshot.email,
                    ZoomUserSnapshot.type,
                    ZoomUserSnapshot.group_ids,
                    ZoomUserSnapshot.dept,
                    ZoomUserSnapshot.observed_at,
                )
            ).all()
        }
    assert len(got) == 1_200
    assert got["u4@x.ua"] == (2, ["g4"], "keep", seen)
    assert got["u5@x.ua"][:3] == (1, [], "keep")
    assert got["u5@x.ua"][3] != seen
    with pytest.raises(ValueError, match="lack the key column email"), session_scope(engine) as s:
        bulk_update(s, ZoomUserSnapshot, [{"type": 2}], "email")


def test_bulk_insert_values_are_set_alike_on_every_row(engine: Engine) -> None:
    seen = datetime(2026, 3, 1, 9, tzinfo=UTC)
    rows = [
        {"email": f"u{i}@x.ua", "type": 1, "observed_at": datetime(2020, 1, 1, tzinfo=UTC)}
        for i in range(1_200)
    ]
    with session_scope(engine) as s:
        assert bulk_insert(s, ZoomUserSnapshot, rows, values={"observed_at": seen}) == 1_200
    with session_scope(engine) as s:
        got = set(s.exec(select(ZoomUserSnapshot.observed_at)).all())
    assert got == {(seen,)}
