"""Import benchmark: a 100,000-person roster over 800 schools, in mixed scripts.

    python bench/import/run.py [--people 100000] [--schools 800] [--postgres URL]

Generates the roster (xlsx written by openpyxl in write-only mode, and the same rows as a
UTF-8 CSV) into a temporary folder that is deleted afterwards, then measures, each in a fresh
child process so that peak memory (ru_maxrss) belongs to that step alone:

  - bare python-calamine read of the sheet, bare openpyxl read-only read;
  - the whole `import_roster` into SQLite (xlsx and CSV), and into PostgreSQL if reachable:
    detection, reading, header search, validation, the sha256, bulk upserts, commit.

Prints seconds, rows/s, peak RSS (MB) and the ratio of each import to the bare calamine read
(target: SQLite import within 3x of it, peak memory under 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fresh_process import run_fresh  # noqa: E402  (the repository is on the path now)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

GIVEN = {
    "uk": ["Тарас", "Оксана", "Ярослава", "Євген", "Ганна", "Їжак", "Богдан", "Марʼяна"],
    "ar": ["أحمد", "فاطمة", "ليلى", "عمر", "يوسف", "مريم", "خالد", "سارة"],
    "fr": ["Hélène", "François", "Léa", "Benoît", "Chloé", "Jérôme", "Zoé", "Noël"],
    "en": ["Anna", "John", "Mary", "Peter", "Grace", "Oliver", "Emma", "Liam"],
}
FAMILY = {
    "uk": ["Шевченко", "Коваленко", "Бондаренко", "Ткачук", "Їжакевич", "Гнатюк"],
    "ar": ["الخطيب", "العلي", "حسن", "الحسيني", "منصور", "عبد الله"],
    "fr": ["Lefèvre", "Garçon", "Dupont", "Bélanger", "Mercier", "Faure"],
    "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"],
}
ROLES = {
    "uk": ["вчитель", "учень", "директор", "персонал"],
    "ar": ["معلم", "طالب", "مدير", "موظف"],
    "fr": ["enseignant", "élève", "directeur", "personnel"],
    "en": ["teacher", "student", "admin", "staff"],
}


def school_codes(n: int) -> list[str]:
    return [f"{i:04d}" for i in range(1, n + 1)]


def generate(folder: Path, people: int, schools: int) -> tuple[Path, Path, Path]:
    from openpyxl import Workbook

    rng = random.Random(42)
    codes = school_codes(schools)
    langs = list(GIVEN)
    rows = []
    for i in range(people):
        lang = langs[i % 4]
        role = ROLES[lang][0 if i % 10 < 3 else 1 if i % 10 < 9 else 2 + (i % 2)]
        rows.append(
            [
                rng.choice(FAMILY[lang]),
                rng.choice(GIVEN[lang]),
                f"  Person.{i}@School{i % 97}.Edu.example ",
                role,
                codes[i % schools],
            ]
        )
    header = ["Прізвище", "Ім'я", "Електронна пошта", "Посада", "Код закладу"]
    xlsx = folder / "roster.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("roster")
    ws.append(["Список працівників і учнів, 2026/2027"])
    ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(xlsx)
    csv_path = folder / "roster.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        import csv

        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        w.writerows(rows)
    schools_csv = folder / "schools.csv"
    with schools_csv.open("w", encoding="utf-8", newline="") as fh:
        fh.write("code,name,region,seats\n")
        for c in codes:
            fh.write(f"{c},School {c},Region {int(c) % 25},{people // schools}\n")
    return xlsx, csv_path, schools_csv


# --- the measured steps (each runs in its own process) ------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def step_calamine(path: Path) -> dict[str, float]:
    import python_calamine as pc

    t, cpu = time.perf_counter(), time.process_time()
    wb = pc.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_index(0).to_python()
    return {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": len(rows)}


def step_openpyxl(path: Path) -> dict[str, float]:
    import openpyxl

    t, cpu = time.perf_counter(), time.process_time()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": n}


def step_import(path: Path, url: str, schools_csv: Path) -> dict[str, float]:
    from importers import import_roster, import_schools
    from models.db import init_db, make_engine, session_scope

    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        import_schools(s, schools_csv, actor="bench")
    base = _maxrss_mb()
    t, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        report = import_roster(s, path, actor="bench")
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    assert report.committed, report.rejected[:5]
    # the same file again: the sha256 no-op
    t2 = time.perf_counter()
    with session_scope(engine) as s:
        again = import_roster(s, path, actor="bench")
    assert again.already_imported
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": report.rows_accepted,
        "rss_before_mb": base,
        "noop_seconds": time.perf_counter() - t2,
    }


def child(argv: list[str]) -> None:
    step, path = argv[0], Path(argv[1])
    if step == "calamine":
        out = step_calamine(path)
    elif step == "openpyxl":
        out = step_openpyxl(path)
    else:
        out = step_import(path, argv[2], Path(argv[3]))
    out["peak_rss_mb"] = _maxrss_mb()
    print(json.dumps(out))


def run_child(*args: str) -> dict[str, float]:
    return run_fresh(__file__, "--child", *args)


def postgres_schema(base: str) -> tuple[str, object] | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(base)
        conninfo = psycopg.conninfo.make_conninfo(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            dbname=u.database or "test",
            connect_timeout=2,
        )
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

        url = u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        return url, drop
    except Exception as exc:  # no PostgreSQL here: report and go on
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipped")
        return None


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--schools", type=int, default=800)
    ap.add_argument("--postgres", default=os.environ.get("PROVISION_TEST_DATABASE_URL", DEFAULT_PG))
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        xlsx, csv_path, schools_csv = generate(folder, args.people, args.schools)
        print(
            f"generated {args.people:,} people over {args.schools} schools "
            f"in {time.perf_counter() - t:.1f} s: "
            f"xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {csv_path.stat().st_size / 1e6:.1f} MB"
        )
        results: dict[str, dict[str, float]] = {}
        results["bare calamine read (xlsx)"] = run_child("calamine", str(xlsx))
        results["bare openpyxl read-only (xlsx)"] = run_child("openpyxl", str(xlsx))
        results["import xlsx -> SQLite"] = run_child(
            "import", str(xlsx), f"sqlite:///{folder / 'a.db'}", str(schools_csv)
        )
        results["import csv -> SQLite"] = run_child(
            "import", str(csv_path), f"sqlite:///{folder / 'b.db'}", str(schools_csv)
        )
        if not args.no_postgres:
            for label, path in (("xlsx", xlsx), ("csv", csv_path)):
                pg = postgres_schema(args.postgres)
                if pg is None:
                    break
                url, drop = pg
                try:
                    results[f"import {label} -> PostgreSQL"] = run_child(
                        "import", str(path), url, str(schools_csv)
                    )
                finally:
                    drop()  # type: ignore[operator]
        base = results["bare calamine read (xlsx)"]
        # CPU seconds beside the wall: on a shared machine the wall carries other processes' load.
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(
            f"\n{'step':34} {'seconds':>8} {'rows/s':>10} {'x calamine':>10} {'cpu s':>7} "
            f"{'cpu x cal.':>10} {'peak RSS MB':>12}"
        )
        for name, r in results.items():
            rate = r["rows"] / r["seconds"] if r["seconds"] else 0
            print(
                f"{name:34} {r['seconds']:8.2f} {rate:10,.0f} {r['seconds'] / base['seconds']:10.2f} "
                f"{r['cpu']:7.2f} {r['cpu'] / base['cpu']:10.2f} {r['peak_rss_mb']:12.0f}"
            )
        for name, r in results.items():
            if "noop_seconds" in r:
                print(
                    f"{name}: same file again (sha256 no-op) {r['noop_seconds']:.2f} s; "
                    f"RSS before the import {r['rss_before_mb']:.0f} MB"
                )


if __name__ == "__main__":
    main()
