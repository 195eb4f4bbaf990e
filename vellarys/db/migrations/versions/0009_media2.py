"""Calls as messages, and the inbox woken by the database instead of polling it.

- ``messages.type`` may be ``call``: a voice or video call a lead made to the agency's
  WhatsApp (Z-API and Evolution report them), kept in the conversation.
- Every insert or update of a message notifies ``vellarys_messages`` with its tenant id, in
  the writing transaction (PostgreSQL delivers it at commit, once per tenant and transaction),
  so each API process's one listener wakes the open inbox feeds of that agency.

Revision ID: 0009_media2
Revises: 0009_reports
"""

from __future__ import annotations

from alembic import op

revision = "0009_media2"
down_revision = "0009_reports"
branch_labels = None
depends_on = None

TYPES = (
    "text",
    "interactive",
    "audio",
    "image",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "unknown",
)


def _type_check(types: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_messages_type"), "messages", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in types)
    op.create_check_constraint(op.f("ck_messages_type"), "messages", f"type IN ({listed})")


def upgrade() -> None:
    _type_check((*TYPES, "call"))
    op.execute(
        """
        CREATE FUNCTION vellarys_notify_message() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('vellarys_messages', NEW.tenant_id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER messages_notify AFTER INSERT OR UPDATE ON messages"
        " FOR EACH ROW EXECUTE FUNCTION vellarys_notify_message()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS messages_notify ON messages")
    op.execute("DROP FUNCTION IF EXISTS vellarys_notify_message()")
    op.execute("DELETE FROM messages WHERE type = 'call'")
    _type_check(TYPES)
