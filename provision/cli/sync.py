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
    data = result.to_data()
    table = Table(title="Zoom account snapshot", title_justify="left", show_header=False)
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
    console.print(table)
    for note in data["notes"]:
        console.print(f"note: {note}", style="yellow", markup=False)
    console.print(f"done in {data['elapsed_seconds']:.1f} s")


def sync_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Read the Zoom account (users of every status, seats, add-ons, groups) into the snapshot."""
    from provision.cli.plan import effective_policy
    from provision.run.observe import sync
    from provision.run.zoom_access import open_zoom

    settings = run_context(ctx).settings
    product = effective_policy(settings).zoom_one_type  # the license the tool hands out: its pool
    engine = open_records(settings, create=True)  # a snapshot may come before any roster

    async def run(callback: Any) -> Any:
        async with open_zoom(settings) as client:
            return await sync(engine, client, progress=callback, product=product)

    with ExitStack() as stack:
        callback = stage_progress(stack, json_output)

        try:
            result = run_async(run(callback))
        except Interrupted:
            stack.close()
            err_console.print(
                "interrupted: the snapshot was not changed (a sync writes all or nothing); "
                "run `provision sync` again",
                markup=False,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if json_output:
        emit(ctx, result.to_data())
    else:
        _print_result(result)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("sync")(sync_command)
