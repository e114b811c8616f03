"""Reading the one JSON envelope every command prints with --json (or --output json)."""

from __future__ import annotations

import json
import re
from typing import Any

from provision import __version__

KEYS = {"command", "version", "generated_at", "database", "account", "sandbox"}
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def envelope(stdout: str) -> dict[str, Any]:
    """The whole document, checked for the common keys."""
    document = json.loads(stdout)
    assert set(document) >= KEYS, sorted(document)
    assert "data" in document or "error" in document, sorted(document)
    assert document["version"] == __version__
    assert UTC_Z.match(document["generated_at"]), document["generated_at"]
    assert "://" in document["database"] or document["database"].startswith("(")
    return document


def payload(stdout: str) -> Any:
    """The command's own data, inside a checked envelope."""
    return envelope(stdout)["data"]
