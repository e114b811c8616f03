"""CLI commands: db (registered on the root app by provision.cli)."""

from __future__ import annotations

from typing import Any

import typer

from provision.cli._common import JsonOption, console, emit, run_context
from provision.errors import InputError, ProvisionError

db_app = typer.Typer(help="The database's schema: create, upgrade, show its version.", no_args_is_help=True)


def _database_error(url: str, exc: Exception) -> ProvisionError:
    from models.db import display_url
    from models.errors import SchemaStateError

    if isinstance(exc, SchemaStateError):
        return InputError(str(exc))
    # The driver's first line says what failed (refused, unknown database) without the password.
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return ProvisionError(f"cannot open the database {display_url(url)}: {reason}")


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Create the schema in an empty database, or upgrade an older one to this version (data kept)."""
    from sqlalchemy.exc import OperationalError

    from models.db import current_revision, display_url, head_revision, make_engine, upgrade
    from models.errors import SchemaStateError

    url = run_context(ctx).settings.database_url
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except (SchemaStateError, OperationalError) as exc:
        raise _database_error(url, exc) from exc
    data: dict[str, Any] = {
        "database": display_url(url),
        "before": before,
        "after": after,
        "head": head_revision(),
        "changed": before != after,
    }
    if json_output:
        emit(ctx, data)
        return
    if before is None:
        message = f"created the schema at revision {after}"
    elif before != after:
        message = f"upgraded the schema from revision {before} to {after}"
    else:
        message = f"already at revision {after} (the newest); nothing to do"
    console.print(f"{data['database']}: {message}", markup=False, highlight=False)


@db_app.command("current")
def current_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show the database's schema revision and whether `db upgrade` has anything to do."""
    from sqlalchemy.exc import OperationalError

    from models.db import current_revision, display_url, head_revision, make_engine, sqlite_file_missing

    url = run_context(ctx).settings.database_url
    head = head_revision()
    if sqlite_file_missing(url):
        revision = None  # reading would create an empty file; say it is absent instead
    else:
        try:
            revision = current_revision(make_engine(url))
        except OperationalError as exc:
            raise _database_error(url, exc) from exc
    data = {"database": display_url(url), "revision": revision, "head": head, "up_to_date": revision == head}
    if json_output:
        emit(ctx, data)
        return
    state = "up to date" if revision == head else f"run `provision db upgrade` to reach {head}"
    console.print(
        f"{data['database']}: revision {revision or 'none'} ({state})", markup=False, highlight=False
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(db_app, name="db")
