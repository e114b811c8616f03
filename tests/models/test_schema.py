"""Schema versions: an empty database is created, an older one upgraded, a foreign one refused."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import SQLModel

import models.db as db
from models import Institution, SchemaStateError, metadata, session_scope
from models.db import current_revision, head_revision, init_db, upgrade


def test_the_migrations_build_exactly_the_schema_the_models_declare(engine: Engine) -> None:
    with engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(mc, metadata) == []


def test_an_empty_database_is_created_at_the_newest_revision(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None
    init_db(bare_engine)
    assert current_revision(bare_engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(bare_engine).get_table_names())


def test_init_twice_keeps_the_data(bare_engine: Engine) -> None:
    init_db(bare_engine)
    with session_scope(bare_engine) as s:
        s.add(Institution(code="KY-001", name="Ліцей №1", seats=10))
    db._initialized.discard(bare_engine)  # as a new process would: really re-check the schema
    init_db(bare_engine)
    upgrade(bare_engine)
    with session_scope(bare_engine) as s:
        assert s.exec(select(Institution.name)).all() == [("Ліцей №1",)]


def test_tables_without_a_schema_version_are_refused_not_recreated(bare_engine: Engine) -> None:
    # A database someone built by hand (or with create_all): we cannot know what it holds.
    SQLModel.metadata.create_all(bare_engine)
    with session_scope(bare_engine) as s:
        s.add(Institution(code="KY-001", name="kept", seats=1))
    with pytest.raises(SchemaStateError, match=r"no schema version .*refusing") as err:
        init_db(bare_engine)
    assert "institution" in str(err.value)
    with session_scope(bare_engine) as s:
        assert s.exec(select(Institution.name)).all() == [("kept",)]
    assert current_revision(bare_engine) is None


def test_a_revision_newer_than_the_program_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    db._initialized.discard(engine)
    with pytest.raises(SchemaStateError, match=r"f00d.*newer provision"):
        init_db(engine)


def _next_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_head: str, body: str) -> None:
    """Make models.db see the next release's scripts: today's plus one revision 0099."""
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(db.__file__).parent / "migrations", scripts)
    (scripts / "versions" / "0099_next.py").write_text(
        f'''"""next release"""
import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "{old_head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
''',
        encoding="utf-8",
    )
    monkeypatch.setattr(db, "MIGRATIONS_DIR", scripts)


def test_a_database_at_an_older_revision_is_upgraded_in_place(
    bare_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_db(bare_engine)
    with session_scope(bare_engine) as s:
        s.add(Institution(code="KY-001", name="kept", seats=3))
    body = '    op.create_table("next_table", sa.Column("id", sa.Integer, primary_key=True))'
    _next_release(tmp_path, monkeypatch, head_revision(), body)
    db._initialized.discard(bare_engine)
    init_db(bare_engine)

    assert current_revision(bare_engine) == "0099"
    assert "next_table" in inspect(bare_engine).get_table_names()
    with session_scope(bare_engine) as s:
        assert s.exec(select(Institution.code, Institution.seats)).all() == [("KY-001", 3)]


def test_an_upgrade_that_fails_half_way_changes_nothing(
    bare_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_db(bare_engine)
    old_head = head_revision()
    body = (
        '    op.create_table("next_table", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    raise RuntimeError("power cut")'
    )
    _next_release(tmp_path, monkeypatch, old_head, body)
    db._initialized.discard(bare_engine)
    with pytest.raises(RuntimeError, match="power cut"):
        init_db(bare_engine)
    assert current_revision(bare_engine) == old_head
    assert "next_table" not in inspect(bare_engine).get_table_names()


def test_processes_opening_a_new_database_at_once_create_it_once(database_url: str) -> None:
    # Separate engines, as separate processes would have (make_engine would share one).
    engines = [db._create_engine(db.normalize_url(database_url)) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(upgrade, engines))  # re-raises any thread's error
        assert {current_revision(e) for e in engines} == {head_revision()}
    finally:
        for e in engines:
            e.dispose()


def test_session_scope_commits_on_success_and_rolls_back_on_error(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(Institution(code="A", name="a", seats=1))

    def write_then_fail() -> None:
        with session_scope(engine) as s:
            s.add(Institution(code="B", name="b", seats=1))
            s.flush()
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with session_scope(engine) as s:
        assert s.exec(select(Institution.code)).all() == [("A",)]


def test_objects_stay_readable_after_the_scope(engine: Engine) -> None:
    with session_scope(engine) as s:
        inst = Institution(code="A", name="a", seats=1)
        s.add(inst)
    assert inst.id is not None
    assert inst.code == "A"
