"""The thin Typer edge: parses arguments, calls the engine, renders results.

Only this module maps exceptions to exit codes: 0 ok, 1 failure, 2 bad usage or bad input,
3 reconcile found drift (returned by the command itself), 130 Ctrl-C.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from models import gc_pause
from provision import __version__
from provision.cli import _common
from provision.cli._common import RunContext, emit_json, envelope, err_console, where_line
from provision.cli._signals import EXIT_INTERRUPTED, Interrupted, terminate_as_interrupt
from provision.errors import ProvisionError
from provision.launch import ROOT_VALUED

# Typer >= 0.20 carries its own copy of click: its usage errors and exits derive from
# typer.TyperException, not from the click package; older Typer raises click's own. Both are
# passed through so that the framework prints usage and exits 2 (or the code a command chose).
_FRAMEWORK_EXITS: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    click.exceptions.Exit,
    click.ClickException,
    click.exceptions.Abort,
    *((typer.TyperException,) if hasattr(typer, "TyperException") else ()),
)


def _loaded(*names: str) -> tuple[type[BaseException], ...]:
    """The exception classes `module:Class` among modules this process has imported.

    A command imports only what it uses (a question on the phone must not wait for the
    importers, SQLAlchemy or the Zoom client to load), and an exception can only have been raised
    by a module that was imported: so a class whose module is absent needs no isinstance check.
    """
    found: list[type[BaseException]] = []
    for name in names:
        module, _, cls = name.partition(":")
        value = getattr(sys.modules.get(module), cls, None)
        if isinstance(value, type) and issubclass(value, BaseException):
            found.append(value)
    return tuple(found)


# Exit 2: the operator's file, credentials or database to fix.
_BAD_INPUT = (
    "importers.errors:ImporterError",
    "zoom_client.errors:ZoomConfigError",
    "models.errors:SchemaStateError",
    "models.errors:DatabaseURLError",
)
# Raised on purpose, with a message fit to show as it is.
_KNOWN = ("importers.errors:ImporterError", "zoom_client.errors:ZoomError", "models.errors:ModelsError")


# A server that answered and refused for good: wrong credentials, no such role or database. libpq
# gives no SQLSTATE for a refused connection, only the server's words.
_REFUSED_FOR_GOOD = frozenset({"28000", "28P01", "3D000"})
_REFUSED_WORDS = ("authentication failed", "does not exist", "no pg_hba.conf entry")


def _driver_error(exc: BaseException) -> BaseException | None:
    """The database driver's own exception: raised directly (models.reader) or SQLAlchemy's .orig."""
    if isinstance(exc, _loaded("sqlite3:Error", "psycopg:Error")):
        return exc
    orig = getattr(exc, "orig", None)
    if orig is not None and isinstance(exc, _loaded("sqlalchemy.exc:DBAPIError")):
        return orig  # type: ignore[no-any-return]
    return None


def database_advice(driver: BaseException) -> tuple[str, int]:
    """What to do about a database failure, saying whether a rerun can fix it, and the exit code:
    2 for a refusal only the operator can mend (the --db, the credentials, the file), 1 for a
    server that did not answer or a database busy elsewhere. "" and 1 when the error says neither."""
    text = str(driver)
    unanswered = isinstance(driver, _loaded("psycopg:OperationalError"))
    if getattr(driver, "sqlstate", None) in _REFUSED_FOR_GOOD or (
        unanswered and any(words in text for words in _REFUSED_WORDS)
    ):
        return "fix --db or DATABASE_URL (user, password, database name); a rerun will not help", 2
    if isinstance(driver, _loaded("sqlite3:DatabaseError")) and (
        "file is not a database" in text or "unable to open database file" in text
    ):
        return "give --db the provision database (a SQLite file it made); a rerun will not help", 2
    if unanswered or "database is locked" in text:
        return "a rerun helps once the database answers (is the server up and reachable?)", 1
    return "", 1


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, ProvisionError):
        return exc.exit_code
    # A database URL or schema we cannot use is the operator's to point elsewhere or upgrade.
    if isinstance(exc, _loaded(*_BAD_INPUT)):
        return 2
    driver = _driver_error(exc)
    return database_advice(driver)[1] if driver is not None else 1


def _report(exc: Exception, *, debug: bool, as_json: bool, ctx: click.Context | None = None) -> int:
    import traceback

    from rich.markup import escape

    code = exit_code_for(exc)
    known = isinstance(exc, (ProvisionError, *_loaded(*_KNOWN)))
    message = str(exc) if known else "internal error (run with --debug for the traceback)"
    driver = _driver_error(exc)
    if driver is not None:
        # The driver's own first line (server refused, file unreadable, locked), without the SQL
        # and parameters SQLAlchemy appends; drivers do not put passwords in these messages.
        from models.urls import display_url

        first = str(driver).strip().splitlines()
        obj = ctx.obj if ctx is not None else None
        where = f" ({display_url(obj.settings.database_url)})" if isinstance(obj, RunContext) else ""
        message = f"database error{where}: {first[0] if first else type(driver).__name__}"
        advice = database_advice(driver)[0]
        if advice:
            message += f"; {advice}"
    if debug:
        err_console.print(traceback.format_exc(), markup=False, highlight=False)
    if as_json:
        error = {"type": type(exc).__name__, "message": message, "exit_code": code}
        emit_json(envelope(ctx, error, key="error"))  # type: ignore[arg-type]
    else:
        # One line however narrow the terminal: paths and commands in it stay copyable; escaped:
        # a message may hold brackets ("provision[postgres]", a cell's text) that are not markup.
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return code


class _ProvisionGroup(TyperGroup):
    """Maps our exceptions to one line on stderr (or JSON) and the documented exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["provision.argv"] = list(args)
        return super().parse_args(ctx, args)

    def command_words(self, ctx: click.Context) -> list[str]:
        """The command and sub-command the argv names (`import roster`), for headers and JSON."""
        words: list[str] = []
        group: Any = self
        args = ctx.meta.get("provision.argv", [])
        skip = False
        for token in args:
            if skip:
                skip = False
                continue
            if token.startswith("-"):
                skip = token in ROOT_VALUED and not words  # a root option's value is no command
                continue
            # Typer >= 0.20 groups derive from its own copy of click: look commands up by duck type.
            commands = getattr(group, "commands", None)
            command = commands.get(token) if isinstance(commands, dict) else None
            if command is None:
                break
            words.append(token)
            group = command
        return words

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _FRAMEWORK_EXITS:
            raise
        except (KeyboardInterrupt, Interrupted):
            # Commands that can say more (apply: what is done and left) catch it themselves.
            command = ctx.invoked_subcommand or ""
            what = (
                "nothing was committed (an import is all or nothing); run the same command again"
                if command == "import"
                else "nothing was left half-written; run the same command again"
            )
            err_console.print(f"interrupted: {what}", markup=False, highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            obj = ctx.obj
            debug = isinstance(obj, RunContext) and obj.debug
            argv = ctx.meta.get("provision.argv", [])
            as_json = machine_output(argv)
            raise typer.Exit(_report(exc, debug=debug, as_json=as_json, ctx=ctx)) from None


# Commands whose header would mislead: the demo uses its own database, the served sandbox none.
_NO_HEADER = frozenset({"demo", "sandbox"})


def machine_output(argv: list[str]) -> bool:
    """True when the command prints JSON (or CSV): nothing else may reach stdout then."""
    for i, token in enumerate(argv):
        if token == "--json" or token in ("--output=json", "--output=csv", "-ojson", "-ocsv"):
            return True
        if token in ("--output", "-o") and i + 1 < len(argv) and argv[i + 1] in ("json", "csv"):
            return True
    return False


def _human_header_wanted(argv: list[str], words: list[str]) -> bool:
    if machine_output(argv) or any(t in ("--quiet", "-q", "--help", "-h") for t in argv):
        return False
    return bool(words) and words[0] not in _NO_HEADER


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"provision {__version__}")
        raise typer.Exit()


def _flags_take_no_value() -> None:
    """Help shows a flag (`--sandbox`) bare, not as `--sandbox <bool>`, which reads as if it took one.

    Typer >= 0.20 prints a type for every option, flags included; a flag takes no value.
    """
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "_provision_flags", False):
        return

    def display_type_rich(self: TyperOption, ctx: click.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich._provision_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()


_HELP_OPTIONS = {"-h", "--help"}
app = typer.Typer(
    cls=_ProvisionGroup,
    name="provision",
    help="Hand out, take back and account for Zoom licenses across schools and universities.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": sorted(_HELP_OPTIONS)},
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: DATABASE_URL or sqlite:///provision.db)."),
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Run against the built-in Zoom simulator (PROVISION_SANDBOX=1)."),
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            help="Who is acting, for the audit log (default: PROVISION_ACTOR, else user@host).",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="The policy file (default: PROVISION_POLICY_FILE or PROVISION_POLICY, else built-in).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            envvar="PROVISION_LOCK_WAIT",
            help="Seconds to wait for a lock another command holds (an apply, sync or import); "
            "0 refuses at once.",
        ),
    ] = 0.0,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Only the result: no header, progress or notes (errors stay)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    import logging

    from provision.settings import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, AppSettings

    settings = AppSettings()
    updates: dict[str, Any] = {}
    if database_url:
        updates["database_url"] = database_url
    if sandbox:
        updates["sandbox"] = True
    if (sandbox or settings.sandbox) and not database_url and settings.database_url == DEFAULT_DATABASE_URL:
        # The simulator's history never mixes with real records: its own file unless told otherwise.
        updates["database_url"] = SANDBOX_DATABASE_URL
    if actor:
        updates["actor"] = actor
    if policy is not None:
        updates["policy_file"] = policy
    if updates:
        settings = settings.model_copy(update=updates)
    level = logging.DEBUG if debug or settings.log.strip().lower() == "debug" else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    words = ctx.command.command_words(ctx) if isinstance(ctx.command, _ProvisionGroup) else []
    ctx.obj = RunContext(settings=settings, debug=debug, command=" ".join(words), quiet=quiet)
    _common.QUIET = quiet
    if _human_header_wanted(ctx.meta.get("provision.argv", []), words):
        err_console.print(where_line(settings), style="dim", markup=False, highlight=False, soft_wrap=True)
    terminate_as_interrupt()
    if _HELP_OPTIONS & set(ctx.meta.get("provision.argv", [])):
        return  # `provision COMMAND --help` prints and exits: no lock, no database layer to load
    # Who holds a lock is named to whoever must wait for it: the actor and the command.
    # (Imported here, not at the top: `provision --help` must not load the database layer.)
    from models.lock_settings import lock_owner, lock_wait

    lock_wait.set(wait)
    lock_owner.set(f"{settings.actor}: provision {' '.join(words) or ctx.invoked_subcommand or ''}".strip())


def _register_commands() -> None:
    # One module per command group (Typer's one-file-per-command layout); each adds its own.
    from provision.cli import (
        apply,
        audit,
        db,
        demo,
        doctor,
        imports,
        plan,
        policy,
        query,
        reconcile,
        report,
        sandbox,
        sync,
        worker,
    )

    for module in (
        imports,
        db,
        sync,
        plan,
        apply,
        worker,
        reconcile,
        query,
        report,
        policy,
        audit,
        sandbox,
        demo,
        doctor,
    ):
        module.register(app)


_register_commands()


def main() -> None:
    """The app; it ends as any Python program does (a caller may catch its SystemExit)."""
    try:
        app()
    finally:
        _end_without_collecting()


def run() -> None:
    """The `provision` console command: `main`, and a command that kept what it loaded for the
    end (`models.gc_pause.keep_for_exit`) ends at once after it."""
    gc_pause.kept_for_exit = []
    try:
        main()
    except SystemExit as exc:
        if gc_pause.kept_for_exit and isinstance(exc.code, int | None):
            _end_now(exc.code or 0)
        raise


def _end_now(code: int) -> None:
    """End a command that kept what it loaded for the end (`models.gc_pause.keep_for_exit`): the atexit
    handlers run and the streams are flushed as at any exit, but the interpreter's teardown, which
    frees every object one by one (a 20,000-person apply's plan and operations: 0.05-0.1 s), is
    skipped. Only with no other thread still working: such a thread finishes first as usual."""
    import atexit
    import os
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _end_without_collecting() -> None:
    """Spare the ending process the collector's last passes over everything it loaded.

    At exit the interpreter walks every object still alive (the modules, classes and functions of
    SQLAlchemy, pydantic, rich...) looking for reference cycles to free: 0.1-0.15 s of CPU for a
    process that is ending anyway. Frozen objects are left out of those passes; the atexit handlers
    and the flushing of streams still run. The database connections are closed first, as the
    collector would have closed them (only if this command opened any: nothing is imported here).
    """
    import gc

    db = sys.modules.get("models.db")
    if db is not None:
        with contextlib.suppress(Exception):  # a server gone away: its connections are gone too
            db.dispose_engines()
    gc.freeze()
