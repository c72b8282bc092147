"""Initial schema: reporters, messages, reports, forums, coordinators, alerts, audit events.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reporters",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False, unique=True),
        sa.Column("number_encrypted", sa.Text()),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("last_area_pcode", sa.String(16)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "forums",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("ack_within_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "coordinators",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("forum_id", sa.String(64), sa.ForeignKey("forums.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False, index=True),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("forum_id", "phone", name="uq_coordinators_forum_phone"),
    )
    op.create_table(
        "reports",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("reference", sa.String(12), nullable=False, unique=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("reporter_id", BigId, sa.ForeignKey("reporters.id"), index=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("confidence", sa.Float()),
        sa.Column("urgency", sa.String(8)),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("region_pcode", sa.String(16), index=True),
        sa.Column("cercle_pcode", sa.String(16)),
        sa.Column("commune_pcode", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("processed_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("provider", sa.String(24), nullable=False),
        sa.Column("provider_message_id", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reporter_id", BigId, sa.ForeignKey("reporters.id"), index=True),
        sa.Column("coordinator_id", BigId, sa.ForeignKey("coordinators.id")),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), index=True),
        sa.Column("body", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.String(200)),
        sa.Column("error_code", sa.String(32)),
        sa.Column("segments", sa.Integer()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("provider", "provider_message_id", name="uq_messages_provider_id"),
    )
    op.create_index("ix_messages_out_pending", "messages", ["direction", "status"])
    op.create_table(
        "alerts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("forum_id", sa.String(64), sa.ForeignKey("forums.id"), nullable=False),
        sa.Column("coordinator_id", BigId, sa.ForeignKey("coordinators.id"), nullable=False),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id")),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acknowledged_at", TS),
        sa.UniqueConstraint("report_id", "forum_id", "coordinator_id", name="uq_alerts_target"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )


def downgrade() -> None:
    for table in ("audit_events", "alerts", "messages", "reports", "coordinators", "forums", "reporters"):
        op.drop_table(table)
