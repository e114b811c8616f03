"""Several workers share a plan over PostgreSQL; one killed with -9 leaves its account to another.

Zoom is the sandbox served over loopback (it outlives the killed processes); `provision apply
--workers 2` and `provision worker` run as real processes of the CLI. Afterwards every action
was done once: by the journal (each operation succeeded, with one audit event) and by the
sandbox's request log (each user named by exactly one write that Zoom accepted).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import Session

from models import AuditEvent, Institution, Operation
from models.locks import work_key
from provision.core.plan import ActionKind, Plan
from provision.core.policy import Policy
from provision.run.observe import sync_accounts
from provision.run.zoom_access import ZoomAccounts
from provision.store import journal
from provision.store.planning import make_plan
from tests.cli.envelope import payload
from tests.provision.apply_kit import assert_audited_once, database, roster_change, seed
from tests.provision.served_kit import cli_env, served, synced
from zoom_client import AsyncZoomClient, ZoomSettings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POLICY_TOML = 'create_action = "autoCreate"\ngrace_days = 0\nuse_groups = false\naddons = {}\n'
POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})
PROVISION = [sys.executable, "-c", "from provision.cli import main; main()"]


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Any, ZoomSettings]]:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    # Latency keeps the run long enough to kill a worker in the middle of it.
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=200, latency=0.1))
    with served(sandbox) as settings:
        yield sandbox, settings


def _states(engine: Any, kind: str = "license") -> Counter[str]:
    with Session(engine) as session:
        rows = session.execute(
            select(Operation.state, func.count()).where(Operation.kind == kind).group_by(Operation.state)
        ).all()
    return Counter({state: n for state, n in rows})


def _holders(engine: Any, *key_parts: str) -> list[str]:
    """application_name of each session holding this schema's advisory lock named so."""
    with engine.connect() as conn:
        key = work_key(conn, *key_parts) & 0xFFFFFFFFFFFFFFFF
        return list(
            conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo"
                ),
                {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
            ).scalars()
        )


def _worker_pid(engine: Any, account: str) -> int | None:
    """The pid of the worker holding `account` of the one plan (its lock connection names it)."""
    with Session(engine) as session:
        fingerprint = session.execute(select(Operation.plan_fingerprint).limit(1)).scalar_one()
    names = _holders(engine, fingerprint, account)
    return int(names[0].split(", pid ")[1].split()[0]) if names else None


def _live_workers(engine: Any) -> int:
    return len(_holders(engine, "presence"))


def _wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _done_once(sandbox: Any, people: list[str], account: str | None = None) -> None:
    """Each person licensed in Zoom, named by exactly one accepted write: nothing sent twice."""
    users = {u["email"]: u for u in sandbox.users(account_id=account)}
    ids = {users[email]["id"]: email for email in people}
    accepted: Counter[str] = Counter()
    for request in sandbox.request_log:
        if request.method in ("POST", "PATCH") and 200 <= request.status < 300:
            for user in request.users:
                accepted[ids.get(user, user)] += 1
    assert all(users[email]["type"] == 2 for email in people)
    assert {email: accepted[email] for email in people} == dict.fromkeys(people, 1)


def test_a_worker_killed_mid_run_leaves_its_account_to_another_and_nothing_is_done_twice(
    tmp_path: Path, postgres_url: str, served_sandbox: tuple[Any, ZoomSettings]
) -> None:
    sandbox, settings = served_sandbox
    engine = database(postgres_url)
    people = [f"t{i}@school.example" for i in range(150)]
    seed(engine, {"0801": 200}, [(email, "0801", "teacher") for email in people])
    for email in people[:60]:  # Basic on Zoom already: licensed in bulk; the rest are created
        sandbox.add_user(email=email, type=1)

    synced(engine, settings)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    env = {**cli_env(settings, policy), "DATABASE_URL": postgres_url, "PROVISION_ACTOR": "test"}
    # One request at a time: slow enough to be caught in the middle.
    apply = subprocess.Popen(
        [*PROVISION, "apply", "--yes", "--json", "--workers", "2", "--concurrency", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        _wait(lambda: _live_workers(engine) == 2, "the local worker to start beside the apply")
        holder = _worker_pid(engine, "")
        assert holder == apply.pid  # one account: the apply works it, its local worker waits
        assert _states(engine, "create")["pending"] > 0
        os.kill(apply.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        apply.wait()
        _wait(lambda: _worker_pid(engine, "") not in (None, holder), "the other worker to take over", 15)
        took = time.monotonic() - killed_at
        _wait(lambda: _live_workers(engine) == 0, "the other worker to finish and leave")
    finally:
        if apply.poll() is None:
            apply.kill()
    assert took < 5  # within seconds: the lock dies with the killed worker's connection
    for kind in ("license", "create", "adopt"):
        assert set(_states(engine, kind)) <= {"succeeded"}
    assert _states(engine, "create")["succeeded"] == 90
    _done_once(sandbox, people)
    assert_audited_once(engine)
    assert sandbox.licensed_count() <= 200


def test_workers_are_refused_on_sqlite(tmp_path: Path, sqlite_url: str) -> None:
    database(sqlite_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "PROVISION_", "DATABASE_URL"))}
    for command in (["worker"], ["apply", "--yes", "--workers", "2"]):
        run = subprocess.run(
            [*PROVISION, "--db", sqlite_url, *command], env=env, capture_output=True, text=True, cwd=tmp_path
        )
        assert run.returncode == 2, run.stderr
        assert "PostgreSQL" in run.stderr


def test_a_lone_worker_with_nothing_to_do_says_so_and_exits(tmp_path: Path, postgres_url: str) -> None:
    database(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "PROVISION_", "DATABASE_URL"))}
    env.update(DATABASE_URL=postgres_url, ZOOM_ACCOUNT_ID="a", ZOOM_CLIENT_ID="b", ZOOM_CLIENT_SECRET="c")
    run = subprocess.run(
        [*PROVISION, "worker", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert payload(run.stdout) == {"accounts": [], "stops": []}


EAST, WEST = "subeast001", "subwest001"


def _two_account_plan(engine: Any, sandbox: Any, settings: ZoomSettings) -> Plan:
    """Two schools, one in each sub-account, 90 teachers each: 30 already Basic users of that
    account (licensed in bulk), 60 created one by one; synced and planned as production does."""
    seed(
        engine,
        {"0801": 90, "0802": 90},
        [(f"t{i}.{c}@school.example", c, "teacher") for c in ("0801", "0802") for i in range(90)],
    )
    with Session(engine) as session:
        for code, account in (("0801", EAST), ("0802", WEST)):
            session.execute(update(Institution).where(Institution.code == code).values(account=account))  # type: ignore[arg-type]
        session.commit()
    for code, account in (("0801", EAST), ("0802", WEST)):
        for i in range(30):
            sandbox.add_user(email=f"t{i}.{code}@school.example", type=1, account_id=account)

    async def sync_both() -> None:
        async with AsyncZoomClient(settings) as main, ZoomAccounts(main) as zoom:
            await sync_accounts(engine, zoom)

    asyncio.run(sync_both())
    with Session(engine) as session:
        plan = make_plan(session, POLICY, actor="test")
        session.commit()
    return plan


def test_two_workers_on_two_accounts_one_killed_the_other_takes_its_account_and_nothing_is_done_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(
        SandboxConfig(
            managed_domains=["school.example"], seats=10, sub_accounts={EAST: 90, WEST: 90}, latency=0.1
        )
    )
    engine = database(postgres_url)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    with served(sandbox) as settings:
        plan = _two_account_plan(engine, sandbox, settings)
        assert {a.account for a in plan.actions if a.kind is not ActionKind.ADOPT} == {EAST, WEST}
        # The plan as `provision apply` leaves it for workers: every operation journaled first.
        ops, _ = journal.prepare(engine, plan)
        journal.journal_all(engine, plan.fingerprint, ops)
        env = {**cli_env(settings, policy), "DATABASE_URL": postgres_url, "PROVISION_ACTOR": "test"}
        command = [*PROVISION, "worker", "--concurrency", "1"]

        def start() -> subprocess.Popen[str]:
            return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path)

        first = start()
        _wait(lambda: _worker_pid(engine, EAST) == first.pid, "the first worker to take the accounts")
        second = start()
        try:
            # The first hands one account over to the second: one worker per account.
            _wait(
                lambda: {_worker_pid(engine, EAST), _worker_pid(engine, WEST)} == {first.pid, second.pid},
                "the two workers to hold one account each",
            )
            victim = first.pid
            theirs = EAST if _worker_pid(engine, EAST) == victim else WEST
            assert _states(engine, "create")["pending"] > 0  # in the middle of the run
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            first.wait()
            _wait(lambda: _worker_pid(engine, theirs) == second.pid, "the survivor to take it over", 15)
            took = time.monotonic() - killed_at
            _, err = second.communicate(timeout=120)
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.kill()
    assert second.returncode == 0, err
    assert f"working account {theirs}" in err or f"working {theirs}" in err  # it says which account
    assert took < 5
    assert _states(engine, "license") == {"succeeded": 60}
    assert _states(engine, "create") == {"succeeded": 120}
    for account in (EAST, WEST):
        people = [u["email"] for u in sandbox.users(account_id=account)]
        assert len(people) == 90
        _done_once(sandbox, people, account)
        assert sandbox.licensed_count(account_id=account) == 90  # its own seats, never beyond
    assert_audited_once(engine)


def test_sent_changes_whose_reason_is_gone_are_dropped_whichever_worker_takes_their_account(
    tmp_path: Path, postgres_url: str
) -> None:
    """An apply killed with changes `sent` (the requests never left), whose people then leave:
    `provision apply --workers 2` resumes it; whoever works that account reads them back from
    Zoom and drops them (the local worker knows nothing of the resume's recheck)."""
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(
        SandboxConfig(
            managed_domains=["school.example"], seats=10, sub_accounts={EAST: 90, WEST: 90}, latency=0.1
        )
    )
    engine = database(postgres_url)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    with served(sandbox) as settings:
        plan = _two_account_plan(engine, sandbox, settings)
        ops, _ = journal.prepare(engine, plan)
        journal.journal_all(engine, plan.fingerprint, ops)
        gone = sorted(
            op.action.email
            for op in ops
            if op.action.account == WEST and op.action.kind is ActionKind.LICENSE
        )[:5]
        with Session(engine) as session:
            session.execute(
                update(Operation)
                .where(Operation.email.in_(gone), Operation.kind == "license")  # type: ignore[attr-defined]
                .values(state="sent", attempts=1)
            )
            session.commit()
        roster_change(engine, leave=gone)
        env = {**cli_env(settings, policy), "DATABASE_URL": postgres_url, "PROVISION_ACTOR": "test"}
        # The apply works EAST (the first account) one request at a time, long enough for its
        # local worker to start and take WEST.
        run = subprocess.run(
            [*PROVISION, "apply", "--yes", "--json", "--workers", "2", "--concurrency", "1"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=180,
        )
    assert run.returncode == 0, run.stderr
    assert payload(run.stdout)["dropped"] == 10  # their licenses (sent) and adoptions (pending)
    west = {u["email"]: u for u in sandbox.users(account_id=WEST)}
    assert all(west[email]["type"] == 1 for email in gone)  # never licensed
    gone_ids = {west[email]["id"] for email in gone}
    written = [r for r in sandbox.request_log if r.method in ("POST", "PATCH") and set(r.users) & gone_ids]
    assert written == []
    with Session(engine) as session:
        states = Counter(
            session.execute(select(Operation.state).where(Operation.email.in_(gone))).scalars()  # type: ignore[attr-defined]
        )
        dropped = session.execute(
            select(AuditEvent.person_email, AuditEvent.detail).where(AuditEvent.result == "dropped")
        ).all()
    assert states == {"dropped": 10}
    assert sorted(email for email, _ in dropped) == sorted(gone * 2)
    assert all("no longer planned" in (detail or "") for _, detail in dropped)
    assert _states(engine, "license") == {"succeeded": 55, "dropped": 5}
    assert _states(engine, "create") == {"succeeded": 120}
    for account in (EAST, WEST):
        people = [u["email"] for u in sandbox.users(account_id=account)]
        _done_once(sandbox, [p for p in people if p not in gone], account)
    assert_audited_once(engine)


def test_a_lone_worker_rechecks_a_plan_nobody_works_before_resending_anything(
    tmp_path: Path, postgres_url: str
) -> None:
    """An apply killed with changes `sent` (the requests never left), whose people then leave,
    and no apply to resume it: `provision worker` alone takes the plan up as `provision apply`
    would. It rechecks it first, so the people who left are read back and dropped, never
    licensed, and nothing else is sent twice."""
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(
        SandboxConfig(
            managed_domains=["school.example"], seats=10, sub_accounts={EAST: 90, WEST: 90}, latency=0.05
        )
    )
    engine = database(postgres_url)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    with served(sandbox) as settings:
        plan = _two_account_plan(engine, sandbox, settings)
        ops, _ = journal.prepare(engine, plan)
        journal.journal_all(engine, plan.fingerprint, ops)
        licenses = sorted(
            op.action.email
            for op in ops
            if op.action.account == WEST and op.action.kind is ActionKind.LICENSE
        )
        sent, unsent = licenses[:5], licenses[5:8]
        with Session(engine) as session:
            session.execute(
                update(Operation)
                .where(Operation.email.in_(sent), Operation.kind == "license")  # type: ignore[attr-defined]
                .values(state="sent", attempts=1)
            )
            session.commit()
        gone = sent + unsent
        roster_change(engine, leave=gone)
        env = {**cli_env(settings, policy), "DATABASE_URL": postgres_url, "PROVISION_ACTOR": "test"}
        run = subprocess.run(
            [*PROVISION, "worker", "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=180,
        )
    assert run.returncode == 0, run.stderr
    assert (
        "rechecked against the current rosters and policy (11 unsent changes dropped, 5 sent ones"
        in " ".join(run.stderr.split())
    )
    assert {a["account"] for a in payload(run.stdout)["accounts"]} == {EAST, WEST}
    west = {u["email"]: u for u in sandbox.users(account_id=WEST)}
    assert all(west[email]["type"] == 1 for email in gone)  # never licensed
    gone_ids = {west[email]["id"] for email in gone}
    written = [r for r in sandbox.request_log if r.method in ("POST", "PATCH") and set(r.users) & gone_ids]
    assert written == []
    with Session(engine) as session:
        states = Counter(
            session.execute(select(Operation.state).where(Operation.email.in_(gone))).scalars()  # type: ignore[attr-defined]
        )
    assert states == {"dropped": 16}  # their licenses and adoptions
    assert _states(engine, "license") == {"succeeded": 52, "dropped": 8}
    assert _states(engine, "create") == {"succeeded": 120}
    for account in (EAST, WEST):
        people = [u["email"] for u in sandbox.users(account_id=account)]
        _done_once(sandbox, [p for p in people if p not in gone], account)
    assert_audited_once(engine)


def test_a_lone_worker_the_day_after_a_daily_limit_does_not_create_who_left_meanwhile(
    tmp_path: Path, postgres_url: str
) -> None:
    """`provision apply` stops at Zoom's daily create limit; people it had still to create leave
    the rosters; the next day `provision worker` alone finishes the plan without them."""
    from zoom_client.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=200, daily_create_cap=40))
    engine = database(postgres_url)
    people = [f"t{i}@school.example" for i in range(90)]
    seed(engine, {"0801": 200}, [(email, "0801", "teacher") for email in people])
    for email in people[:30]:  # Basic on Zoom already: licensed in bulk; 60 more to create
        sandbox.add_user(email=email, type=1)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML.replace("autoCreate", "create"))  # the cap counts action=create
    with served(sandbox) as settings:
        synced(engine, settings)
        env = {**cli_env(settings, policy), "DATABASE_URL": postgres_url, "PROVISION_ACTOR": "test"}
        apply = subprocess.run(
            [*PROVISION, "apply", "--yes", "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=180,
        )
        assert apply.returncode == 1, apply.stderr
        assert "daily limit" in payload(apply.stdout)["stopped"]
        with Session(engine) as session:
            waiting = sorted(
                session.execute(
                    select(Operation.email).where(Operation.kind == "create", Operation.state == "pending")
                ).scalars()
            )
        assert len(waiting) == 20
        gone = waiting[:5]
        roster_change(engine, leave=gone)
        sandbox.clock.advance(24 * 3600)  # the next day: the create cap counts afresh
        run = subprocess.run(
            [*PROVISION, "worker"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=180
        )
    assert run.returncode == 0, run.stderr
    assert "nobody works it: rechecked" in " ".join(run.stderr.split())
    users = {u["email"] for u in sandbox.users()}
    assert not users & set(gone)  # never created
    assert _states(engine, "create") == {"succeeded": 55, "dropped": 5}
    assert _states(engine, "license") == {"succeeded": 30}
    _done_once(sandbox, [p for p in people if p not in gone])
    assert_audited_once(engine)
