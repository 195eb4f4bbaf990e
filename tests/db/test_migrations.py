"""Migrations on a real PostgreSQL: up, down, up again, and the indexes the product depends on."""

from __future__ import annotations

import psycopg

from vellarys.db import migrate

NAMED_INDEXES = [
    "ix_messages_lead_created_role",
    "ix_leads_custom_data_gin",
    "ix_property_embeddings_hnsw",
    "ix_knowledge_embeddings_hnsw",
    "ux_messages_tenant_external_id",
    "ix_leads_phone_tenant",
    "ix_leads_active",
    "ix_messages_outbound_pending",
    "ix_messages_content_fts",
    "ix_messages_tenant_created",
    "ix_messages_tenant_updated",
]


def _indexes(url: str) -> dict[str, bool]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        ).fetchall()
    return {name: valid for name, valid in rows}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrations_go_up_down_and_up_again_on_an_empty_database(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()
    assert {"leads", "messages", "procrastinate_jobs", "property_embeddings"} <= _tables(
        empty_database
    )

    migrate.downgrade(empty_database, "base")
    assert migrate.current_revision(empty_database) is None
    assert _tables(empty_database) == {"alembic_version"}

    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()


def test_every_named_index_exists_and_is_valid(template_url: str) -> None:
    found = _indexes(template_url)
    for name in NAMED_INDEXES:
        assert found.get(name) is True, f"{name} missing or invalid"


def test_embedding_columns_have_the_configured_dimension_and_it_is_recorded(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, embedding_dim=16)
    with psycopg.connect(empty_database) as conn:
        types = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attname = 'embedding' AND attrelid IN "
            "('property_embeddings'::regclass, 'knowledge_embeddings'::regclass)"
        ).fetchall()
        recorded = conn.execute(
            "SELECT value->>'dimension' FROM system_settings WHERE key = 'embedding_dim'"
        ).fetchone()[0]
    assert [t[0] for t in types] == ["vector(16)", "vector(16)"]
    assert recorded == "16"


def test_a_failed_concurrent_build_is_rebuilt_instead_of_skipped(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    with psycopg.connect(empty_database, autocommit=True) as conn:
        # Simulate the leftover of a failed CREATE INDEX CONCURRENTLY.
        conn.execute("CREATE INDEX ix_leads_custom_data_gin ON leads (phone)")
        conn.execute(
            "UPDATE pg_index SET indisvalid = false "
            "WHERE indexrelid = 'ix_leads_custom_data_gin'::regclass"
        )
    migrate.upgrade(empty_database)
    with psycopg.connect(empty_database) as conn:
        definition = conn.execute(
            "SELECT pg_get_indexdef('ix_leads_custom_data_gin'::regclass)"
        ).fetchone()[0]
    assert _indexes(empty_database)["ix_leads_custom_data_gin"] is True
    assert "gin" in definition
