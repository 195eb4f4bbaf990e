"""One audit vocabulary: stored actions renamed to ``AuditAction`` and held to it by a check.

The dashboard wrote ``lead.view`` / ``lead.take_over`` / ``leads.export`` and the API
``viewed`` / ``took_over`` / ``exported`` / ``erased`` for the same acts; both become the
names in ``vellarys.domain.glossary.AuditAction``. The list is spelled out here (not
imported) so that this migration keeps meaning what it meant when it ran.

Revision ID: 0006_audit_actions
Revises: 0006_follow_ups
"""

from __future__ import annotations

from alembic import op

revision = "0006_audit_actions"
down_revision = "0006_follow_ups"
branch_labels = None
depends_on = None

RENAMED = {
    "viewed": "lead.viewed",
    "lead.view": "lead.viewed",
    "exported": "lead.exported",
    "erased": "lead.erased",
    "took_over": "lead.taken_over",
    "lead.take_over": "lead.taken_over",
    "leads.export": "leads.exported",
}
ACTIONS = (
    "lead.viewed",
    "lead.exported",
    "lead.erased",
    "leads.exported",
    "lead.taken_over",
    "lead.given_back",
    "lead.message_sent",
    "lead.stage_changed",
    "lead.assigned",
    "document.uploaded",
    "user.created",
)
CONSTRAINT = "ck_audit_log_action"


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(f"UPDATE audit_log SET action = '{new}' WHERE action = '{old}'")


def upgrade() -> None:
    _rename(RENAMED)
    allowed = ", ".join(f"'{action}'" for action in ACTIONS)
    op.create_check_constraint(op.f(CONSTRAINT), "audit_log", f"action IN ({allowed})")


def downgrade() -> None:
    op.drop_constraint(op.f(CONSTRAINT), "audit_log", type_="check")
    # The API's spellings were the older ones; both edges wrote them before this revision.
    _rename(
        {
            "lead.viewed": "viewed",
            "lead.exported": "exported",
            "lead.erased": "erased",
            "lead.taken_over": "took_over",
            "leads.exported": "leads.export",
        }
    )
