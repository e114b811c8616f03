"""operation: an index on (kind, updated_at), so counting the users each account was asked to
create today (its daily create cap, issue 17) reads today's creates, not the whole journal

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_operation_kind_updated_at", "operation", ["kind", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_operation_kind_updated_at", table_name="operation")
