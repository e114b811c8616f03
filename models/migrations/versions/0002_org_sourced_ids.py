"""OneRoster/SDS org ids: institution.sourced_id, and org_unit for the sub-orgs of a school

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column and a unique index: plain ALTERs on SQLite too (no table rebuild, so the
    # memberships' foreign keys to institution are never touched).
    op.add_column("institution", sa.Column("sourced_id", sa.String(), nullable=True))
    op.create_index("ix_institution_sourced_id", "institution", ["sourced_id"], unique=True)
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sa.String(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"], name=op.f("fk_org_unit_institution_id_institution")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("sourced_id", name=op.f("uq_org_unit_sourced_id")),
    )
    op.create_index(op.f("ix_org_unit_institution_id"), "org_unit", ["institution_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_org_unit_institution_id"), table_name="org_unit")
    op.drop_table("org_unit")
    op.drop_index("ix_institution_sourced_id", table_name="institution")
    with op.batch_alter_table("institution") as batch:
        batch.drop_column("sourced_id")
