"""Opening an import's file: kind, digest and a display name, with one clear error."""

from __future__ import annotations

from pathlib import Path

from importers import ahead
from importers.readers import Sheet, read_sheets
from importers.sniff import Kind, detect, display_name

__all__ = ["display_name", "open_sheets"]


def open_sheets(path: Path, kind: Kind | None = None) -> tuple[Kind, list[Sheet]]:
    display = display_name(path)
    kind = kind or detect(path, display)
    if kind in ("oneroster-zip", "oneroster-dir"):
        return kind, []
    sheets = ahead.take(path, display)  # the read provision.launch started, if it did
    return kind, sheets if sheets is not None else read_sheets(path, kind, display)
