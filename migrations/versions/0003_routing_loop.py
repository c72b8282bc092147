"""Coordinators' SMS loop and corroboration: incidents, report actions, reply links.

- incidents: reports of one category in one commune (or cercle) within a window.
- reports.incident_id: the incident a report belongs to.
- report_actions: what coordinators did by SMS (acknowledge, close with a note).
- messages.in_reply_to_id: the inbound message an outbound reply answers, so that a
  duplicate delivery gets the same reply and creates nothing.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("area_pcode", sa.String(16), nullable=False),
        sa.Column("first_reference", sa.String(12), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
    )
    op.create_index("ix_incidents_lookup", "incidents", ["category", "area_pcode", "first_at"])
    op.create_table(
        "report_actions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), nullable=False, index=True),
        sa.Column("forum_id", sa.String(64), sa.ForeignKey("forums.id"), nullable=False),
        sa.Column("coordinator_id", BigId, sa.ForeignKey("coordinators.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("at", TS, nullable=False),
    )
    # SQLite can add a column with an inline REFERENCES clause but not a separate
    # constraint: batch mode lets Alembic do the right thing on both databases.
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", name="fk_reports_incident")))
        batch.create_index("ix_reports_incident_id", ["incident_id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("in_reply_to_id", BigId, sa.ForeignKey("messages.id", name="fk_messages_in_reply_to")))
        batch.create_index("ix_messages_in_reply_to_id", ["in_reply_to_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_in_reply_to_id")
        batch.drop_constraint("fk_messages_in_reply_to", type_="foreignkey")
        batch.drop_column("in_reply_to_id")
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_incident_id")
        batch.drop_constraint("fk_reports_incident", type_="foreignkey")
        batch.drop_column("incident_id")
    op.drop_table("report_actions")
    op.drop_index("ix_incidents_lookup", table_name="incidents")
    op.drop_table("incidents")
