"""Progress bars show for a person at a terminal and never with --json or when piped."""

from __future__ import annotations

import io
import sys
from contextlib import ExitStack

import pytest

from provision.cli import _common
from provision.cli._common import stage_progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_with_json_or_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with ExitStack() as stack:
        assert stage_progress(stack, json_output=False) is None
    monkeypatch.setattr(sys, "stderr", _Tty())
    with ExitStack() as stack:
        assert stage_progress(stack, json_output=True) is None


def test_one_bar_per_stage_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _Tty())
    shown: list[str] = []
    monkeypatch.setattr(_common.err_console, "print", lambda *a, **k: shown.append(str(a)))
    with ExitStack() as stack:
        callback = stage_progress(stack, json_output=False, with_eta=True)
        assert callback is not None
        callback("license", 30, 90)
        callback("license", 90, 90)
        callback("create", 1, None)
        progress = stack._exit_callbacks[-1][1].__self__  # the rich Progress entered on the stack
        tasks = {t.description: (t.completed, t.total) for t in progress.tasks}
    assert tasks == {"license": (90, 90), "create": (1, None)}
