"""The Basic-user cap at ministry proportions (issue 12, ask 3), through sandbox -> sync -> plan -> apply.

Measured before: 20,000 people in 800 schools with 1,000 seats created everyone waiting as a Basic
user, 9,001 creates failed on Zoom's 9,999 cap (3412), and every rerun failed them again. Here at a
tenth of the scale with the same proportions (2,000 people, 80 schools, 100 seats, a cap of 999);
bench/basic_cap/run.py prints the full-scale figures.
"""

from __future__ import annotations

import pytest

from provision.core.policy import Policy
from tests.provision.apply_kit import converge, database, fresh_plan, seed
from zoom_client.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.slow

DOMAIN = "school.example"


def _ministry(engine: object) -> None:
    schools = {f"S{n:03d}": 5 for n in range(80)}  # 80 x 5 = 400 of quota for 100 seats
    people = [(f"p{i:05d}@{DOMAIN}", f"S{i % 80:03d}", "teacher") for i in range(2000)]
    seed(engine, schools, people)  # type: ignore[arg-type]


def _refused_creates(sandbox: Sandbox) -> list[object]:
    return [
        r for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/users") and r.status >= 400
    ]


def _basic(sandbox: Sandbox) -> int:
    return sum(1 for u in sandbox.users() if u["type"] == 1 and u["status"] in ("active", "pending"))


@pytest.mark.parametrize("pending_in_usage", [False, True], ids=["pending-apart", "pending-in-usage"])
async def test_every_seat_used_and_nobody_waiting_is_created_by_default(
    pending_in_usage: bool, sqlite_url: str
) -> None:
    sandbox = Sandbox(SandboxConfig(seats=100, basic_ceiling=999, pending_in_usage=pending_in_usage))
    engine = database(sqlite_url)
    _ministry(engine)
    policy = Policy(create_action="create", basic_cap=999, use_groups=False, addons={})

    plan, result = await converge(engine, sandbox, policy)

    assert result.complete
    assert (result.failed, result.pending) == (0, 0)
    assert sum(1 for u in sandbox.users() if u["type"] == 2) == 100
    assert len(plan.waiting) == 1900
    assert _refused_creates(sandbox) == []
    assert _basic(sandbox) == 0  # the 1,900 waiting have no Zoom account until a seat is theirs
    assert (await fresh_plan(engine, sandbox, policy)).actions == []


async def test_basic_accounts_for_the_waiting_stop_at_the_cap(sqlite_url: str) -> None:
    sandbox = Sandbox(SandboxConfig(seats=100, basic_ceiling=999))
    for i in range(990):  # the account already holds 990 Basic users (other apps, older staff)
        sandbox.add_user(email=f"old{i:04d}@other.example", type=1)
    engine = database(sqlite_url)
    _ministry(engine)
    policy = Policy(
        create_action="create", basic_cap=999, create_waiting="basic", use_groups=False, addons={}
    )

    plan, result = await converge(engine, sandbox, policy)

    assert result.complete
    assert (result.failed, result.pending) == (0, 0)
    assert sum(1 for u in sandbox.users() if u["type"] == 2) == 100
    assert _basic(sandbox) == 999  # nine Basic accounts fitted; never one more
    assert _refused_creates(sandbox) == []
    capped = [w for w in plan.waiting if "Basic-user cap" in w.reason]
    assert len(capped) == 1900 - 9
    assert plan.summary.totals.basic_after == 999
    again = await fresh_plan(engine, sandbox, policy)
    assert again.actions == []  # nothing left failed or to retry
