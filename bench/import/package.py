"""Package benchmark: a OneRoster 1.2 export (zip) imported with the two commands' functions.

    python bench/import/package.py [--people 20000] [--schools 800] [--no-postgres]

Writes a 1.2 bulk package into a temporary folder (a district, the schools, one department per
school, users.csv and roles.csv; a quarter of the users guardians, a third of the roles at a
department, every email empty and the username an address) and measures, each in a fresh child
process: `import_schools` then `import_roster` (email_from_username) into SQLite, and into
PostgreSQL if reachable. Prints seconds, memberships/s and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fresh_process import run_fresh  # noqa: E402  (the repository is on the path now)

# bench/import/run.py's PostgreSQL scratch schema ("import" is a keyword: no import statement).
postgres_schema = importlib.import_module("bench.import.run").postgres_schema

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROLES = ("teacher", "student", "aide", "guardian", "siteAdministrator", "student", "proctor", "teacher")


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def generate(path: Path, people: int, schools: int) -> Path:
    orgs = [["dist-1", "active", "District", "district", "", ""]]
    for s in range(schools):
        orgs.append([f"sch-{s}", "active", f"School {s}", "school", f"{s:04d}", "dist-1"])
        orgs.append([f"dep-{s}", "active", f"Department {s}", "department", "", f"sch-{s}"])
    users, roles = [], []
    for u in range(people):
        school = u % schools
        org = f"dep-{school}" if u % 3 == 0 else f"sch-{school}"
        users.append([f"u{u}", "active", f"user{u}@school{school}.example", "Given", f"Family {u}", "", org])
        roles.append([f"r{u}", "active", f"u{u}", "primary", ROLES[u % len(ROLES)], org])
    manifest = [
        ["oneroster.version", "1.2"],
        ["file.orgs", "bulk"],
        ["file.users", "bulk"],
        ["file.roles", "bulk"],
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        org_head = ["sourcedId", "status", "name", "type", "identifier", "parentSourcedId"]
        zf.writestr("orgs.csv", _csv(org_head, orgs))
        user_head = [
            "sourcedId",
            "status",
            "username",
            "givenName",
            "familyName",
            "email",
            "primaryOrgSourcedId",
        ]
        zf.writestr("users.csv", _csv(user_head, users))
        zf.writestr(
            "roles.csv",
            _csv(["sourcedId", "status", "userSourcedId", "roleType", "role", "orgSourcedId"], roles),
        )
    return path


def step(path: Path, url: str) -> dict[str, float]:
    from importers import import_roster, import_schools
    from models.db import init_db, make_engine, session_scope

    engine = make_engine(url)
    init_db(engine)
    t = time.perf_counter()
    with session_scope(engine) as s:
        schools = import_schools(s, path, actor="bench")
    schools_seconds = time.perf_counter() - t
    assert schools.committed, schools.rejected[:5]
    t = time.perf_counter()
    with session_scope(engine) as s:
        report = import_roster(s, path, actor="bench", email_from_username=True)
    seconds = time.perf_counter() - t
    assert report.committed, report.rejected[:5]
    return {
        "schools_seconds": schools_seconds,
        "institutions": schools.counts["institutions"],
        "seconds": seconds,
        "rows": report.rows_accepted,
        "guardians": report.counts.get("guardians_skipped", 0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(step(Path(sys.argv[2]), sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--schools", type=int, default=800)
    ap.add_argument("--postgres", default=os.environ.get("PROVISION_TEST_DATABASE_URL", DEFAULT_PG))
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        folder = Path(tmp)
        pkg = generate(folder / "oneroster-1.2.zip", args.people, args.schools)
        print(
            f"OneRoster 1.2 zip: {args.people:,} users, {args.schools} schools, "
            f"{pkg.stat().st_size / 1e6:.1f} MB"
        )
        results = {"SQLite": run_fresh(__file__, "--child", str(pkg), f"sqlite:///{folder / 'a.db'}")}
        pg = None if args.no_postgres else postgres_schema(args.postgres)
        if pg is not None:
            url, drop = pg
            try:
                results["PostgreSQL"] = run_fresh(__file__, "--child", str(pkg), url)
            finally:
                drop()  # type: ignore[operator]
        print(
            f"\n{'database':12} {'schools s':>9} {'roster s':>9} {'members/s':>10} {'guardians':>9} "
            f"{'peak RSS MB':>12}"
        )
        for name, r in results.items():
            print(
                f"{name:12} {r['schools_seconds']:9.2f} {r['seconds']:9.2f} "
                f"{r['rows'] / r['seconds']:10,.0f} "
                f"{r['guardians']:9,.0f} {r['peak_rss_mb']:12.0f}"
            )


if __name__ == "__main__":
    main()
