"""Errors of the Zoom client (the full tree is drawn here as it grows).

    ZoomError
    └── ZoomConfigError      credentials missing or settings invalid
"""

from __future__ import annotations


class ZoomError(Exception):
    """Root of everything the Zoom client raises."""


class ZoomConfigError(ZoomError):
    """Credentials are missing or a setting is invalid."""
