"""snapshot: zoom_one_type of each Zoom user whose Zoom One / Workplace license matters (issue 12)

GET /users does not carry zoom_one_type; sync reads it per user for the people it manages
(licensed users on a roster or managed) when the policy's `license` is a Zoom One product.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 64-bit: the Education values reach 2**59. NULL = not read (not the same as 0, "none held").
    with op.batch_alter_table("zoom_user_snapshot") as batch:
        batch.add_column(sa.Column("zoom_one_type", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zoom_user_snapshot") as batch:
        batch.drop_column("zoom_one_type")
