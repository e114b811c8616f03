"""Run a benchmark step in a fresh interpreter, so its peak memory (ru_maxrss) is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_fresh(script: str | Path, *args: str) -> dict[str, Any]:
    """`python script *args`; the step prints its figures as JSON on its last line of output.

    A failed step ends the benchmark with the step's own error output and exit code.
    """
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
