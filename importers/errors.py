"""Errors of the importers (the full tree is drawn here as it grows).

    ImporterError
"""

from __future__ import annotations


class ImporterError(Exception):
    """Root of everything the importers raise: the file as a whole cannot be imported."""
