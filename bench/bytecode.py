"""The project's bytecode for whole-command benchmarks: compiled once, as an installed provision has it.

An editable install run with PYTHONDONTWRITEBYTECODE=1 (as on the shared machine) compiles every
module of the project it imports from source in every process: 0.05-0.1 s of a command's CPU
(`provision --help` 0.13 -> 0.10 s user) that an installed wheel, or any install after its first
run without that variable, never spends. The libraries' bytecode is compiled by pip either way.
The __pycache__ folders written are ignored by git; --no-compile measures without them.
"""

from __future__ import annotations

import argparse
import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("importers", "models", "provision", "zoom_client")


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="leave the project's modules uncompiled (each command compiles them from source)",
    )


def compile_project() -> None:
    for package in PACKAGES:
        compileall.compile_dir(str(ROOT / package), quiet=1)


def describe(no_compile: bool) -> str:
    return "modules compiled from source each run" if no_compile else "bytecode compiled once"
