"""The README's tour, run as written, on the demo's own sample (the simulator, a temporary folder)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.db import dispose_engines
from provision.cli import app
from tests.conftest import REPO


def tour_lines() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- tour -->\n```bash\n(.*?)```", text, re.S)
    assert block, "README.md lost its <!-- tour --> block"
    lines = []
    for raw in block.group(1).splitlines():
        line = shlex.join(shlex.split(raw, comments=True)) if raw.strip() else ""  # as a shell reads it
        if line:
            lines.append(line)
    return lines


def _step(part: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Shell built-ins of the tour (cd, export); False when `part` is a provision command."""
    words = shlex.split(part)
    if words[0] == "cd":
        monkeypatch.chdir(Path.cwd() / words[1])
        return True
    if words[0] == "export":
        name, value = words[1].split("=", 1)
        monkeypatch.setenv(name, value)
        return True
    return False


@pytest.mark.slow
def test_readme_tour_runs_as_written_on_the_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    lines = tour_lines()
    assert lines[-1].startswith("provision sandbox serve")  # serves until stopped: only its --help here
    for line in lines:
        for part in (p.strip() for p in line.split("'&&'")):
            if _step(part, monkeypatch):
                continue
            words = shlex.split(part)
            assert words[0] == "provision", part
            args = words[1:]
            if args[:2] == ["sandbox", "serve"]:
                args = [*args, "--help"]
            result = runner.invoke(app, args)
            allowed = {0, 3} if args[0] == "reconcile" else {0}  # 3: drift found, as documented
            assert result.exit_code in allowed, f"{part}\n{result.output}"
            assert "error" not in result.stderr.lower() or args[0] == "demo", f"{part}\n{result.stderr}"
            if args[0] in ("school", "person", "schools"):
                assert "0 schools" not in result.stdout, part
    assert os.environ["PROVISION_SANDBOX"] == "1"
    assert (Path.cwd() / "provision-sandbox.db").exists()
    assert not (Path.cwd() / "provision.db").exists()  # the simulator's records stay apart
    assert (Path.cwd() / "audit-2026.xlsx").exists()
    assert [p.name[:5] for p in (Path.cwd() / "to-send").iterdir()] == ["0142-"]  # the region's one school
    dispose_engines()
