"""Brokers' monthly goals and the WhatsApp copy of the morning briefing.

Revision ID: 0009_reports
Revises: 0009_delayed_handoff
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0009_reports"
down_revision = "0009_delayed_handoff"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
TABLES = ("broker_goals", "briefing_messages")


def _owned(table: str) -> list[Any]:
    return [
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "broker_goals",
        *_owned("broker_goals"),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("won", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("tenant_id", "user_id", "month", name="uq_broker_goals_month"),
        sa.CheckConstraint("visits >= 0 AND won >= 0", name="ck_broker_goals_positive"),
        sa.CheckConstraint("extract(day FROM month) = 1", name="ck_broker_goals_first_day"),
    )
    op.create_table(
        "briefing_messages",
        *_owned("briefing_messages"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tenant_id", "user_id", "day", name="uq_briefing_messages_once"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped', 'no_template')",
            name="ck_briefing_messages_status",
        ),
    )
    for table in TABLES:
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


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
