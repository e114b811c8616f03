"""snapshot: role_id of each Zoom user (owner "0", admin "1", member "2", custom roles), so the
owner and every administrator are protected from what the roster says (issue 12)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: rows observed before this revision do not know the role
    # until the next sync, and None is read as "unknown", never as "member".
    with op.batch_alter_table("zoom_user_snapshot") as batch:
        batch.add_column(sa.Column("role_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zoom_user_snapshot") as batch:
        batch.drop_column("role_id")
