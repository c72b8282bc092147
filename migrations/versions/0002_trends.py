"""Trends: early warnings sent (for the 7-day suppression) and weekly digests sent.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trend_warnings",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("area_pcode", sa.String(16), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("forum_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.UniqueConstraint("category", "area_pcode", "detected_on", name="uq_trend_warnings_area_day"),
    )
    op.create_table(
        "trend_digests",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("forum_id", sa.String(64), sa.ForeignKey("forums.id"), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("forum_id", "week_start", name="uq_trend_digests_forum_week"),
    )


def downgrade() -> None:
    op.drop_table("trend_digests")
    op.drop_table("trend_warnings")
