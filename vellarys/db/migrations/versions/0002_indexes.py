"""The indexes the reference system depends on, built CONCURRENTLY outside a transaction.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# name -> (table, definition after "ON table")
INDEXES: dict[str, tuple[str, str]] = {
    "ix_messages_lead_created_role": ("messages", "(lead_id, created_at DESC, role)"),
    "ix_leads_custom_data_gin": ("leads", "USING gin (custom_data)"),
    "ix_property_embeddings_hnsw": (
        "property_embeddings",
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
    ),
    "ix_knowledge_embeddings_hnsw": (
        "knowledge_embeddings",
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
    ),
    "ux_messages_tenant_external_id": ("messages", "(tenant_id, external_id)"),
    "ix_leads_phone_tenant": ("leads", "(phone, tenant_id)"),
    "ix_leads_active": (
        "leads",
        "(tenant_id, last_message_at DESC) WHERE NOT opted_out AND stage NOT IN ('lost', 'won')",
    ),
    "ix_messages_outbound_pending": (
        "messages",
        "(created_at) WHERE direction = 'outbound' AND status IN ('pending', 'failed')",
    ),
    "ix_properties_tenant_search": (
        "properties",
        "(tenant_id, transaction, property_type, price) WHERE available",
    ),
}
UNIQUE = {"ux_messages_tenant_external_id", "ix_leads_phone_tenant"}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, (table, definition) in INDEXES.items():
            # A failed concurrent build leaves an INVALID index that IF NOT EXISTS would skip.
            # The names and definitions are the constants above, not input.
            op.execute(
                f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c "
                f"ON c.oid = i.indexrelid WHERE c.relname = '{name}' AND NOT i.indisvalid) "
                f"THEN EXECUTE 'DROP INDEX {name}'; END IF; END $$"
            )
            unique = "UNIQUE " if name in UNIQUE else ""
            op.execute(
                f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}"
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
