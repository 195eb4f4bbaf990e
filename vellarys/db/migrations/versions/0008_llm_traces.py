"""LLM traces (one row per LLM reply, kept 30 days) and the owner/client handoff reasons.

Revision ID: 0008_llm_traces
Revises: 0008_visits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008_llm_traces"
down_revision = "0008_visits"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
_REASONS_BEFORE = "reason IN ('hot', 'requested', 'manual')"
_REASONS = "reason IN ('hot', 'requested', 'manual', 'owner', 'client')"


def upgrade() -> None:
    op.create_table(
        "llm_traces",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=True),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("tool_calls", JSONB(), nullable=False),
        sa.Column("refused", JSONB(), nullable=False),
        sa.Column("prompt", JSONB(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_llm_traces"),
        sa.CheckConstraint(
            "outcome IN ('answered', 'repaired', 'fallback', 'error')",
            name="ck_llm_traces_outcome",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_llm_traces_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_llm_traces_lead_id_leads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_llm_traces_message_id_messages",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_llm_traces_tenant_id_lead_id_created_at",
        "llm_traces",
        ["tenant_id", "lead_id", "created_at"],
    )
    # The retention job deletes by age.
    op.create_index("ix_llm_traces_created_at", "llm_traces", ["created_at"])
    op.execute("ALTER TABLE llm_traces ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE llm_traces FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON llm_traces USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON llm_traces TO vellarys_app; END IF; END $$"
    )
    op.drop_constraint(op.f("ck_handoffs_reason"), "handoffs", type_="check")
    op.create_check_constraint(op.f("ck_handoffs_reason"), "handoffs", _REASONS)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_handoffs_reason"), "handoffs", type_="check")
    op.execute("UPDATE handoffs SET reason = 'requested' WHERE reason IN ('owner', 'client')")
    op.create_check_constraint(op.f("ck_handoffs_reason"), "handoffs", _REASONS_BEFORE)
    op.drop_table("llm_traces")
