"""Constraint naming shared by every table, so migrations can name what they alter."""

from __future__ import annotations

from sqlmodel import SQLModel

# Alembic's batch mode on SQLite (and any later ALTER) needs every constraint to have a
# stable name; this convention gives them one without spelling each out.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata
