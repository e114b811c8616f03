"""Without the `sandbox` extra (uvicorn, Starlette): the README's demo works, `sandbox serve` says
how to install it.

The interpreter runs with the server's packages made unimportable, as in an environment where only
`pip install -e .` ran (the test extra installs them, so they are hidden rather than absent).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.envelope import payload

# None in sys.modules: `import uvicorn` raises ModuleNotFoundError and importlib.util.find_spec
# answers None, as when the package is not installed.
_WITHOUT_EXTRA = """
import sys
for name in ("uvicorn", "starlette", "httptools", "uvloop"):
    sys.modules[name] = None
from provision.cli import main
main()
"""


def _provision(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRA, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.slow
def test_demo_runs_without_the_sandbox_extra(tmp_path: Path) -> None:
    result = _provision("demo", "--dir", str(tmp_path / "demo"), "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    steps = [step["title"] for step in payload(result.stdout)["steps"]]
    assert "apply" in steps
    assert "reconcile" in steps


def test_sandbox_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    result = _provision("sandbox", "serve", "--port", "0", cwd=tmp_path)

    message = " ".join(result.stderr.split())  # rich wraps at the terminal's width
    assert result.returncode == 2
    assert "pip install 'provision[sandbox]'" in message
    assert "uvicorn" in message
    assert "Traceback" not in message
