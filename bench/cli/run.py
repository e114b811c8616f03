"""Whole-command times of the questions asked on the phone (process start included).

    python bench/cli/run.py [--db URL] [--people 20000] [--runs 7]

Each command runs as an operator runs it (the `provision` script of this interpreter's
environment, a new process each time); the figure is the median wall time of --runs runs, with
the median CPU time (user + system) beside it: on a shared machine the wall time carries other
processes' load, the CPU time much less. Target (issue 17): at most 0.4 s each. Also prints
the import time of provision.cli alone and of each command's first `import`s (python -X importtime).
The database is the query benchmark's world (bench/queries/world.py), built once.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench import bytecode

TARGET_SECONDS = 0.4


def provision_script() -> str:
    script = Path(sys.executable).parent / "provision"
    if not script.exists():
        raise SystemExit(f"{script}: not found; install the project (pip install -e .) in this environment")
    return str(script)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of argv; a failing command ends the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    timed(argv, env)  # warm the page cache and the .pyc files once
    results = [timed(argv, env) for _ in range(runs)]
    return statistics.median(w for w, _ in results), statistics.median(c for _, c in results)


def import_seconds(module: str, runs: int) -> float:
    """Median cumulative -X importtime of `module` (microseconds in the report -> seconds)."""
    pattern = re.compile(rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$", re.MULTILINE)
    found = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        )
        match = pattern.search(proc.stderr)
        assert match, f"{module} not in -X importtime's report"
        found.append(int(match.group(1)) / 1e6)
    return statistics.median(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:////tmp/bench-cli.db")
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=7)
    bytecode.add_option(ap)
    args = ap.parse_args()
    if not args.no_compile:
        bytecode.compile_project()

    from world import build, email_of, school_code

    build(args.db, people=args.people, events=args.people)
    script = provision_script()
    env = {**os.environ, "DATABASE_URL": args.db}
    env.pop("PROVISION_SANDBOX", None)
    completion_env = {
        **env,
        "_PROVISION_COMPLETE": "complete_bash",
        "COMP_WORDS": "provision sch",
        "COMP_CWORD": "1",
    }
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("python -c pass (floor)", [sys.executable, "-c", "pass"], env),
        ("provision --help", [script, "--help"], env),
        (f"provision school {school_code(7)}", [script, "school", school_code(7)], env),
        (f"provision person {email_of(4321)}", [script, "person", email_of(4321)], env),
        ("provision schools", [script, "schools"], env),
        ("Tab: provision sch<Tab>", [script], completion_env),
    ]
    load = os.getloadavg()
    print(
        f"{args.people} people in the database; load average {load[0]:.2f} on {os.cpu_count()} CPUs; "
        f"{bytecode.describe(args.no_compile)}"
    )
    print(f"{'command':52} {'wall':>8} {'cpu':>8}  target {TARGET_SECONDS:.1f} s")
    for name, argv, case_env in cases:
        wall, cpu = median_of(argv, case_env, args.runs)
        verdict = "" if name.endswith("(floor)") else ("ok" if wall <= TARGET_SECONDS else "OVER")
        print(f"{name:52} {wall:7.3f}s {cpu:7.3f}s  {verdict}")
    print(f"import provision.cli: {import_seconds('provision.cli', args.runs):.3f} s (-X importtime, median)")


if __name__ == "__main__":
    main()
