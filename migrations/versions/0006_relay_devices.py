"""Relay phones (SMS Gateway for Android): last check-in and the silence alert, per device.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "relay_devices",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False, index=True),
        sa.Column("silence_alerted_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("relay_devices")
