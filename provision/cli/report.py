"""CLI commands: `report schools OUTDIR` (one workbook per school, for the ministry to send)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provision.cli._common import (
    JsonOption,
    console,
    emit,
    file_provenance,
    open_records,
    run_context,
    say,
)

report_app = typer.Typer(help="Files the ministry sends out: one workbook per school.", no_args_is_help=True)


@report_app.command("schools")
def schools_command(
    ctx: typer.Context,
    outdir: Annotated[
        Path, typer.Argument(help="The folder to write the workbooks in (created).", file_okay=False)
    ],
    school: Annotated[str | None, typer.Option("--school", help="Only this school's workbook.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only the schools of this region.")] = None,
    json_output: JsonOption = False,
) -> None:
    """One workbook per school: its licensed people, its waiting list with places in line, the
    rows of its roster the import rejected, and a summary, in the school's language (uk, ar, fr,
    en: its roster's). Named CODE-YYYY-MM-DD.xlsx; an earlier file is never overwritten."""
    from models import session_scope
    from provision.cli.plan import effective_policy
    from provision.reports.school_workbook import write_school_workbooks
    from provision.store.audit import record_export

    settings = run_context(ctx).settings
    provenance = file_provenance(ctx, filters={"school": school, "region": region})
    product = effective_policy(settings).zoom_one_type  # whose holders read licensed
    engine = open_records(settings)
    with session_scope(engine) as session:
        written = write_school_workbooks(
            session, outdir, school=school, region=region, provenance=provenance, product=product
        )
    with session_scope(engine) as session:
        record_export(
            session,
            actor=settings.actor,
            files=[str(f.path) for f in written],
            filters={"report": "schools", "school": school, "region": region},
            school=written[0].institution_code if school is not None else None,
        )
    if json_output:
        emit(ctx, {"directory": str(outdir), "files": [f.to_data() for f in written]})
        return
    for f in written:
        counts = ", ".join(f"{sheet} {n}" for sheet, n in f.rows.items() if sheet != "summary")
        console.print(
            f"wrote {f.path} ({f.language}: {counts})", highlight=False, markup=False, soft_wrap=True
        )
    say(ctx, f"{len(written)} workbook{'s' if len(written) != 1 else ''} in {outdir}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(report_app, name="report")
