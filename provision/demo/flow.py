"""The main job on a fresh machine (`provision demo`): the whole flow on a sample, offline.

Writes a realistic sample (provision.demo.data), then walks what an operator does, calling the
same engine functions as the commands: import schools and rosters (one with mistakes, reported
then imported with skip_invalid), sync, plan, apply against the in-process sandbox (fewer seats
than entitled people, so a waiting list shows), a second roster, a change made by hand in Zoom,
reconcile (drift found, then fixed), and the audit export. Leaves demo.db, demo-audit.xlsx and
demo-rejects-*.xlsx in the directory; the sandbox's state is saved beside them so the same
commands (`provision --sandbox --db sqlite:///demo.db ...`) can go on from where the demo ends.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from importers import ImportReport, import_roster, import_schools, write_rejects_xlsx
from models import open_database, session_scope
from provision.core.plan import Plan
from provision.core.policy import DEFAULT_POLICY_TOML, Policy
from provision.demo.data import SCHOOLS, DemoFiles, write_sample
from provision.reports.export import export_audit_xlsx
from provision.run.apply import ApplyResult
from provision.run.apply_session import apply_session
from provision.run.observe import sync
from provision.run.reconcile import ReconcileResult, reconcile
from provision.store.policy_file import parse_policy
from zoom_client import AsyncZoomClient
from zoom_client.settings import credentials_in_env

DATABASE = "demo.db"
WORKBOOK = "demo-audit.xlsx"
REJECTS = "demo-rejects-ar.xlsx"
DATA_DIR = "demo-data"
SANDBOX_STATE = "sandbox-state-demo.json"  # matches .gitignore's sandbox-state*.json
# Fewer seats than the ~90 entitled people and fewer than the schools' quotas (70) together:
# the waiting list shows both reasons (school quota, account seats).
DEMO_SEATS = 60
DEMO_LARGE_MEETING = {500: 5, 1000: 0}
# Leavers are downgraded at once in the demo (the default waits 14 days).
DEMO_POLICY_TOML = DEFAULT_POLICY_TOML.replace("grace_days = 14", "grace_days = 0")


@dataclass
class DemoStep:
    """One thing the demo did, with the lines an operator reads and the figures a test checks."""

    title: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    command: str | None = None  # the command that does the same outside the demo

    def to_data(self) -> dict[str, Any]:
        return {"title": self.title, "command": self.command, "lines": self.lines, "data": self.data}


Say = Callable[[DemoStep], None]


@dataclass
class DemoResult:
    directory: Path
    database: Path
    workbook: Path
    rejects: Path
    sandbox_state: Path
    steps: list[DemoStep]
    elapsed: float = 0.0

    def step(self, title: str) -> DemoStep:
        return next(s for s in self.steps if s.title == title)

    def to_data(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "database": str(self.database),
            "workbook": str(self.workbook),
            "rejects": str(self.rejects),
            "sandbox_state": str(self.sandbox_state),
            "elapsed_seconds": round(self.elapsed, 2),
            "steps": [step.to_data() for step in self.steps],
        }


def demo_policy() -> Policy:
    return parse_policy(DEMO_POLICY_TOML, source="demo policy")


def _fresh_database(path: Path) -> Engine:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return open_database(f"sqlite:///{path}")


def _import_lines(report: ImportReport) -> list[str]:
    lines = [f"{report.file}: {report.rows_accepted} rows accepted"]
    for code, change in sorted(report.schools.items()):
        parts = [f"{change.added} added"]
        if change.left:
            parts.append(f"{change.left} left")
        if change.updated:
            parts.append(f"{change.updated} changed")
        lines.append(f"  {code}: {', '.join(parts)}")
    return lines


def _plan_step(plan: Plan, title: str) -> DemoStep:
    counts = {kind: n for kind, n in plan.counts().items() if n}
    by_reason = Counter(w.reason.split(" ", 3)[1] + " " + w.reason.split(" ", 3)[2] for w in plan.waiting)
    lines = [
        "actions: " + (", ".join(f"{n} {kind}" for kind, n in counts.items() if kind != "waiting") or "none"),
        f"waiting list: {len(plan.waiting)} people"
        + (
            f" ({', '.join(f'{n} for {reason}' for reason, n in sorted(by_reason.items()))})"
            if by_reason
            else ""
        ),
    ]
    shown: set[str] = set()
    for action in plan.actions:
        if action.kind.value not in shown and action.kind.value != "adopt":
            shown.add(action.kind.value)
            lines.append(f"  e.g. {action.kind.value} {action.email}: {action.reason}")
    for waiting in plan.waiting[:2]:
        lines.append(f"  e.g. waiting {waiting.email} ({waiting.institution_code}): {waiting.reason}")
    return DemoStep(
        title,
        lines,
        {"counts": counts, "waiting": len(plan.waiting), "fingerprint": plan.fingerprint},
        command="provision plan",
    )


def _apply_step(result: ApplyResult, title: str) -> DemoStep:
    done = {kind: c["succeeded"] for kind, c in result.counts.items() if c["succeeded"]}
    lines = [
        f"{result.succeeded} changes made in Zoom, {result.failed} failed, in {result.elapsed:.2f} s",
        "  " + ", ".join(f"{n} {kind}" for kind, n in done.items()),
    ]
    return DemoStep(title, lines, result.to_data(), command="provision apply --yes")


def _drift_lines(result: ReconcileResult) -> list[str]:
    data = result.drift.to_data()
    state = "clean" if data["clean"] else "drift found"
    lines = [f"{state}: {data['alerts']} items (exit code {result.exit_code})"]
    for kind, items in data["kinds"].items():
        for item in items[:3]:
            who = item.get("email") or item.get("institution_code") or ""
            lines.append(f"  {kind}: {who}: {item.get('detail', '')}")
    return lines


async def _walk(files: DemoFiles, directory: Path, engine: Engine, say: Say, actor: str) -> list[DemoStep]:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    steps: list[DemoStep] = []

    def tell(step: DemoStep) -> DemoStep:
        steps.append(step)
        say(step)
        return step

    policy = demo_policy()

    with session_scope(engine) as session:
        report = import_schools(session, files.schools, actor=actor)
    tell(
        DemoStep(
            "import schools",
            [
                f"{report.file}: {report.rows_accepted} schools",
                *(f"  {s.code} {s.name} ({s.seats} seats)" for s in SCHOOLS),
            ],
            {"schools": report.rows_accepted},
            command=f"provision import schools {files.schools.name}",
        )
    )

    lines: list[str] = []
    accepted = 0
    for path in files.rosters:
        with session_scope(engine) as session:
            report = import_roster(session, path, actor=actor)
        accepted += report.rows_accepted
        lines.extend(_import_lines(report))
    tell(DemoStep("import rosters", lines, {"rows": accepted}, command="provision import roster FILE"))

    with session_scope(engine) as session:
        checked = import_roster(session, files.roster_with_errors, actor=actor)
    rejects = write_rejects_xlsx(checked, directory / REJECTS)
    tell(
        DemoStep(
            "roster with errors",
            [
                f"{checked.file}: {checked.rows_rejected} rows rejected, nothing imported "
                f"(the school gets {rejects.name} back)",
                *(
                    f"  sheet {r.sheet}, row {r.row}, column {r.column}: {r.reason} ({r.value})"
                    for r in checked.rejected
                ),
            ],
            {"rejected": checked.rows_rejected, "committed": checked.committed, "rejects": str(rejects)},
            command=f"provision import roster {files.roster_with_errors.name}",
        )
    )
    with session_scope(engine) as session:
        report = import_roster(session, files.roster_with_errors, actor=actor, skip_invalid=True)
    tell(
        DemoStep(
            "import the valid rows",
            _import_lines(report),
            {"rows": report.rows_accepted, "committed": report.committed},
            command=f"provision import roster {files.roster_with_errors.name} --skip-invalid",
        )
    )

    sandbox = Sandbox(SandboxConfig(seats=DEMO_SEATS, large_meeting_seats=dict(DEMO_LARGE_MEETING)))
    async with AsyncZoomClient(sandbox.settings(), transport=sandbox.async_transport()) as client:

        async def sync_step(title: str) -> None:
            result = await sync(engine, client)
            seats = result.to_data()["seats"]
            tell(
                DemoStep(
                    title,
                    [
                        f"{result.users_total} users on Zoom, {result.licensed} licensed; seats: "
                        f"{seats['used']} used, {seats['pending']} pending of {seats['purchased']} purchased"
                    ],
                    result.to_data(),
                    command="provision sync",
                )
            )

        async def plan_and_apply(suffix: str) -> None:
            with apply_session(engine, actor=actor, policy=policy) as applying:
                chosen = applying.choose(resume=False)
                tell(_plan_step(chosen.plan, f"plan{suffix}"))
                applied = await applying.run(client, chosen)
            tell(_apply_step(applied, f"apply{suffix}"))

        await sync_step("sync")
        await plan_and_apply("")

        accepted_now = sandbox.accept_invitations()
        tell(DemoStep("invitations accepted", [f"{accepted_now} people accepted their Zoom invitation"]))

        with session_scope(engine) as session:
            report = import_roster(session, files.second_roster, actor=actor)
        tell(
            DemoStep(
                "second roster",
                [
                    *_import_lines(report),
                    f"  left: {', '.join(files.left)}",
                    f"  joined: {', '.join(files.joined)}",
                ],
                {"left": files.left, "joined": files.joined},
                command=f"provision import roster {files.second_roster.name}",
            )
        )
        await sync_step("sync again")
        await plan_and_apply(" again")
        sandbox.accept_invitations()

        # An account admin changes things in Zoom's web portal, outside the tool: the Kyiv
        # lyceum's director loses the license, and a teacher who left gets one back.
        users = {u["email"]: u for u in sandbox.users()}
        director = next(p.email for p in files.people if p.school == "0142" and p.role == "admin")
        sandbox.set_user_type(director, 1)
        lines = [f"{director} (director of 0142) downgraded to Basic in the Zoom portal"]
        data: dict[str, Any] = {"downgraded": director, "upgraded": None}
        leaver = next((e for e in files.left if e in users and int(users[e]["type"]) != 2), None)
        if leaver is not None:
            sandbox.set_user_type(leaver, 2)
            lines.append(f"{leaver} (left the roster of 2201) given a license in the Zoom portal")
            data["upgraded"] = leaver
        tell(DemoStep("changed by hand in Zoom", lines, data))

        found = await reconcile(engine, client, policy, actor=actor)
        tell(DemoStep("reconcile", _drift_lines(found), found.to_data(), command="provision reconcile"))
        fixed = await reconcile(engine, client, policy, actor=actor, fix=True)
        lines = _drift_lines(fixed)
        if fixed.applied is not None:
            lines.insert(0, f"{fixed.applied.succeeded} corrective changes applied")
        tell(DemoStep("reconcile --fix", lines, fixed.to_data(), command="provision reconcile --fix --yes"))

    sandbox.save(directory / SANDBOX_STATE)

    with session_scope(engine) as session:
        exported = export_audit_xlsx(session, directory / WORKBOOK)
    tell(
        DemoStep(
            "audit export",
            [
                f"{directory / WORKBOOK}: "
                + ", ".join(f"{sheet} {n} rows" for sheet, n in exported.rows.items())
            ],
            exported.to_data(),
            command=f"provision audit export {WORKBOOK}",
        )
    )
    return steps


def run_demo(directory: str | Path = ".", *, say: Say | None = None, actor: str = "demo") -> DemoResult:
    """Run the whole flow in `directory` (created if missing); every step is passed to `say`."""
    started = time.monotonic()
    target = Path(directory).resolve()
    target.mkdir(parents=True, exist_ok=True)
    tell = say or (lambda step: None)
    steps: list[DemoStep] = []

    zoom = "the built-in Zoom sandbox (in this process, no network)"
    real_credentials = credentials_in_env()
    if real_credentials:
        zoom += "; ZOOM_* credentials are set but the demo never touches a real account"
    intro = DemoStep(
        "setup",
        [
            f"Zoom: {zoom}; {DEMO_SEATS} licensed seats, "
            f"{DEMO_LARGE_MEETING[500]} Large Meetings 500 add-ons",
            f"database: {target / DATABASE} (SQLite, recreated)",
            "policy: the default, except grace_days = 0 so leavers are downgraded at once",
        ],
        {
            # a new sandbox account: every seat free (the name every command's JSON gives seats)
            "seats": {"purchased": DEMO_SEATS, "used": 0, "pending": 0, "free": DEMO_SEATS},
            "real_credentials_ignored": real_credentials,
        },
    )
    steps.append(intro)
    tell(intro)

    files = write_sample(target / DATA_DIR)
    sample = DemoStep(
        "sample",
        [
            f"{len(SCHOOLS)} schools, {len(files.people)} people in {files.directory}",
            *(
                f"  {p.name}"
                for p in (files.schools, *files.rosters, files.roster_with_errors, files.second_roster)
            ),
        ],
        {"schools": len(SCHOOLS), "people": len(files.people)},
    )
    steps.append(sample)
    tell(sample)

    engine = _fresh_database(target / DATABASE)
    try:
        steps.extend(asyncio.run(_walk(files, target, engine, tell, actor)))
    finally:
        engine.dispose()
    return DemoResult(
        directory=target,
        database=target / DATABASE,
        workbook=target / WORKBOOK,
        rejects=target / REJECTS,
        sandbox_state=target / SANDBOX_STATE,
        steps=steps,
        elapsed=time.monotonic() - started,
    )
