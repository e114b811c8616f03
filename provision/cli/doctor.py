"""CLI command: `doctor` (registered on the root app by provision.cli)."""

from __future__ import annotations

import typer
from rich.table import Table

from provision.cli._common import JsonOption, console, emit, run_context

_MARKS = {True: "[green]ok[/]", False: "[red]FAIL[/]", None: "[dim]·[/]"}


def doctor_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Check everything a real run needs: database, policy, Zoom token, scopes, seats, caps.

    Exit 0 when everything needed is there, 1 otherwise (each failing line says what to do).
    """
    import asyncio

    from provision.reports.tables import print_table
    from provision.run.doctor import run_doctor

    settings = run_context(ctx).settings
    report = asyncio.run(run_doctor(settings, policy_file=settings.policy_file))
    if json_output:
        emit(ctx, report.to_data())
    else:
        table = Table(title="provision doctor", title_justify="left", show_header=False)
        table.add_column("ok")  # shown as a header only in a pipe (plain lines)
        table.add_column("check")
        table.add_column("found", overflow="fold")
        for check in report.checks:
            table.add_row(_MARKS[check.ok], check.name, check.detail)
        print_table(console, table)
        verdict = "everything needed is there" if report.ok else "something needed is missing (FAIL lines)"
        console.print(verdict, highlight=False)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("doctor")(doctor_command)
