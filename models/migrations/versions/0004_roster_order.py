"""roster order and rejected people: membership.priority and .position, rejected_row.email and .name

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:40:00

Chained after 0003 (the snapshot's role_id, written at the same time on another branch) so the
history stays linear.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns: no table rebuild on SQLite, instant on PostgreSQL.
    op.add_column("membership", sa.Column("priority", sa.Integer(), nullable=True))
    op.add_column("membership", sa.Column("position", sa.Integer(), nullable=True))
    op.add_column("rejected_row", sa.Column("email", sa.String(), nullable=True))
    op.add_column("rejected_row", sa.Column("name", sa.String(), nullable=True))
    op.create_index(op.f("ix_rejected_row_email"), "rejected_row", ["email"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_row_email"), table_name="rejected_row")
    with op.batch_alter_table("rejected_row") as batch:
        batch.drop_column("name")
        batch.drop_column("email")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("position")
        batch.drop_column("priority")
