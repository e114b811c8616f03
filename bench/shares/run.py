"""Benchmark: how the seats are shared when the quotas exceed the account (the pure plan).

    python bench/shares/run.py                          # 20,000 people, 800 schools, 1,000 seats
    python bench/shares/run.py --people 2000 --schools 80 --seats 100
    python bench/shares/run.py --code /tmp/before        # the same case on another checkout

Every school has the same quota (people / schools) and lists that many teachers, so the demand
and the quotas are 20 times the seats. Prints, per allocation rule, how many schools get at least
one seat, the most and the fewest seats a school gets, and the time the plan takes. `--code`
runs the same world on another checkout of the repository (e.g. the code before fair shares: a
`git archive` of an older commit), to measure before and after with one script.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def world(people: int, schools: int, seats: int) -> tuple[object, object, list[str]]:
    """The rosters, an empty account of `seats`, and the email on each school's first row."""
    from provision.core.state import AccountSeats, Desired, DesiredPerson, Member, Observed, School

    per_school = people // schools
    # Emails begin with the school's code (the old code served the country by email, so whole
    # schools at a time) and, inside a school, sort in another order than the rows.
    ordered = "position" in Member._fields
    desired = Desired(
        schools={f"{i:04}": School(code=f"{i:04}", seats=per_school) for i in range(schools)},
    )
    first_rows: list[str] = []
    for i in range(schools):
        code = f"{i:04}"
        for row in range(per_school):
            email = f"{code}.{chr(ord('a') + (row * 7) % 26)}{row:03}@school.example"
            member = Member(code, "teacher", position=row) if ordered else Member(code, "teacher")
            desired.people[email] = DesiredPerson(email, "Given", "Family", (member,))
            if row == 0:
                first_rows.append(email)
    now = datetime.now(UTC)
    observed = Observed(users={}, account=AccountSeats(purchased=seats, used=0, observed_at=now))
    return desired, observed, first_rows


def measure(people: int, schools: int, seats: int, allocation: str | None) -> dict[str, object]:
    from provision.core.diff import compute_plan
    from provision.core.policy import Policy

    desired, observed, first_rows = world(people, schools, seats)
    policy = Policy(addons={}) if allocation is None else Policy(addons={}, allocation=allocation)  # type: ignore[call-arg]
    started = time.perf_counter()
    plan = compute_plan(desired, observed, policy)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    summary = plan.summary.to_data() if hasattr(plan.summary, "to_data") else plan.summary  # typed since 11a
    after = [row["licensed_after"] for row in summary["schools"].values()]
    after += [0] * (schools - len(after))
    waiting = {w.email for w in plan.waiting}
    return {
        "allocation": allocation or "(the code's only rule)",
        "schools with a seat": sum(1 for n in after if n > 0),
        "max per school": max(after),
        "min per school": min(after),
        "seats given": sum(after),
        "schools whose first row has a seat": sum(1 for email in first_rows if email not in waiting),
        "plan seconds": round(elapsed, 2),
    }


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=800)
    parser.add_argument("--seats", type=int, default=1_000)
    parser.add_argument("--code", type=Path, default=ROOT, help="The checkout whose provision to measure.")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from provision.core.policy import Policy

    rules = [None]
    if "allocation" in Policy.model_fields:
        rules = ["proportional", "priority"]
    print(f"{args.people:,} people in {args.schools:,} schools, {args.seats:,} seats; code: {args.code}")
    for rule in rules:
        figures = measure(args.people, args.schools, args.seats, rule)
        print("  " + "; ".join(f"{key}: {value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
