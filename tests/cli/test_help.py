"""The CLI answers --help, and maps errors to the documented exit codes."""

from __future__ import annotations

from typer.testing import CliRunner

from provision.cli import app, exit_code_for
from provision.errors import InputError, UnsafePlanError


def test_root_help_lists_the_program() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Zoom licenses" in result.output


def test_exit_codes_follow_design() -> None:
    assert exit_code_for(InputError("x")) == 2
    assert exit_code_for(UnsafePlanError("x")) == 1
    assert exit_code_for(RuntimeError("x")) == 1


def test_bad_usage_exits_2_with_usage_not_internal_error() -> None:
    runner = CliRunner()
    bad = (["nosuch"], ["audit", "export", "x.xlsx", "--format", "pdf"], ["apply", "--concurrency", "0"])
    for argv in bad:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert "internal error" not in result.output
        assert "Usage:" in result.output
