"""initial schema: every table of interfaces.md §3, and the audit log made append-only

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:12:02.071948
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seats_purchased", sa.Integer(), nullable=False),
        sa.Column("seats_used", sa.Integer(), nullable=False),
        sa.Column("seats_pending", sa.Integer(), nullable=False),
        sa.Column("addons", sa.JSON(), nullable=False),
        sa.Column("users_total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_snapshot")),
    )
    op.create_index(op.f("ix_account_snapshot_observed_at"), "account_snapshot", ["observed_at"])

    op.create_table(
        "drift_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("clean", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_report")),
    )
    op.create_index(op.f("ix_drift_report_at"), "drift_report", ["at"])

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("institution_code", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_index("ix_import_batch_sha256", "import_batch", ["sha256"])

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("zoom_group_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("code", name=op.f("uq_institution_code")),
    )
    op.create_table(
        "managed_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("zoom_id", sa.String(), nullable=True),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_us", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managed_user")),
        sa.UniqueConstraint("email", name=op.f("uq_managed_user_email")),
    )
    op.create_table(
        "operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_fingerprint", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("zoom_id", sa.String(), nullable=True),
        sa.Column("institution_code", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("zoom_code", sa.Integer(), nullable=True),
        sa.Column("tracking_id", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation")),
        sa.UniqueConstraint("plan_fingerprint", "seq", name=op.f("uq_operation_plan_fingerprint_seq")),
    )
    op.create_index(op.f("ix_operation_email"), "operation", ["email"])
    op.create_index("ix_operation_plan_fingerprint_state", "operation", ["plan_fingerprint", "state"])

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("given_name", sa.String(), nullable=False),
        sa.Column("family_name", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("email", name=op.f("uq_person_email")),
    )
    op.create_table(
        "plan_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_record")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_plan_record_fingerprint")),
    )
    op.create_table(
        "zoom_user_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("zoom_id", sa.String(), nullable=True),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("dept", sa.String(), nullable=True),
        sa.Column("group_ids", sa.JSON(), nullable=False),
        sa.Column("last_login_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("large_meeting", sa.Boolean(), nullable=False),
        sa.Column("large_meeting_capacity", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoom_user_snapshot")),
        sa.UniqueConstraint("email", name=op.f("uq_zoom_user_snapshot_email")),
    )
    op.create_index(op.f("ix_zoom_user_snapshot_zoom_id"), "zoom_user_snapshot", ["zoom_id"])

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("institution_code", sa.String(), nullable=True),
        sa.Column("person_email", sa.String(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("result", sa.String(), nullable=True),
        sa.Column("zoom_code", sa.Integer(), nullable=True),
        sa.Column("tracking_id", sa.String(), nullable=True),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operation.id"], name=op.f("fk_audit_event_operation_id_operation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_institution_code_at", "audit_event", ["institution_code", "at"])
    op.create_index(op.f("ix_audit_event_operation_id"), "audit_event", ["operation_id"])
    op.create_index("ix_audit_event_person_email_at", "audit_event", ["person_email", "at"])
    _audit_append_only()

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_membership_batch_id_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"], name=op.f("fk_membership_institution_id_institution")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_membership_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint(
            "person_id", "institution_id", name=op.f("uq_membership_person_id_institution_id")
        ),
    )
    op.create_index(op.f("ix_membership_batch_id"), "membership", ["batch_id"])
    op.create_index("ix_membership_institution_id_active", "membership", ["institution_id", "active"])

    op.create_table(
        "rejected_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_rejected_row_batch_id_import_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_row")),
    )
    op.create_index(op.f("ix_rejected_row_batch_id"), "rejected_row", ["batch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_row_batch_id"), table_name="rejected_row")

    op.drop_table("rejected_row")
    op.drop_index("ix_membership_institution_id_active", table_name="membership")
    op.drop_index(op.f("ix_membership_batch_id"), table_name="membership")

    op.drop_table("membership")
    op.drop_index("ix_audit_event_person_email_at", table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_operation_id"), table_name="audit_event")
    op.drop_index("ix_audit_event_institution_code_at", table_name="audit_event")
    op.drop_index("ix_audit_event_at", table_name="audit_event")

    _drop_audit_append_only()
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_zoom_user_snapshot_zoom_id"), table_name="zoom_user_snapshot")

    op.drop_table("zoom_user_snapshot")
    op.drop_table("plan_record")
    op.drop_table("person")
    op.drop_index("ix_operation_plan_fingerprint_state", table_name="operation")
    op.drop_index(op.f("ix_operation_email"), table_name="operation")

    op.drop_table("operation")
    op.drop_table("managed_user")
    op.drop_table("institution")
    op.drop_index("ix_import_batch_sha256", table_name="import_batch")

    op.drop_table("import_batch")
    op.drop_index(op.f("ix_drift_report_at"), table_name="drift_report")

    op.drop_table("drift_report")
    op.drop_index(op.f("ix_account_snapshot_observed_at"), table_name="account_snapshot")

    op.drop_table("account_snapshot")


# Frozen copies of models.tables.audit's trigger DDL (a migration must not change when the
# models do).
def _audit_append_only() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {verb} refused'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP "
            "USING ERRCODE = 'integrity_constraint_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def _drop_audit_append_only() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
