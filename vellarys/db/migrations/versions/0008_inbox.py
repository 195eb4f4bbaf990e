"""The broker inbox: archived conversations, read marks per user, quick replies, and full-text
search over message text (Portuguese, accents folded) with a GIN index.

The pgserver build ships no ``unaccent``: ``vellarys_fold`` (lower case, Latin accents
translated away, IMMUTABLE) folds both the indexed text and the query the same way, so
"famílias" finds "familia".

Revision ID: 0008_inbox
Revises: 0008_leads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008_inbox"
down_revision = "0008_leads"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
ACCENTED = "áàâãäåéèêëíìîïóòôõöúùûüçñ"
PLAIN = "aaaaaaeeeeiiiiooooouuuucn"
FTS_INDEX = "ix_messages_content_fts"
# name -> definition: full text, and what the inbox's live feed asks every second.
INDEXES = {
    FTS_INDEX: "USING gin (to_tsvector('portuguese'::regconfig, vellarys_fold(content)))",
    "ix_messages_tenant_created": "(tenant_id, created_at)",
    "ix_messages_tenant_updated": "(tenant_id, updated_at)",
}


def upgrade() -> None:
    op.add_column("leads", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "conversation_reads",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", "user_id", name="pk_conversation_reads"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_conversation_reads_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name="fk_conversation_reads_lead_id_leads",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_conversation_reads_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "quick_replies",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quick_replies"),
        sa.UniqueConstraint("tenant_id", "shortcut", name="uq_quick_replies_tenant_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_quick_replies_tenant_id_tenants",
            ondelete="CASCADE",
        ),
    )
    for table in ("conversation_reads", "quick_replies"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_wall ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO vellarys_app; END IF; END $$"
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION vellarys_fold(value text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
        f"$$ SELECT translate(lower(value), '{ACCENTED}', '{PLAIN}') $$"
    )
    with op.get_context().autocommit_block():
        for name, definition in INDEXES.items():
            # A failed concurrent build leaves an INVALID index that IF NOT EXISTS would skip.
            op.execute(
                f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c "
                f"ON c.oid = i.indexrelid WHERE c.relname = '{name}' AND NOT i.indisvalid) "
                f"THEN EXECUTE 'DROP INDEX {name}'; END IF; END $$"
            )
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON messages {definition}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS vellarys_fold(text)")
    op.drop_table("quick_replies")
    op.drop_table("conversation_reads")
    op.drop_column("leads", "archived_at")
