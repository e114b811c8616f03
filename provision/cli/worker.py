"""CLI command: `worker` (registered on the root app by provision.cli).

`provision worker` works the accounts of unfinished plans beside `provision apply`, from this
machine or another, against the same PostgreSQL (provision.run.workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli._common import JsonOption, emit, err_console, open_records, run_context

if TYPE_CHECKING:
    from provision.run.workers import WorkerReport


def worker_command(
    ctx: typer.Context,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="Keep waiting for new plans instead of exiting when no work is left."),
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Requests in flight at once, per account.")
    ] = 16,
    json_output: JsonOption = False,
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan", hidden=True, help="Only this plan, waited for (the local workers of apply --workers)."
        ),
    ] = None,
) -> None:
    """Work the accounts of unfinished plans with other workers (PostgreSQL); one worker per account."""
    from provision.cli._signals import run_async
    from provision.cli.plan import effective_policy
    from provision.run.workers import require_shared_database, run_worker
    from provision.run.zoom_access import open_accounts

    settings = run_context(ctx).settings
    engine = open_records(settings)
    require_shared_database(engine, "provision worker")

    def say(line: str) -> None:
        err_console.print(line, markup=False, highlight=False)

    policy = effective_policy(settings)  # its [accounts] tables name the aliases' credentials

    async def work() -> WorkerReport:
        async with open_accounts(settings, policy.accounts) as zoom:
            return await run_worker(
                engine,
                zoom,
                actor=settings.actor,
                policy=policy,
                follow=follow,
                concurrency=concurrency,
                say=say,
                plan=plan,
            )

    report = run_async(work())
    # A stop (a daily limit, refused credentials) left operations for a later run: exit 1.
    problem = "; ".join(dict.fromkeys(report.stops))
    if json_output:
        error = {"type": "ApplyIncompleteError", "message": problem, "exit_code": 1} if problem else None
        emit(ctx, report.to_data(), error=error)
    elif problem:
        err_console.print(f"error: {problem}", markup=False, highlight=False)
    elif not report.worked:
        say("no work left: every plan is finished")
    if problem:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("worker")(worker_command)
