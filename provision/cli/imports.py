"""CLI commands: `import schools` and `import roster` (parse, call importers, render)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from provision.cli._common import (
    JsonOption,
    console,
    emit,
    err_console,
    open_records,
    run_context,
    show_progress,
)
from provision.cli.plan import effective_policy

if TYPE_CHECKING:
    from importers import ImportReport

import_app = typer.Typer(
    help="Import schools and rosters from spreadsheets or OneRoster/SDS packages.", no_args_is_help=True
)

FileArg = Annotated[Path, typer.Argument(help="xlsx/xlsm/xls/ods/csv, or a OneRoster/SDS folder or zip.")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Validate and show what would change; write nothing.")
]
SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="Commit the valid rows and record the rejected ones.")
]
RejectsOut = Annotated[
    Path | None,
    typer.Option(
        "--rejects-out", help="Also write every rejected row in one workbook here (for the ministry)."
    ),
]
RejectsDir = Annotated[
    Path | None,
    typer.Option(
        "--rejects-dir",
        help="Folder for the rejects: one dated workbook per school, never overwritten "
        "(default: a `rejects` folder beside the file; with --dry-run only when given).",
        file_okay=False,
    ),
]
MAX_REJECTS_SHOWN = 20
MAX_SCHOOLS_SHOWN = 30


def _run(
    ctx: typer.Context,
    json_output: bool,
    call: Callable[..., ImportReport],
    *,
    plain: bool = False,
    **kwargs: Any,
) -> ImportReport:
    """Run the import in one transaction: committed when it returns, nothing written if it raises.

    plain: the import writes through the database driver alone (models.writer) when the database
    exists at the newest schema, without loading SQLAlchemy; anything else (a database to create
    or upgrade, a dry run against none) goes through the engine."""
    settings = run_context(ctx).settings
    status = console.status("importing…") if show_progress(json_output) else nullcontext()
    url = _plain_url(settings.database_url) if plain else None
    if url is not None:
        from models.writer import writing

        with status, writing(url) as writer:
            return call(writer, actor=settings.actor, **kwargs)

    from models.db import scratch_engine, session_scope, sqlite_file_missing

    if kwargs.get("dry_run") and sqlite_file_missing(settings.database_url):
        # A dry run writes nothing, not even a new database file: compare with an empty one.
        engine = scratch_engine()
    else:
        engine = open_records(settings, create=True)  # the first import makes the database
    with status, session_scope(engine) as session:
        return call(session, actor=settings.actor, **kwargs)


def _plain_url(url: str) -> str | None:
    """`url` when the driver alone can write there: an existing SQLite file or PostgreSQL through
    psycopg, at the newest schema; None otherwise (the engine creates, upgrades or refuses)."""
    from models.reader import connect, plain_url, schema_current
    from models.urls import sqlite_path

    if not plain_url(url):
        return None
    path = sqlite_path(url)
    if path is not None and not Path(path).is_file():
        return None
    try:
        reader = connect(url)
    except Exception as exc:
        if type(exc).__name__ == "OperationalError":  # a server that does not answer: say so once
            raise
        return None  # a URL the driver alone cannot take (SQLAlchemy's options): the engine can
    try:
        return url if schema_current(reader) else None
    finally:
        reader.close()


def _render(report: ImportReport, rejects_files: list[Path]) -> None:
    for note in report.notes:
        console.print(f"[dim]note:[/] {note}", highlight=False)
    for warning in report.warnings:
        err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    if report.already_imported:
        console.print(
            f"{report.file}: already imported (same sha256, batch {report.batch_id}); nothing changed"
        )
        return
    changes = Table("school", "added", "updated", "left", "unchanged", title=f"{report.kind}: {report.file}")
    for code, c in sorted(report.schools.items())[:MAX_SCHOOLS_SHOWN]:
        changes.add_row(code, str(c.added), str(c.updated), str(c.left), str(c.unchanged))
    if len(report.schools) > MAX_SCHOOLS_SHOWN:
        changes.add_row(f"… {len(report.schools) - MAX_SCHOOLS_SHOWN} more", "", "", "", "")
    t = report.totals
    changes.add_row("total", str(t.added), str(t.updated), str(t.left), str(t.unchanged), style="bold")
    console.print(changes)
    if report.rejected:
        rej = Table(
            "sheet", "row", "column", "reason", "value", title=f"{report.rows_rejected} rows rejected"
        )
        for r in report.rejected[:MAX_REJECTS_SHOWN]:
            reason = f"{r.reason} ({r.detail})" if r.detail else r.reason
            rej.add_row(r.sheet or "", str(r.row), r.column or "", reason, r.value or "")
        err_console.print(rej)
        if len(report.rejected) > MAX_REJECTS_SHOWN:
            err_console.print(f"… and {len(report.rejected) - MAX_REJECTS_SHOWN} more")
        for path in rejects_files:
            err_console.print(f"rejected rows written to {path}", highlight=False, soft_wrap=True)
        if not rejects_files and report.dry_run:
            err_console.print("dry run: the rejected rows were not written (--rejects-dir DIR writes them)")
    if report.committed:
        console.print(f"committed: {report.rows_accepted} rows accepted (batch {report.batch_id})")
    elif report.dry_run:
        console.print(
            f"dry run: {report.rows_accepted} rows valid, {report.rows_rejected} rejected; nothing written"
        )
    else:
        err_console.print(
            "[bold red]nothing committed[/]: fix the rejected rows (or use --skip-invalid to import the rest)"
        )


def _finish(
    ctx: typer.Context,
    report: ImportReport,
    file: Path,
    *,
    rejects_out: Path | None,
    rejects_dir: Path | None,
    json_output: bool,
) -> None:
    from importers import default_rejects_dir, write_rejects_xlsx, write_school_rejects

    rejects_file = None
    per_school: dict[str, Path] = {}
    if report.rejected and not report.already_imported:
        # A dry run writes nothing it was not asked for (the rejects name people).
        if rejects_dir is not None or not report.dry_run:
            per_school = write_school_rejects(report, rejects_dir or default_rejects_dir(file))
        if rejects_out is not None:
            rejects_file = write_rejects_xlsx(report, rejects_out)
    if json_output:
        emit(
            ctx,
            {
                **report.to_data(),
                "rejects_file": str(rejects_file) if rejects_file else None,
                "rejects_files": {school: str(path) for school, path in per_school.items()},
            },
        )
    else:
        _render(report, [*per_school.values(), *([rejects_file] if rejects_file else [])])
    if report.rejected and not report.committed:
        raise typer.Exit(2)


@import_app.command("schools")
def schools_command(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejects_out: RejectsOut = None,
    rejects_dir: RejectsDir = None,
    seats: Annotated[
        Path | None,
        typer.Option(
            "--seats",
            help=(
                "With a OneRoster/SDS package: seats per school (columns: code or sourcedId, seats;"
                " optional account: the school's Zoom account)."
            ),
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Import institutions (code, name, region, kind, seats, account); existing codes are updated.

    The account column names the school's Zoom account: a sub-account id of the master account,
    or an alias of the policy's [accounts]; empty is the main account.

    FILE is a schools sheet, or a OneRoster/SDS package (folder or zip): its schools are imported.

    A package's seats come from --seats, else stay as they are (0 for a new school, with a warning).
    """
    from importers import import_schools
    from provision.cli.plan import effective_policy
    from provision.core.accounts import key_problem

    aliases = effective_policy(run_context(ctx).settings).aliases
    report = _run(
        ctx,
        json_output,
        import_schools,
        path=file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        seats=seats,
        check_account=lambda value: key_problem(value, aliases),
    )
    _finish(ctx, report, file, rejects_out=rejects_out, rejects_dir=rejects_dir, json_output=json_output)


@import_app.command("roster")
def roster_command(
    ctx: typer.Context,
    file: FileArg,
    school: Annotated[
        str | None, typer.Option("--school", help="The school this file is for (one file per school).")
    ] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Add and update only: nobody missing is marked as left.")
    ] = False,
    allow_shrink: Annotated[
        bool,
        typer.Option("--allow-shrink", help="Accept a roster that removes many people, or an empty one."),
    ] = False,
    skip_invalid: SkipInvalid = False,
    dry_run: DryRun = False,
    rejects_out: RejectsOut = None,
    rejects_dir: RejectsDir = None,
    json_output: JsonOption = False,
) -> None:
    """Import a roster: one sheet per school, a school column, or one file per school (--school).

    The roster replaces each listed school's previous one (people missing are marked as left)
    unless --merge. Any rejected row means nothing is committed, unless --skip-invalid.
    """
    from importers import import_roster

    policy = effective_policy(run_context(ctx).settings)  # a bad policy: exit 2 before any work
    report = _run(
        ctx,
        json_output,
        import_roster,
        plain=True,
        email_from_username=policy.email_from_username,
        role_words=policy.roles,  # the policy's [roles] over the built-in words (and OneRoster's)
        path=file,
        school=school,
        merge=merge,
        allow_shrink=allow_shrink,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
    )
    _finish(ctx, report, file, rejects_out=rejects_out, rejects_dir=rejects_dir, json_output=json_output)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(import_app, name="import")
