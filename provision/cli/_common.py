"""Shared pieces of the CLI edge: consoles, the --json option, the per-run context, the envelope."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from models.gc_pause import keep_for_exit as keep_for_exit  # the commands take it from here
from provision import __version__
from provision.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from models.reader import Reader
    from provision.reports.provenance import Provenance
    from provision.settings import AppSettings

console = Console()
err_console = Console(stderr=True)
if not console.is_terminal:
    # Off a terminal (cron, a pipe, a file) a line is never wrapped at rich's assumed 80 columns.
    console.soft_wrap = True

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


OutputOption = Annotated[
    Output | None,
    typer.Option(
        "--output",
        "-o",
        help="table (for people: drawn on a terminal, tab-separated lines in a pipe), json (the "
        "common envelope, as --json) or csv.",
    ),
]


def output_mode(json_output: bool, output: Output | None) -> Output:
    """--json is --output json; the default is the table."""
    return Output.JSON if json_output else (output or Output.TABLE)


@dataclass
class RunContext:
    """What the root callback parsed; every command reads it from ctx.obj."""

    settings: AppSettings
    debug: bool = False
    command: str = ""
    quiet: bool = False


def database_label(url: str) -> str:
    """The database as an operator must see it: password masked, a SQLite file by its full path.

    `sqlite:///provision.db` is relative to the current folder: naming the absolute path is what
    tells an operator in another folder that this is not the database they meant.
    """
    from models.urls import display_url, normalize_url

    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        name = url[len("sqlite:///") :]
        if name and name != ":memory:" and not name.startswith("file:"):
            url = f"sqlite:///{Path(name).resolve()}"
    try:
        return display_url(normalize_url(url))
    except Exception:  # a URL SQLAlchemy cannot parse: say so without echoing it (it may hold a password)
        return "(unparsable database URL)"


def account_label(settings: AppSettings) -> str:
    """`sandbox`, the configured Zoom account id, or `not configured`."""
    if settings.sandbox:
        return "sandbox"
    return os.environ.get("ZOOM_ACCOUNT_ID") or "not configured"


def where_line(settings: AppSettings, *, database_url: str | None = None) -> str:
    """The header every human-readable command prints first (on stderr, so pipes get only data)."""
    url = database_url or settings.database_url
    return f"database {database_label(url)} · zoom {account_label(settings)}"


def envelope(
    ctx: typer.Context | None, data: Any, *, key: str = "data", database_url: str | None = None
) -> dict[str, Any]:
    """One shape for every command's JSON: what ran, which version, when, where, then its data."""
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, RunContext):
        run = obj
    else:
        from provision.settings import AppSettings

        run = RunContext(settings=AppSettings())
    generated = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "command": run.command or (ctx.command_path.removeprefix("provision").strip() if ctx else ""),
        "version": __version__,
        "generated_at": generated,
        "database": database_label(database_url or run.settings.database_url),
        "account": account_label(run.settings),
        "sandbox": run.settings.sandbox,
        key: data,
    }


def emit(
    ctx: typer.Context, data: Any, *, database_url: str | None = None, error: dict[str, Any] | None = None
) -> None:
    """Write the command's result as the common JSON envelope on stdout.

    `error` sits beside `data` when a command failed after doing part of its work (an apply
    left incomplete): programs read the same `error` object as for any other failure.
    """
    document = envelope(ctx, data, database_url=database_url)
    if error is not None:
        document["error"] = error
    emit_json(document)


def file_provenance(
    ctx: typer.Context, *, command_line: str = "", filters: dict[str, str | None] | None = None
) -> Provenance:
    """Where a file we write came from: version, database (masked), Zoom account, operator, time zone."""
    from provision.reports.provenance import Provenance, time_zone

    settings = run_context(ctx).settings
    return Provenance(
        command_line=command_line,
        filters=dict(filters or {}),
        version=__version__,
        database=database_label(settings.database_url),
        account=account_label(settings),
        operator=settings.actor,
        tz=time_zone(settings.timezone),
    )


def open_records(settings: AppSettings, *, create: bool = False) -> Engine:
    """The database the settings name (--db, DATABASE_URL), its schema ready: every command but
    `db upgrade` and `db status` (which handle the schema themselves) opens it here.

    Only the commands that bring records (imports, sync) pass `create`; for the rest a SQLite
    file that does not exist is an error, not a new empty database: a query from the wrong
    folder must say where it looked instead of answering "unknown school".
    """
    from models.db import open_database

    url = settings.database_url
    if not create:
        _require_file(url)
    return open_database(url)


def _require_file(url: str) -> None:
    if url.startswith("sqlite:///") and ":memory:" not in url and "mode=memory" not in url:
        path = Path(url[len("sqlite:///") :].split("?", 1)[0])
        if not path.exists():
            raise InputError(
                f"no database at {path.resolve()}: run from the folder that holds it, give --db or "
                "DATABASE_URL, or start with `provision import schools FILE`"
            )


def _plain_reader(url: str) -> Reader | None:
    """A Reader of its own connection to `url`, or None when the driver alone cannot take the URL
    (an in-memory SQLite, SQLAlchemy's own options): the engine can."""
    from models.reader import connect, plain_url

    if not plain_url(url):
        return None
    try:
        return connect(url)
    except Exception as exc:
        # A server that does not answer, or refuses, says so here and once: the engine would
        # only make the operator wait out the same connect timeout a second time.
        if type(exc).__name__ == "OperationalError":  # sqlite3's and psycopg's alike
            raise
        return None


@contextmanager
def read_records(settings: AppSettings) -> Iterator[Reader]:
    """The records for a read-only question, through the database driver alone (models.reader).

    A question on the phone must not wait for SQLAlchemy to load: only a database whose schema
    is not the newest (which open_records upgrades, or refuses) or that the driver alone cannot
    open (an in-memory SQLite) goes through the engine.
    """
    from models.reader import Reader, schema_current

    url = settings.database_url
    _require_file(url)
    reader = _plain_reader(url)
    if reader is None:
        with open_records(settings).connect() as conn:
            yield Reader(conn.connection.driver_connection, conn.dialect.name)
        return
    try:
        if not schema_current(reader):
            open_records(settings)
        yield reader
    finally:
        reader.close()


@contextmanager
def plan_records(settings: AppSettings) -> Iterator[Reader | Session]:
    """The records for `provision plan` (read, then one PlanRecord written), in one transaction
    committed when the block ends normally and rolled back when it raises.

    Through the database driver alone when it can open them (a Reader of its own connection, which
    the locks of models.locks take too): a 100,000-person plan must not wait for SQLAlchemy to
    load. A schema not the newest goes through open_records first (upgrade, or refusal); a URL
    the driver alone cannot take gets a session of the engine instead.
    """
    from models.reader import schema_current

    url = settings.database_url
    _require_file(url)
    reader = _plain_reader(url)
    if reader is None:
        from models.db import session_scope

        with session_scope(open_records(settings)) as session:
            yield session
        return
    try:
        current = schema_current(reader)
        reader.connection.commit()  # the check's reads hold nothing an upgrade would wait for
        if not current:
            open_records(settings)
        yield reader
        reader.connection.commit()
    except BaseException:
        with suppress(Exception):  # a connection gone away has nothing to roll back
            reader.connection.rollback()
        raise
    finally:
        reader.close()


def run_context(ctx: typer.Context) -> RunContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, RunContext):  # a command invoked without the root callback (tests)
        from provision.settings import AppSettings

        obj = RunContext(settings=AppSettings())
        ctx.find_root().obj = obj
    return obj


_ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def _utc_text(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _one_time_form(value: Any) -> Any:
    """Every UTC time as ISO 8601 with `Z`, however the data spelled it (`+00:00`, a space)."""
    if isinstance(value, str):
        if len(value) >= 25 and _ISO_UTC.match(value):
            return value[:10] + "T" + value[11:-6] + "Z"
        return value
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, dict):
        return {k: _one_time_form(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_one_time_form(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout (times as ISO 8601 UTC with Z, paths as strings)."""
    sys.stdout.write(json.dumps(_one_time_form(data), ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


QUIET = False  # --quiet: set by the root callback for the one command this process runs


def show_progress(json_output: bool) -> bool:
    """Progress bars only for a person at a terminal: never with --json, --quiet or when piped."""
    return not json_output and not QUIET and sys.stderr.isatty()


def say(ctx: typer.Context, *args: Any, **kwargs: Any) -> None:
    """An informational line for people (not the result itself): left out by --quiet."""
    if not run_context(ctx).quiet:
        console.print(*args, **kwargs)


ProgressCallback = Callable[[str, int, "int | None"], None]


def stage_progress(stack: ExitStack, json_output: bool, *, with_eta: bool = False) -> ProgressCallback | None:
    """A callback drawing one bar per stage (or action kind) while `stack` is open; None when quiet.

    The engine reports progress as (stage, done, total); it knows nothing of terminals.
    """
    if not show_progress(json_output):
        return None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [TextColumn("{task.description:<14}"), BarColumn()]
    if with_eta:
        columns += [MofNCompleteColumn(), TimeRemainingColumn()]
    else:
        columns.append(TextColumn("{task.completed}"))
    bar = stack.enter_context(Progress(*columns, console=err_console, transient=True))
    tasks: dict[str, Any] = {}

    def callback(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return callback
