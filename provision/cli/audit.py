"""CLI commands: `audit export FILE` (the auditors' workbook, or CSV tables)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from provision.cli._common import JsonOption, console, emit, open_records, run_context
from provision.errors import InputError


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


audit_app = typer.Typer(help="The audit trail: export it for auditors.", no_args_is_help=True)


@audit_app.command("export")
def export_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The workbook to write (FILE.xlsx), or the CSV base name.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Changes from this date (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Changes up to this date (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    school: Annotated[str | None, typer.Option("--school", help="Only this school's rows.")] = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            help="xlsx: one workbook with Summary, Licenses, Changes, Drift, Import issues. "
            "csv: FILE-licenses.csv and FILE-changes.csv.",
        ),
    ] = Format.XLSX,
    json_output: JsonOption = False,
) -> None:
    """Every license, every change, the last reconcile and every rejected row, for auditors."""
    from models import session_scope
    from provision.reports import export
    from provision.store.audit import record_export

    lower = export.parse_bound(since, end=False, option="--since")
    upper = export.parse_bound(until, end=True, option="--until")
    if lower is not None and upper is not None and lower >= upper:
        raise InputError(f"--since {since} is not before --until {until}")
    settings = run_context(ctx).settings
    engine = open_records(settings)
    with session_scope(engine) as session:
        if fmt is Format.CSV:
            result = export.export_csv(session, file, since=lower, until=upper, school=school)
        else:
            result = export.export_audit_xlsx(session, file, since=lower, until=upper, school=school)
    with session_scope(engine) as session:
        record_export(
            session,
            actor=settings.actor,
            files=[str(p) for p in result.paths],
            filters={"since": since, "until": until, "school": school, "format": fmt.value},
            school=school,
        )
    if json_output:
        emit(ctx, result.to_data())
        return
    for path in result.paths:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)  # a path stays one copyable line
    rows = ", ".join(f"{name}: {count} rows" for name, count in result.rows.items())
    console.print(rows, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(audit_app, name="audit")
