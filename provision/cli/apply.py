"""CLI commands: `apply [PLAN.json]` (registered on the root app by provision.cli)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from provision.cli._common import (
    JsonOption,
    console,
    emit,
    err_console,
    keep_for_exit,
    open_records,
    run_context,
    stage_progress,
)
from provision.cli._signals import EXIT_INTERRUPTED, Interrupted, run_async
from provision.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table


def _read_plan_file(path: Path) -> Any:
    import orjson

    from provision.core.plan import Plan

    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan file") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable plan file: {exc}") from exc
    try:
        return Plan.from_data(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def _summary_table(result: Any) -> Table:
    from rich.table import Table

    table = Table(title="apply", title_justify="left")
    table.add_column("action")
    table.add_column("succeeded", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("left", justify="right")
    for kind, counts in result.counts.items():
        table.add_row(
            kind,
            str(counts["succeeded"]),
            str(counts["failed"]),
            str(counts["blocked"]),
            str(counts["pending"]),
        )
    return table


def _print_result(result: Any) -> None:
    from rich.markup import escape

    from provision.reports.tables import print_table

    print_table(console, _summary_table(result))
    for failure in result.failures[:50]:
        line = f"{failure['kind']} {failure['email']}: {failure['error']}"
        console.print(f"  [red]{failure['state']}[/] {escape(line)}", highlight=False)
    if len(result.failures) > 50:
        console.print(f"  … and {len(result.failures) - 50} more (all of them: --json, or the audit log)")
    if result.dropped:
        console.print(
            f"{result.dropped} actions had lost their reason since the plan was made: dropped, not sent."
        )
    if result.reread:
        console.print(
            f"{result.reread} operations of an interrupted run were confirmed from Zoom, not resent."
        )
    console.print(f"done in {result.elapsed:.1f} s")


def apply_command(
    ctx: typer.Context,
    plan_file: Annotated[
        Path | None,
        typer.Argument(help="A plan saved by `provision plan --out`; without it a fresh plan is computed."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply without asking (required without a TTY).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a plan above the policy's revocation thresholds.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Requests in flight at once.")
    ] = 16,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes sharing the plan's accounts, this one included (PostgreSQL only; "
            "`provision worker` on other machines joins the same way).",
        ),
    ] = 1,
    retry_blocked: Annotated[
        bool,
        typer.Option(
            "--retry-blocked",
            help="Send again what Zoom refused for good lately (after fixing the cause: a cap, a domain).",
        ),
    ] = False,
    abandon: Annotated[
        bool,
        typer.Option(
            "--abandon",
            help="End the plan an interrupted apply left unfinished, without sending the rest "
            "(audited); a new plan can then run.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Carry out a plan in Zoom: journaled, resumable, never beyond the seats."""
    from provision.cli.plan import effective_policy
    from provision.run.apply_session import apply_session

    settings = run_context(ctx).settings
    engine = open_records(settings)
    if workers > 1:
        from provision.run.workers import require_shared_database

        require_shared_database(engine, f"--workers {workers}")
        if settings.sandbox:
            raise InputError(
                f"--workers {workers}: the in-process sandbox lives in this process only; "
                "serve it (`provision sandbox serve`) and point ZOOM_API_URL at it"
            )
    plan_given = _read_plan_file(plan_file) if plan_file is not None else None
    if plan_given is not None and _already_applied(ctx, engine, plan_given, json_output):
        return
    policy = effective_policy(settings)
    # The session holds the Zoom lock from choosing the plan to the last write.
    with apply_session(engine, actor=settings.actor, policy=policy) as session:
        if abandon:
            _abandon(ctx, session, yes, json_output)
            return
        chosen = session.choose(plan_given, force=force, retry_blocked=retry_blocked)
        if chosen.dropped and not json_output:
            err_console.print(
                f"{chosen.dropped} unfinished actions of plan {chosen.plan.fingerprint[:12]} lost their "
                "reason since it was made (rosters, policy or Zoom changed): dropped, never sent (audited).",
                markup=False,
            )
        _confirm_and_run(ctx, session, chosen, settings, yes, concurrency, json_output, workers)


def _already_applied(ctx: typer.Context, engine: Any, plan: Any, json_output: bool) -> bool:
    """A plan file whose every operation succeeded: one line (or one JSON document), nothing sent."""
    from provision.store import journal

    done = journal.applied(engine, plan.fingerprint)
    if done is None:
        return False
    when = f"{done.finished_at:%Y-%m-%d %H:%M} UTC" if done.finished_at else "earlier"
    message = (
        f"Plan {plan.fingerprint[:12]} was already applied ({done.operations} changes, {when}): "
        "nothing to do; run `provision plan` for what changed since."
    )
    if json_output:
        data = {
            "fingerprint": plan.fingerprint,
            "complete": True,
            "already_applied": True,
            "message": message,
        }
        emit(ctx, {**data, "succeeded": 0, "failed": 0, "counts": {}})
    else:
        console.print(message, markup=False, highlight=False, soft_wrap=True)
    return True


def _confirm_and_run(
    ctx: typer.Context,
    session: Any,
    chosen: Any,
    settings: Any,
    yes: bool,
    concurrency: int,
    json_output: bool,
    workers: int = 1,
) -> None:
    from provision.reports.render import print_plan
    from provision.run.apply import ApplyIncomplete
    from provision.run.zoom_access import open_accounts

    plan = chosen.plan
    resuming = chosen.resuming
    keep_for_exit(chosen)  # a whole plan: the process ends without freeing it action by action
    if not json_output:
        if resuming is not None:
            err_console.print(
                f"Resuming plan {resuming.fingerprint[:12]}: {resuming.pending} operations not yet sent, "
                f"{resuming.sent} sent but unconfirmed (re-read from Zoom before anything is resent).",
                markup=False,
            )
        else:
            print_plan(console, plan)
    if plan.is_empty:
        if json_output:
            emit(
                ctx,
                {
                    "fingerprint": plan.fingerprint,
                    "complete": True,
                    "succeeded": 0,
                    "failed": 0,
                    "counts": {},
                    "contested": len(plan.contested),
                },
            )
        elif plan.contested:
            console.print(
                f"Nothing to apply: {len(plan.contested)} contested users are left alone, the rest of "
                "Zoom matches the rosters and the policy.",
                markup=False,
            )
        else:
            console.print("Nothing to apply: Zoom already matches the rosters and the policy.")
        return
    if not yes:
        if json_output or not sys.stdin.isatty():
            err_console.print(
                "error: apply changes Zoom and needs confirmation: rerun with --yes (no terminal to ask on)",
                markup=False,
            )
            raise typer.Exit(2)
        if not typer.confirm(f"Apply {len(plan.actions)} changes to Zoom?", default=False):
            err_console.print("Nothing applied.")
            raise typer.Exit(1)

    async def run(progress_cb: Any) -> Any:
        # One client per account of the plan (a sub-account's, an alias's), each its own budget.
        async with open_accounts(settings, session.policy.accounts) as zoom:
            return await session.run(
                zoom,
                chosen,
                concurrency=concurrency,
                progress=progress_cb,
                workers=workers,
                environ=worker_environ(settings),
            )

    with ExitStack() as stack:
        callback = stage_progress(stack, json_output, with_eta=True)

        try:
            result = run_async(run(callback))
        except ApplyIncomplete as exc:
            if json_output:
                error = {"type": "ApplyIncompleteError", "message": str(exc), "exit_code": 1}
                emit(ctx, exc.result.to_data(), error=error)
                raise typer.Exit(1) from None
            stack.close()
            _print_result(exc.result)
            raise
        except Interrupted:
            stack.close()
            _interrupted(ctx, session.engine, plan.fingerprint, json_output)
    if json_output:
        emit(ctx, result.to_data())
    else:
        _print_result(result)


def worker_environ(settings: Any) -> dict[str, str]:
    """The environment of a local worker: ours, with the database and actor this command was
    given (perhaps as options), so it works the same plan under the same name."""
    import os

    environ = dict(os.environ)
    environ["DATABASE_URL"] = settings.database_url
    environ["PROVISION_ACTOR"] = settings.actor
    if settings.policy_file is not None:
        environ["PROVISION_POLICY_FILE"] = str(settings.policy_file)
    return environ


def _abandon(ctx: typer.Context, session: Any, yes: bool, json_output: bool) -> None:
    from provision.store import journal

    left = journal.unfinished(session.engine)
    if not left:
        if json_output:
            emit(ctx, {"abandoned": []})
        else:
            console.print("No unfinished plan: nothing to abandon.")
        return
    if not yes:
        if json_output or not sys.stdin.isatty():
            err_console.print("error: --abandon needs confirmation: rerun with --yes", markup=False)
            raise typer.Exit(2)
        count = sum(u.pending + u.sent for u in left)
        if not typer.confirm(f"End {count} unfinished operations without sending them?", default=False):
            raise typer.Exit(1)
    ended = session.abandon()
    if json_output:
        emit(ctx, {"abandoned": [{"fingerprint": a.fingerprint, "operations": a.operations} for a in ended]})
        return
    for item in ended:
        console.print(
            f"abandoned plan {item.fingerprint[:12]}: {item.operations} operations ended without being sent "
            "(each in the audit log); `provision plan` shows what is still to do."
        )


def _interrupted(ctx: typer.Context, engine: Any, fingerprint: str, json_output: bool) -> NoReturn:
    """Say what the interrupted apply did and what a rerun will do, then exit 130."""
    from provision.store import journal

    counts = journal.counts(engine, fingerprint)
    done, failed = counts.get("succeeded", 0), counts.get("failed", 0)
    pending, sent = counts.get("pending", 0), counts.get("sent", 0)
    message = (
        f"interrupted: {done} changes done, {failed} failed, {pending} not sent yet, {sent} sent without "
        "an answer (read back from Zoom before anything is resent); run `provision apply` to resume"
    )
    if json_output:
        data = {"fingerprint": fingerprint, "complete": False, "interrupted": True, "operations": counts}
        emit(ctx, data, error={"type": "Interrupted", "message": message, "exit_code": EXIT_INTERRUPTED})
    else:
        err_console.print(message, markup=False, highlight=False)
    raise typer.Exit(EXIT_INTERRUPTED)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("apply")(apply_command)
