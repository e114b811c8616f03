"""Bulk writes of models.bulk: 100,000 people + memberships into SQLite and PostgreSQL.

    python bench/models/run.py [--rows 100000] [--pg URL] [--orm]

Prints seconds and rows/s for: a first upsert (all new), the same rows again (nothing changed,
nothing written) and memberships by bulk_insert; with --orm also a session.add_all of the
same people, for scale.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from models import Institution, Membership, Person, bulk_insert, bulk_upsert, session_scope
from models.bulk import id_map
from models.db import dispose_engines, init_db, make_engine

NAMES = [("Олена", "Коваль"), ("Ahmed", "Haddad"), ("Zoé", "Martin"), ("أحمد", "الحداد"), ("John", "Smith")]


def _timed(label: str, n: int, fn: Callable[[], Any]) -> None:
    t = time.perf_counter()
    written = fn()
    dt = time.perf_counter() - t
    print(f"  {label:<34} {dt:7.2f} s  {n / dt:>10,.0f} rows/s  (written: {written})")


def run(engine: Engine, n: int, *, orm: bool = False) -> None:
    people = [
        {
            "email": f"user{i}@school{i % 800}.edu.ua",
            "given_name": NAMES[i % 5][0],
            "family_name": NAMES[i % 5][1],
        }
        for i in range(n)
    ]
    schools = [{"code": f"KY-{i:04d}", "name": f"School {i}", "seats": 100} for i in range(800)]

    def first() -> int:
        with session_scope(engine) as s:
            bulk_upsert(s, Institution, schools, keys=["code"])
            return bulk_upsert(s, Person, people, keys=["email"])

    def again() -> int:
        with session_scope(engine) as s:
            return bulk_upsert(s, Person, people, keys=["email"])

    def memberships() -> int:
        with session_scope(engine) as s:
            pid = id_map(s, Person, "email")
            sid = id_map(s, Institution, "code")
            rows = [
                {"person_id": pid[p["email"]], "institution_id": sid[f"KY-{i % 800:04d}"], "role": "teacher"}
                for i, p in enumerate(people)
            ]
            return bulk_insert(s, Membership, rows)

    def orm_add_all() -> int:
        with session_scope(engine) as s:
            s.add_all(Person(email="orm-" + p["email"], given_name=p["given_name"]) for p in people)
        return n

    _timed("bulk_upsert people (all new)", n, first)
    _timed("bulk_upsert people (unchanged)", n, again)
    _timed("bulk_insert memberships (+id_map)", n, memberships)
    # ru_maxrss is KiB on Linux; tracemalloc would triple the times it measures.
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the process so far: {rss_mib:.0f} MiB")
    if orm:  # slow (about 15 s per 100k): only when asked
        _timed("session.add_all people (for scale)", n, orm_add_all)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "PROVISION_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--orm", action="store_true", help="also time session.add_all, for scale")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({args.rows:,} rows)")
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_db(engine)
        run(engine, args.rows, orm=args.orm)
        dispose_engines()

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    u = make_url(args.pg)
    conninfo = psycopg.conninfo.make_conninfo(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres", dbname=u.database
    )
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {exc}")
        return
    try:
        print(f"PostgreSQL ({args.rows:,} rows)")
        engine = make_engine(
            u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        )
        init_db(engine)
        run(engine, args.rows, orm=args.orm)
        dispose_engines()
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
