"""The agency's monthly goals (new leads, visits done, deals won), beside the brokers' own.

Revision ID: 0010_goals
Revises: 0009_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0010_goals"
down_revision = "0009_console"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "agency_goals",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("leads", sa.Integer(), server_default="0", nullable=False),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("won", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agency_goals"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_agency_goals_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant_id", "month", name="uq_agency_goals_month"),
        sa.CheckConstraint(
            "leads >= 0 AND visits >= 0 AND won >= 0", name="ck_agency_goals_positive"
        ),
        sa.CheckConstraint("extract(day FROM month) = 1", name="ck_agency_goals_first_day"),
    )
    op.execute("ALTER TABLE agency_goals ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE agency_goals FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON agency_goals USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON agency_goals TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    op.drop_table("agency_goals")
