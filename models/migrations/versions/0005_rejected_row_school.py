"""rejected_row.institution_code: every import issue names its school

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable (older rows, and rows naming no school we know): a plain ALTER on SQLite too.
    op.add_column("rejected_row", sa.Column("institution_code", sa.String(), nullable=True))
    op.create_index(op.f("ix_rejected_row_institution_code"), "rejected_row", ["institution_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_row_institution_code"), table_name="rejected_row")
    with op.batch_alter_table("rejected_row") as batch:
        batch.drop_column("institution_code")
