"""`provision demo`: the README's first command, with no credentials and nothing but the install."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from tests.cli.envelope import payload


def code(result: Result) -> int:
    if isinstance(result.exception, click.exceptions.Exit):
        return result.exception.exit_code
    return result.exit_code


def test_demo_json_in_a_new_directory(tmp_path: Path) -> None:
    target = tmp_path / "try it"

    result = CliRunner().invoke(app, ["demo", "--dir", str(target), "--json"])

    assert code(result) == 0, result.output
    data = payload(result.stdout)  # nothing but the JSON document on stdout
    titles = [step["title"] for step in data["steps"]]
    assert titles[:3] == ["setup", "sample", "import schools"]
    assert {"roster with errors", "plan", "apply", "second roster", "reconcile", "audit export"} <= set(
        titles
    )
    assert (target / "demo.db").is_file()
    assert (target / "demo-audit.xlsx").is_file()
    assert Path(data["workbook"]) == (target / "demo-audit.xlsx").resolve()


def test_demo_narrates_in_the_current_directory_and_ignores_real_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real-looking credentials must not send the demo to Zoom: it says it uses the sandbox.
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.setenv(name, "real-looking-value")

    result = CliRunner().invoke(app, ["demo"])

    assert code(result) == 0, result.output
    out = result.stdout
    assert "sandbox" in out
    assert "credentials are set but the demo never touches a real account" in out
    assert "$ provision import roster roster-ar.xlsx --skip-invalid" in out
    assert "drift found" in out
    assert "clean: 0 items" in out
    assert "real-looking-value" not in out
    assert (tmp_path / "demo.db").is_file()
    assert (tmp_path / "demo-audit.xlsx").is_file()
