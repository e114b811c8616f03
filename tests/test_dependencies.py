"""Every library the shipped packages import is one pyproject.toml installs.

The README's main command installs the project without extras (`pip install -e .`). A module
that only the test or sandbox extras happen to bring in (click came with uvicorn, once Typer
stopped depending on it) passes every test and still breaks `provision demo` on a fresh machine.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("zoom_client", "models", "importers", "provision")
# Imported only where an extra is installed, behind a clear message when it is not.
OPTIONAL = {
    "zoom_client/sandbox": "sandbox",
    "provision/cli/sandbox.py": "sandbox",
    "models/db.py": "postgres",
    "models/reader.py": "postgres",
}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_name(Requirement(r).name) for r in requirements}


def _installed_with(names: set[str]) -> set[str]:
    """`names` and everything they require in turn (what installing them installs, no extras)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            required = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in required:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_name(req.name))
    return seen


def _top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_imported_library_is_a_declared_dependency() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _installed_with(_requirement_names(project["dependencies"]))
    extras = {
        name: _installed_with(_requirement_names(reqs))
        for name, reqs in project["optional-dependencies"].items()
    }
    owners = packages_distributions()
    missing: list[str] = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            allowed = set(declared)
            for prefix, extra in OPTIONAL.items():
                if relative.startswith(prefix):
                    allowed |= extras[extra]
            for module in _top_level_imports(path):
                if module in sys.stdlib_module_names or module in PACKAGES or module == "__future__":
                    continue
                distributions = {_name(d) for d in owners.get(module, [module])}
                if not distributions & allowed:
                    missing.append(f"{relative}: {module} ({', '.join(sorted(distributions))})")
    assert missing == [], "imported but not declared in pyproject.toml:\n" + "\n".join(missing)
