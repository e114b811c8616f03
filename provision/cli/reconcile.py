"""CLI command: `reconcile [--json] [--fix] [--yes] [--force]` (registered on the root app by provision.cli).

Exit codes: 0 clean, 3 drift found (the nightly job alerts on it), 1 failure, 2 bad usage
(--fix without --yes and no terminal to ask on).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Annotated, Any

import typer
from rich.table import Table

from provision.cli._common import (
    JsonOption,
    console,
    emit,
    err_console,
    open_records,
    run_context,
    stage_progress,
)
from provision.cli._signals import run_async

SHOWN_PER_KIND = 20


def print_drift(data: dict[str, Any]) -> None:
    """The report as an operator reads it: a count per kind, then the first items of each."""
    from provision.reports.tables import print_table

    account = data.get("seats") or data.get("account") or {}  # "account": reports stored before
    table = Table(title="reconcile", title_justify="left")
    table.add_column("drift")
    table.add_column("count", justify="right")
    from provision.core.drift import INFO_KINDS  # shown, no alert: yellow, not red

    for kind, count in data["counts"].items():
        style = "" if not count else "yellow" if kind in INFO_KINDS else "bold red"
        table.add_row(kind.replace("_", " "), f"[{style}]{count}[/]" if style else str(count))
    print_table(console, table)
    if account:
        console.print(
            f"account seats: {account['used']} used, {account['pending']} pending of "
            f"{account['purchased']} purchased ({account['free']} free); "
            f"{data.get('waiting', 0)} people waiting for a seat",
            highlight=False,
        )
        if account.get("disagreement"):
            console.print(f"note: {account['disagreement']}", style="yellow", highlight=False, markup=False)
    for kind, items in data["kinds"].items():
        if not items:
            continue
        console.print(f"[bold]{kind.replace('_', ' ')}[/]")
        for item in items[:SHOWN_PER_KIND]:
            who = item.get("email") or item.get("institution_code") or ""
            school = (
                f" [{item['institution_code']}]" if item.get("email") and item.get("institution_code") else ""
            )
            console.print(f"  {who}{school}: {item.get('detail', '')}", highlight=False, markup=False)
        if len(items) > SHOWN_PER_KIND:
            console.print(f"  … and {len(items) - SHOWN_PER_KIND} more (--json or the audit export has all)")
    if data["clean"]:
        console.print("[green]clean:[/] Zoom matches the rosters, the policy and our last changes.")
    else:
        console.print(f"[bold red]drift found:[/] {data['alerts']} items (exit code 3).")


def reconcile_command(
    ctx: typer.Context,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Apply the corrective plan (same policy, thresholds and lock as apply)."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With --fix: apply without asking (required without a TTY).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --fix: accept a plan above the revocation thresholds.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Requests in flight at once (--fix).")
    ] = 16,
    json_output: JsonOption = False,
) -> None:
    """Compare Zoom with the rosters and our audit log; exit 3 when drift is found (for cron)."""

    from provision.cli.plan import effective_policy
    from provision.reports.render import print_plan
    from provision.run.reconcile import reconcile
    from provision.run.zoom_access import open_accounts

    if fix and not yes and (json_output or not sys.stdin.isatty()):
        err_console.print(
            "error: reconcile --fix changes Zoom and needs confirmation: rerun with --yes "
            "(no terminal to ask on)",
            markup=False,
        )
        raise typer.Exit(2)

    settings = run_context(ctx).settings
    policy = effective_policy(settings)
    engine = open_records(settings)

    def confirm(plan: Any) -> bool:
        print_plan(console, plan)
        return typer.confirm(f"Apply {len(plan.actions)} corrective changes to Zoom?", default=False)

    async def run(callback: Any) -> Any:
        async with open_accounts(settings, policy.accounts) as zoom:
            return await reconcile(
                engine,
                zoom,
                policy,
                actor=settings.actor,
                fix=fix,
                force=force,
                confirm=None if yes else confirm,
                concurrency=concurrency,
                progress=callback,
            )

    with ExitStack() as stack:
        callback = stage_progress(stack, json_output)

        result = run_async(run(callback))

    data = result.to_data()
    if json_output:
        emit(ctx, data)
    else:
        fixed = data.get("fix")
        if fixed is not None:
            if fixed["declined"]:
                console.print("Nothing applied.")
            elif fixed["applied"] is not None:
                console.print(
                    f"fixed: {fixed['applied']['succeeded']} changes applied "
                    f"({fixed['found_alerts']} drift items found before); looked again:"
                )
            else:
                console.print("No corrective change to apply (what is left needs a person to decide).")
        print_drift(data)
    if not result.clean:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("reconcile")(reconcile_command)
