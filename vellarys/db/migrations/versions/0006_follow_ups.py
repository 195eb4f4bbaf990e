"""Follow-ups, reactivations and manager alerts; WhatsApp templates; price reductions.

``planned_messages`` holds one row per (lead, kind, anchor, step) that was sent, cancelled or
skipped: the unique key is claimed before anything is sent, so any number of workers send a
step once. ``anchor`` is the lead's last message when the sequence started (a reply starts a
new sequence). ``notifications`` are the managers' in-app alerts, unique per trigger.
A trigger keeps the last price reduction of a listing, whoever changes the price.

Revision ID: 0006_follow_ups
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0006_follow_ups"
down_revision = "0005"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
ALL_ALERTS = """'["new_lead", "hot_lead", "after_hours_lead", "handoff_untaken"]'"""


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "planned_messages",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_planned_messages_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column(
            "lead_id",
            UUID(as_uuid=True),
            sa.ForeignKey("leads.id", ondelete="CASCADE", name="fk_planned_messages_lead_id_leads"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("anchor", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("template", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "message_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "messages.id", ondelete="SET NULL", name="fk_planned_messages_message_id_messages"
            ),
            nullable=True,
        ),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "users.id", ondelete="SET NULL", name="fk_planned_messages_user_id_users"
            ),
            nullable=True,
        ),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_planned_messages"),
        sa.UniqueConstraint("lead_id", "kind", "anchor", "step", name="uq_planned_messages_key"),
        sa.CheckConstraint(
            "kind IN ('follow_up', 'reactivation')", name="ck_planned_messages_kind"
        ),
        sa.CheckConstraint(
            "status IN ('sent', 'cancelled', 'skipped')", name="ck_planned_messages_status"
        ),
    )
    op.create_index(
        "ix_planned_messages_tenant_id_created_at", "planned_messages", ["tenant_id", "created_at"]
    )
    op.create_table(
        "notifications",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_notifications_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_notifications_user_id_users"),
            nullable=False,
        ),
        sa.Column(
            "lead_id",
            UUID(as_uuid=True),
            sa.ForeignKey("leads.id", ondelete="CASCADE", name="fk_notifications_lead_id_leads"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), server_default="", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("whatsapp_status", sa.String(16), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("user_id", "kind", "lead_id", "ref", name="uq_notifications_key"),
    )
    op.create_index("ix_notifications_user_id_read_at", "notifications", ["user_id", "read_at"])
    op.add_column(
        "channels", sa.Column("templates", JSONB(), server_default=sa.text("'[]'"), nullable=False)
    )
    op.add_column(
        "users",
        sa.Column("whatsapp_alerts", JSONB(), server_default=sa.text(ALL_ALERTS), nullable=False),
    )
    op.add_column("properties", sa.Column("previous_price", sa.Numeric(14, 2), nullable=True))
    op.add_column(
        "properties", sa.Column("price_reduced_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "CREATE FUNCTION vellarys_price_reduced() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.price < OLD.price THEN NEW.previous_price := OLD.price; "
        "NEW.price_reduced_at := now(); END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER properties_price_reduced BEFORE UPDATE OF price ON properties "
        "FOR EACH ROW EXECUTE FUNCTION vellarys_price_reduced()"
    )
    for table in ("planned_messages", "notifications"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_wall ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') "
            f"THEN GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO vellarys_app; END IF; END $$"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS properties_price_reduced ON properties")
    op.execute("DROP FUNCTION IF EXISTS vellarys_price_reduced()")
    op.drop_column("properties", "price_reduced_at")
    op.drop_column("properties", "previous_price")
    op.drop_column("users", "whatsapp_alerts")
    op.drop_column("channels", "templates")
    op.drop_table("notifications")
    op.drop_table("planned_messages")
