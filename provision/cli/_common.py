"""Shared pieces of the CLI edge: consoles, the --json option, the per-run context."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console

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
