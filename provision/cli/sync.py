"""CLI command: `sync` (registered on the root app by provision.cli)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

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
from provision.cli._signals import EXIT_INTERRUPTED, Interrupted, run_async


def _print_result(result: Any) -> None:
    from provision.reports.tables import print_table

    data = result.to_data()
    title = f"Zoom account {result.account} snapshot" if result.account else "Zoom account snapshot"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for status, count in sorted(data["users"].items()):
        table.add_row(f"users {status}", str(count))
    table.add_row("licensed users", str(data["licensed"]))
    seats = data["seats"]
    table.add_row("seats purchased", str(seats["purchased"]))
    table.add_row("seats used", str(seats["used"]))
    table.add_row("seats pending", str(seats["pending"]))
    table.add_row("seats free", str(seats["free"]))
    if "in_use" in seats:
        table.add_row(
            "seats in use (users listed)",
            f"{seats['in_use']} ({seats['licensed_active']} active + {seats['licensed_pending']} pending)",
        )
        table.add_row("plan usage reading", str(seats["pending_reading"]))
    for name, pool in data["addons"].items():
        table.add_row(name, f"{pool['usage']} of {pool['hosts']}")
    # Every pool plan usage returned, unknown ones too; the one whose seats the tool hands out marked.
    for name, pool in sorted(data["pools"].items()):
        managed = " (managed)" if name == seats.get("pool") else ""
        figures = f"{pool['usage']} of {pool['hosts']}, {pool['pending']} pending"
        table.add_row(f"pool {name}{managed}", figures)
    for what, calls in data["per_user_reads"].items():
        if calls:
            table.add_row(f"per-user reads ({what})", str(calls))
    if "zoom_one_holders" in data:
        table.add_row("Zoom One holders read", str(data["zoom_one_holders"]))
    table.add_row("groups", str(data["groups"]))
    print_table(console, table)
    for note in data["notes"]:
        console.print(f"note: {note}", style="yellow", markup=False)
    console.print(f"done in {data['elapsed_seconds']:.1f} s")


def sync_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Read the Zoom accounts (users of every status, seats, add-ons, groups) into the snapshot:
    the main account and every account the schools name, each under its own rate budget."""
    from provision.cli.plan import effective_policy
    from provision.run.observe import sync_accounts
    from provision.run.zoom_access import open_accounts

    settings = run_context(ctx).settings
    engine = open_records(settings, create=True)  # a snapshot may come before any roster
    policy = effective_policy(settings)

    async def run(callback: Any) -> Any:
        async with open_accounts(settings, policy.accounts) as zoom:
            # The license the tool hands out (policy `license`): its pool gives each account's seats.
            return await sync_accounts(
                engine, zoom, progress=callback, actor=settings.actor, product=policy.zoom_one_type
            )

    with ExitStack() as stack:
        callback = stage_progress(stack, json_output)

        try:
            results = run_async(run(callback))
        except Interrupted:
            stack.close()
            err_console.print(
                "interrupted: the snapshot was not changed (a sync writes all or nothing); "
                "run `provision sync` again",
                markup=False,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
    main = results[""]
    if json_output:
        data = main.to_data()
        if len(results) > 1:  # a ministry of several accounts: each one's snapshot too
            data["accounts"] = {key: result.to_data() for key, result in results.items()}
        emit(ctx, data)
    else:
        for result in results.values():
            _print_result(result)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("sync")(sync_command)
