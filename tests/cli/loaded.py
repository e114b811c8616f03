"""Which modules a `provision` command loads: run in a fresh interpreter, sys.modules listed after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

RUN_AND_LIST = """
import json, sys
out, argv = sys.argv[1], sys.argv[2:]
sys.argv = ["provision", *argv]
from provision.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, f)
"""


def loaded_by(*argv: str, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """Run `provision *argv` in a fresh interpreter: exit code, every module it loaded, stdout."""
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, str(out), *argv],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    data = json.loads(out.read_text())
    return data["exit"], set(data["modules"]), proc.stdout
