"""Per-forum SMS provider: a forum's coordinator alerts may go through a provider of its own.

NULL (the default) keeps the deployment's SMS_PROVIDERS order.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forums") as batch:
        batch.add_column(sa.Column("provider", sa.String(24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forums") as batch:
        batch.drop_column("provider")
