"""CLI command: `demo [--dir PATH] [--json]` (registered on the root app by provision.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from provision.cli._common import JsonOption, console, emit, run_context


def _say(step: Any) -> None:
    console.rule(f"[bold]{step.title}", align="left")
    if step.command:
        console.print(f"[dim]$ {step.command}[/]", highlight=False)
    for line in step.lines:
        console.print(line, markup=False, highlight=False)


def demo_command(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", help="Where to write the sample, demo.db and demo-audit.xlsx.", file_okay=False
        ),
    ] = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Run the whole flow on a sample of 12 schools against the built-in Zoom sandbox (no credentials)."""
    from provision.demo.flow import SANDBOX_STATE, run_demo

    settings = run_context(ctx).settings
    result = run_demo(directory, say=None if json_output else _say, actor=settings.actor)
    if json_output:
        emit(ctx, result.to_data(), database_url=f"sqlite:///{result.database}")
        return
    console.rule("[bold]done", align="left")
    console.print(
        f"In {result.elapsed:.1f} s. Left in {result.directory}: {result.database.name}, "
        f"{result.workbook.name}, {result.rejects.name}, {SANDBOX_STATE} and the sample in demo-data/.",
        highlight=False,
    )
    db = f"sqlite:///{result.database}"
    console.print("Look around with the same commands an operator uses:", highlight=False)
    for command in (
        f"provision --db {db} schools",
        f"provision --db {db} school 0142",
        f"PROVISION_SANDBOX_STATE={result.sandbox_state} provision --sandbox --db {db} reconcile",
    ):
        console.print(f"  {command}", markup=False, highlight=False)
    console.print(
        "With ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET set (and no --sandbox), "
        "the same commands run against your Zoom account.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo_command)
