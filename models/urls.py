"""Database URLs as an operator writes them and as messages show them, without SQLAlchemy.

Kept apart from models.db so that a question on the phone (`provision school 0421`), which
reads through models.reader, names its database without loading SQLAlchemy.
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///provision.db"


def default_database_url() -> str:
    """DATABASE_URL, or a SQLite file in the current directory."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def normalize_url(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3 (`postgres://` and bare `postgresql://` too)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """The URL with any password masked, safe for messages and logs (even when it is malformed).

    The password is whatever lies between the user's `:` and the last `@` before the host, so a
    password holding an `@` is masked whole.
    """
    url = normalize_url(url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    credentials, at, host = netloc.rpartition("@")
    if at and ":" in credentials:
        netloc = f"{credentials.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{netloc}{slash}{tail}"


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///FILE` URL; None for any other database, in-memory or a URI."""
    if not url.startswith("sqlite:///"):
        return None
    name, _, query = url[len("sqlite:///") :].partition("?")
    if not name or name == ":memory:" or name.startswith("file:") or "uri=" in query:
        return None
    return name
