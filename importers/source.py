"""Opening an import's file: kind, digest and a display name, with one clear error."""

from __future__ import annotations

from pathlib import Path

from importers.readers import Sheet, read_sheets
from importers.sniff import Kind, detect


def display_name(path: Path) -> str:
    return path.name or str(path)


def open_sheets(path: Path, kind: Kind | None = None) -> tuple[Kind, list[Sheet]]:
    display = display_name(path)
    kind = kind or detect(path, display)
    if kind in ("oneroster-zip", "oneroster-dir"):
        return kind, []
    return kind, read_sheets(path, kind, display)
