"""Staff console: staff accounts, their forums, API tokens, report corrections; audit chain guards.

Also indexes for the message log's filtered keyset pages (bench/bench_message_log.py).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# The audit log is append-only: the database refuses to change a row (DELETE too on PostgreSQL;
# SQLite's test fixtures empty tables with DELETE). Whoever can drop a trigger can still tamper,
# which is what the hash chain and `gateway audit verify` are for.
PG_GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""
SQLITE_GUARD = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
"""
MESSAGE_INDEXES = {"ix_messages_status_id": ["status", "id"], "ix_messages_kind_id": ["kind", "id"],
                   "ix_messages_direction_id": ["direction", "id"]}


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS),
    )
    op.create_table(
        "staff_forums",
        sa.Column("staff_id", BigId, sa.ForeignKey("staff_users.id"), primary_key=True),
        sa.Column("forum_id", sa.String(64), sa.ForeignKey("forums.id"), primary_key=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff_users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_table(
        "report_corrections",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), nullable=False, index=True),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("text", sa.Text()),
        *(sa.Column(f"{age}_category", sa.String(32)) for age in ("old", "new")),
        *(sa.Column(f"{age}_{level}_pcode", sa.String(16)) for level in ("region", "cercle") for age in ("old", "new")),
        sa.Column("note", sa.String(500)),
    )
    with op.batch_alter_table("audit_events") as batch:
        batch.create_unique_constraint("uq_audit_events_prev_hash", ["prev_hash"])
    for name, columns in MESSAGE_INDEXES.items():
        op.create_index(name, "messages", columns)
    _search_index(install=True)
    _guard_audit_log(install=True)


def downgrade() -> None:
    _guard_audit_log(install=False)
    _search_index(install=False)
    for name in MESSAGE_INDEXES:
        op.drop_index(name, "messages")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint("uq_audit_events_prev_hash", type_="unique")
    for table in ("report_corrections", "api_tokens", "staff_forums", "staff_users"):
        op.drop_table(table)


def _search_index(install: bool) -> None:
    """Trigram index: `body ILIKE '%word%'` over millions of messages without reading them all.

    SQLite has no such index; there the same name covers no rows (WHERE 0), so it costs
    nothing on writes and the schema still matches the models.
    """
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not install:
        op.drop_index("ix_messages_body_trgm", "messages")
        if postgresql:
            op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    elif postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_messages_body_trgm", "messages", ["body"], postgresql_using="gin",
                        postgresql_ops={"body": "gin_trgm_ops"})
    else:
        op.create_index("ix_messages_body_trgm", "messages", ["body"], sqlite_where=sa.text("0"))


def _guard_audit_log(install: bool) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if install:
        op.execute(PG_GUARD if postgresql else SQLITE_GUARD)
    elif postgresql:
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events; DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_append_only")
