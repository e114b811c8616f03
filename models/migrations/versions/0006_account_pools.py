"""account snapshot: every plan-usage pool, the pool whose seats the tool manages, and which
reading of `usage` Zoom's numbers fit (pending invitations inside it or apart) (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: snapshots taken before this revision know neither; the next sync fills them.
    with op.batch_alter_table("account_snapshot") as batch:
        batch.add_column(sa.Column("pools", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("seat_pool", sa.String(), nullable=True))
        batch.add_column(sa.Column("pending_reading", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_snapshot") as batch:
        batch.drop_column("pending_reading")
        batch.drop_column("seat_pool")
        batch.drop_column("pools")
