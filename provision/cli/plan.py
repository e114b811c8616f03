"""CLI command: `plan` (registered on the root app by provision.cli), and the policy in force."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli._common import (
    JsonOption,
    Output,
    OutputOption,
    console,
    emit,
    err_console,
    keep_for_exit,
    output_mode,
    plan_records,
    run_context,
)
from provision.errors import InputError

# A whole-account plan can hold 100,000 lines: past this, show a few per school (--all: all).
BIG_PLAN_LINES = 500
LINES_PER_SCHOOL = 10

if TYPE_CHECKING:
    from provision.core.plan import Plan
    from provision.core.policy import Policy
    from provision.settings import AppSettings


def effective_policy(settings: AppSettings) -> Policy:
    """The policy file settings name (--policy, PROVISION_POLICY_FILE or PROVISION_POLICY), else
    the defaults."""
    from provision.store.policy_file import load_policy

    return load_policy(settings.policy_file)


def write_plan_file(path: Path, data: Mapping[str, object] | bytes) -> None:
    """Write plan.json whole or not at all (a temp file renamed over the target).

    `data`: the plan's to_data(), or that already encoded (provision.store.planning.encode_plan).
    """
    if not isinstance(data, bytes):
        from provision.store.planning import encode_plan

        data = encode_plan(data)
    target = path.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "wb", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as tmp:
            # Compact UTF-8 (a 100,000-action plan is 23 MB), ending with a newline.
            tmp.write(data)
            tmp.write(b"\n")
        Path(tmp.name).replace(target)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the plan file: {exc}") from exc


def plan_command(
    ctx: typer.Context,
    school: Annotated[
        str | None, typer.Option("--school", help="Show and save only this school's part of the plan.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Show this region's schools and changes (the whole plan is saved)."),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Show every school and every change (big plans: summary only).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan to this file for `provision apply`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a plan above the policy's revocation thresholds.")
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help=f"Show every line (default: {LINES_PER_SCHOOL} per school with --region)."
        ),
    ] = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when nothing would change, 3 when changes are pending."
        ),
    ] = False,
    json_output: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Show what apply would change in Zoom: a summary per region first, then per school on request.

    A plan above the policy's revocation thresholds is shown, then refused (exit 1) unless --force.
    """
    from models.gc_pause import gc_paused

    # A plan and its JSON are a few million objects, none in cycles: the collector, back on while
    # they live, would walk them all. It stays paused until _plan returns and they are freed.
    with gc_paused():
        _plan(
            ctx,
            school=school,
            region=region,
            details=details or show_all,
            out=out,
            force=force,
            detailed_exitcode=detailed_exitcode,
            mode=output_mode(json_output, output),
        )


def _plan(
    ctx: typer.Context,
    *,
    school: str | None,
    region: str | None,
    details: bool,
    out: Path | None,
    force: bool,
    detailed_exitcode: bool,
    mode: Output,
) -> None:
    from provision.core.safety import check_safety
    from provision.errors import UnsafePlanError
    from provision.reports.render import schools_in_region
    from provision.store.planning import encode_plan, make_plan, save_plan

    settings = run_context(ctx).settings
    policy = effective_policy(settings)
    refused: UnsafePlanError | None = None
    # Through the database driver alone (plan_records): SQLAlchemy is not loaded for a plan.
    with plan_records(settings) as records:
        plan = make_plan(
            records, policy, school=school, force=force, actor=settings.actor, record=False, check=False
        )
        codes = schools_in_region(plan, region) if region is not None else None
        try:
            check_safety(plan, policy, force=force)
        except UnsafePlanError as exc:
            refused = exc
        if refused is None:
            data = plan.to_data()  # once, for the record, the file and --json alike
            encoded = encode_plan(data)  # once, for the record and the file
            save_plan(records, plan, actor=settings.actor, encoded=encoded)
    if refused is not None:
        if mode is Output.TABLE:  # what would have been taken back, then the refusal (stderr, exit 1)
            _print(plan, codes, school=school, region=region, details=details)
        raise refused
    if out is not None:
        write_plan_file(out, encoded)
    if mode is Output.JSON:
        emit(ctx, data)
    elif mode is Output.CSV:
        import sys

        from provision.reports.render import region_table, school_table
        from provision.reports.tables import write_csv

        tables = [school_table(plan, codes)]
        if len(plan.summary.regions) > 1 and codes is None:
            tables.insert(0, region_table(plan))
        write_csv(sys.stdout, tables)
    else:
        _print(plan, codes, school=school, region=region, details=details)
        if out is not None:
            err_console.print(f"Plan saved to {out}: run `provision apply {out}` to apply it.", markup=False)
    keep_for_exit(plan, data, encoded)  # freed by no one: the process ends (provision.cli.run)
    if detailed_exitcode and not plan.is_empty:
        raise typer.Exit(3)


def _print(
    plan: Plan, codes: set[str] | None, *, school: str | None, region: str | None, details: bool
) -> None:
    """Small plans in full; big ones as a summary, unless --details, --school or --region asks for more."""
    from provision.reports.render import print_plan

    big = len(plan.actions) + len(plan.waiting) > BIG_PLAN_LINES
    asked = details or school is not None or region is not None
    print_plan(
        console,
        plan,
        codes=codes,
        lines=asked or not big,
        schools=asked or not big,
        limit=LINES_PER_SCHOOL if big and region is not None and not details else None,
    )
    if big and not asked:
        waiting = plan.counts()["waiting"]
        console.print(
            f"{len(plan.actions):,} changes and {waiting:,} waiting: `provision plan --region R` or "
            "`--school CODE` shows them, `--details` shows every school and line, `--json` gives all.",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("plan")(plan_command)
