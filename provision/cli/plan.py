"""CLI command: `plan` (registered on the root app by provision.cli), and the policy in force."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli._common import JsonOption, console, emit, err_console, open_records, run_context
from provision.errors import InputError

# A whole-account plan can hold 100,000 lines: past this, show a few per school (--all: all).
BIG_PLAN_LINES = 500
LINES_PER_SCHOOL = 10

if TYPE_CHECKING:
    from provision.core.policy import Policy
    from provision.settings import AppSettings


def effective_policy(settings: AppSettings) -> Policy:
    """The policy file settings name (--policy, PROVISION_POLICY_FILE or PROVISION_POLICY), else
    the defaults."""
    from provision.store.policy_file import load_policy

    return load_policy(settings.policy_file)


def write_plan_file(path: Path, data: dict[str, object]) -> None:
    """Write plan.json whole or not at all (a temp file renamed over the target)."""
    import orjson

    target = path.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "wb", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as tmp:
            # Compact UTF-8 (a 100,000-action plan is 23 MB): orjson writes it in ~0.15 s.
            tmp.write(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE))
        Path(tmp.name).replace(target)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the plan file: {exc}") from exc


def plan_command(
    ctx: typer.Context,
    school: Annotated[
        str | None, typer.Option("--school", help="Show and save only this school's part of the plan.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan to this file for `provision apply`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a plan above the policy's revocation thresholds.")
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help=f"Show every line (default: {LINES_PER_SCHOOL} per school for big plans)."
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Show what apply would change in Zoom, per school, with the reason for every change."""
    from models.db import session_scope
    from provision.reports.render import print_plan
    from provision.store.planning import gc_paused, make_plan, save_plan

    settings = run_context(ctx).settings
    policy = effective_policy(settings)
    engine = open_records(settings)
    with gc_paused(), session_scope(engine) as session:
        plan = make_plan(session, policy, school=school, force=force, actor=settings.actor, record=False)
        data = plan.to_data()  # once, for the record, the file and --json alike
        save_plan(session, plan, actor=settings.actor, data=data)
    if out is not None:
        write_plan_file(out, data)
    if json_output:
        emit(ctx, data)
        return
    big = len(plan.actions) + len(plan.waiting) > BIG_PLAN_LINES
    print_plan(console, plan, limit=LINES_PER_SCHOOL if big and not show_all and school is None else None)
    if out is not None:
        err_console.print(f"Plan saved to {out}: run `provision apply {out}` to apply it.", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("plan")(plan_command)
