"""Errors of the persistence layer.

ModelsError
├── DatabaseURLError        DATABASE_URL (or --db) is malformed, unsupported or points nowhere
├── SchemaStateError        the database's schema is not one we can use or upgrade safely
├── AuditImmutableError     something tried to change or delete an audit event
└── LockedError             another command holds a lock on the shared state (apply, sync, import)
"""

from __future__ import annotations


class ModelsError(Exception):
    """Root of every error `models` raises on purpose."""


class DatabaseURLError(ModelsError):
    """The database URL cannot be used: not a URL, a database we do not support, a folder that
    does not exist. The message shows the URL with its password masked; a rerun cannot fix it."""


class SchemaStateError(ModelsError):
    """The database holds tables we did not version, or a revision newer than this program."""


class AuditImmutableError(ModelsError):
    """The audit log is append-only: an audit event was updated or deleted."""


class LockedError(ModelsError):
    """Another command holds the lock this one needs (an apply, a sync, an import)."""
