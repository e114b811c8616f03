"""Shared pieces of the CLI edge: consoles, the --json option, the per-run context."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from provision.settings import AppSettings

console = Console()
err_console = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


@dataclass
class RunContext:
    """What the root callback parsed; every command reads it from ctx.obj."""

    settings: AppSettings
    debug: bool = False


def run_context(ctx: typer.Context) -> RunContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, RunContext):  # a command invoked without the root callback (tests)
        from provision.settings import AppSettings

        obj = RunContext(settings=AppSettings())
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout (dates and paths as strings)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def show_progress(json_output: bool) -> bool:
    """Progress bars only for a person at a terminal: never with --json or when piped."""
    return not json_output and sys.stderr.isatty()


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
