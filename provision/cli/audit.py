"""CLI commands: `audit export FILE` (the auditors' workbook, or one CSV file per sheet)."""

from __future__ import annotations

import shlex
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from provision.cli._common import (
    JsonOption,
    console,
    database_label,
    emit,
    file_provenance,
    open_records,
    run_context,
)
from provision.errors import InputError


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


audit_app = typer.Typer(help="The audit trail: export it for auditors.", no_args_is_help=True)


def _command_line(ctx: typer.Context) -> str:
    """The command as typed, with the database URL's password masked (it may carry one)."""
    argv = list(ctx.find_root().meta.get("provision.argv", []))
    for i, token in enumerate(argv):
        if token == "--db" and i + 1 < len(argv):
            argv[i + 1] = database_label(argv[i + 1])
        elif token.startswith("--db="):
            argv[i] = "--db=" + database_label(token[len("--db=") :])
    return shlex.join(["provision", *argv])


@audit_app.command("export")
def export_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="The workbook to write (FILE.xlsx), or FILE.csv for one CSV per sheet.")
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="Changes from this date (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Changes up to this date (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    school: Annotated[str | None, typer.Option("--school", help="Only this school's rows.")] = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="xlsx: one workbook with Provenance, Summary, Licenses, Changes, Drift, Import issues. "
            "csv: FILE-<sheet>.csv for each of them. Default: from FILE's suffix.",
        ),
    ] = None,
    delimiter: Annotated[
        str, typer.Option("--delimiter", help="CSV delimiter: ';' for Ukrainian and French Excel.")
    ] = ",",
    json_output: JsonOption = False,
) -> None:
    """Every license, every change, the last reconcile and every rejected row, for auditors.

    Times are UTC, and also local when PROVISION_TIMEZONE names a zone (e.g. Europe/Kyiv).
    """
    from models import session_scope
    from provision.cli.plan import effective_policy
    from provision.reports import export
    from provision.store.audit import record_export

    chosen = export.export_format(file, fmt.value if fmt else None)
    lower = export.parse_bound(since, end=False, option="--since")
    upper = export.parse_bound(until, end=True, option="--until")
    if lower is not None and upper is not None and lower >= upper:
        raise InputError(f"--since {since} is not before --until {until}")
    settings = run_context(ctx).settings
    provenance = file_provenance(
        ctx, command_line=_command_line(ctx), filters={"since": since, "until": until, "format": chosen}
    )
    product = effective_policy(settings).zoom_one_type  # whose holders read licensed
    engine = open_records(settings)
    with session_scope(engine) as session:
        if chosen == "csv":
            result = export.export_csv(
                session,
                file,
                since=lower,
                until=upper,
                school=school,
                delimiter=delimiter,
                provenance=provenance,
                product=product,
            )
        else:
            result = export.export_audit_xlsx(
                session, file, since=lower, until=upper, school=school, provenance=provenance, product=product
            )
    with session_scope(engine) as session:
        record_export(
            session,
            actor=settings.actor,
            files=[str(p) for p in result.paths],
            filters={"since": since, "until": until, "school": school, "format": chosen},
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
