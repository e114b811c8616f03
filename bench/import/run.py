"""Import benchmark: a 100,000-person roster over 800 schools, in mixed scripts.

    python bench/import/run.py [--people 100000] [--schools 800] [--postgres URL] [--no-compile]

Generates the roster (xlsx written by openpyxl in write-only mode, and the same rows as a
UTF-8 CSV) into a temporary folder that is deleted afterwards, then measures, each in a fresh
child process so that peak memory (ru_maxrss) belongs to that step alone:

  - in process (the timer starts once the modules are loaded): the bare python-calamine read
    of the sheet, the bare openpyxl read-only read, and `import_roster` into SQLite (xlsx and
    CSV) and into PostgreSQL if reachable: detection, reading, header search, validation, the
    sha256, bulk upserts, commit;
  - whole commands, as an operator runs them (process start and imports included, median of
    --runs): `provision import roster FILE` on a database holding the schools, against the same
    bare calamine read as a whole command (`python -c` reading the sheet). The project's
    modules are compiled to bytecode first, as installing the wheel does (--no-compile: not).

Prints wall seconds, CPU seconds (user + system), rows/s, peak RSS (MB) and the ratio of each
to the bare calamine read (target, issue 17: the whole command at most 3x the bare read's whole
command, peak memory under 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import bytecode  # noqa: E402  (the repository is on the path now)
from bench.fresh_process import run_fresh  # noqa: E402

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


def step_prepare(url: str, schools_csv: Path) -> dict[str, float]:
    """A new database holding the schools: what `provision import roster` runs against."""
    from importers import import_schools
    from models.db import init_db, make_engine, session_scope

    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        import_schools(s, schools_csv, actor="bench")
    engine.dispose()  # SQLite: the last connection closed folds the WAL into the file
    return {}


CALAMINE_LABEL = "bare calamine read (xlsx), python -c"
CALAMINE_COMMAND = (
    "import sys, python_calamine as pc; "
    "pc.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()"
)


def whole_command(argv: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """(wall, CPU = user + system, peak RSS) of one process running argv, as a shell runs it."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}")
    return {
        "seconds": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def median_command(runs: list[dict[str, float]], rows: int) -> dict[str, float]:
    """Median wall and median CPU of the runs (each its own median), the highest peak RSS."""
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "rows": rows,
    }


def provision_script() -> str:
    script = Path(sys.executable).parent / "provision"
    if not script.exists():
        raise SystemExit(f"{script}: not found; install the project (pip install -e .) in this environment")
    return str(script)


def child(argv: list[str]) -> None:
    step, path = argv[0], Path(argv[1])
    if step == "prepare":
        print(json.dumps(step_prepare(argv[1], Path(argv[2]))))
        return
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
    ap.add_argument("--runs", type=int, default=3, help="runs of each whole command (median)")
    bytecode.add_option(ap)
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
        print_table(
            f"in process (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)",
            results,
            [("x calamine", base)],
        )
        for name, r in results.items():
            if "noop_seconds" in r:
                print(
                    f"{name}: same file again (sha256 no-op) {r['noop_seconds']:.2f} s; "
                    f"RSS before the import {r['rss_before_mb']:.0f} MB"
                )
        commands = measure_commands(folder, xlsx, csv_path, schools_csv, args)
        print_table(
            f"whole commands, process start included (median of {args.runs}; "
            f"{bytecode.describe(args.no_compile)}; "
            f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)",
            commands,
            [("x cal. cmd", commands[CALAMINE_LABEL]), ("x cal. in proc.", base)],
        )


def measure_commands(
    folder: Path, xlsx: Path, csv_path: Path, schools_csv: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """`provision import roster FILE` in a new process on a database holding the schools (a new
    one each run), and the bare calamine read in a new process, each --runs times."""
    script = provision_script()
    if not args.no_compile:
        bytecode.compile_project()
    out: dict[str, dict[str, float]] = {}
    calamine = [sys.executable, "-c", CALAMINE_COMMAND, str(xlsx)]
    whole_command(calamine)  # warm the page cache once
    out[CALAMINE_LABEL] = median_command([whole_command(calamine) for _ in range(args.runs)], args.people + 3)
    targets: list[tuple[str, Path, str]] = [
        ("xlsx", xlsx, "SQLite"),
        ("csv", csv_path, "SQLite"),
    ]
    if not args.no_postgres:
        targets += [("xlsx", xlsx, "PostgreSQL"), ("csv", csv_path, "PostgreSQL")]
    for label, path, database in targets:
        runs = []
        for i in range(args.runs):
            drop = None
            if database == "SQLite":
                url = f"sqlite:///{folder / f'cmd-{label}-{i}.db'}"
            else:
                pg = postgres_schema(args.postgres)
                if pg is None:
                    break
                url, drop = pg
            try:
                run_child("prepare", url, str(schools_csv))
                env = {**os.environ, "DATABASE_URL": url}
                runs.append(whole_command([script, "import", "roster", str(path)], env))
            finally:
                if drop is not None:
                    drop()  # type: ignore[operator]
        if runs:
            out[f"provision import roster ({label}) -> {database}"] = median_command(runs, args.people)
    return out


def print_table(
    title: str, results: dict[str, dict[str, float]], bases: list[tuple[str, dict[str, float]]]
) -> None:
    """One line per step: wall, rows/s, CPU and peak RSS, with the wall and CPU ratios to each base."""
    print(f"\n{title}")
    head = f"{'step':44} {'wall s':>7} {'rows/s':>9} {'cpu s':>6}"
    for label, _ in bases:
        head += f" {label + ' wall':>20} {label + ' cpu':>19}"
    print(head + f" {'peak RSS MB':>11}")
    for name, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        line = f"{name:44} {r['seconds']:7.2f} {rate:9,.0f} {r['cpu']:6.2f}"
        for _, base in bases:
            line += f" {r['seconds'] / base['seconds']:20.2f} {r['cpu'] / base['cpu']:19.2f}"
        print(line + f" {r['peak_rss_mb']:11.0f}")


if __name__ == "__main__":
    main()
