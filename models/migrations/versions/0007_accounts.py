"""accounts: the Zoom account of each institution, of each journaled operation and of each
observed user and seat count, so one database serves a master account and its sub-accounts
(issue 17). "" (or NULL on an institution) is the main account.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Everything stored before this revision was the one account there was: the main one ("").
    with op.batch_alter_table("institution") as batch:
        batch.add_column(sa.Column("account", sa.String(), nullable=True))
    with op.batch_alter_table("operation") as batch:
        batch.add_column(sa.Column("account", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("zoom_user_snapshot") as batch:
        batch.add_column(sa.Column("account", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("account_snapshot") as batch:
        batch.add_column(sa.Column("account", sa.String(), nullable=False, server_default=""))
    op.create_index(
        "ix_operation_plan_fingerprint_account_state", "operation", ["plan_fingerprint", "account", "state"]
    )
    op.create_index(op.f("ix_zoom_user_snapshot_account"), "zoom_user_snapshot", ["account"])
    op.create_index("ix_account_snapshot_account_observed_at", "account_snapshot", ["account", "observed_at"])


def downgrade() -> None:
    op.drop_index("ix_account_snapshot_account_observed_at", table_name="account_snapshot")
    op.drop_index(op.f("ix_zoom_user_snapshot_account"), table_name="zoom_user_snapshot")
    op.drop_index("ix_operation_plan_fingerprint_account_state", table_name="operation")
    for table in ("account_snapshot", "zoom_user_snapshot", "operation", "institution"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("account")
