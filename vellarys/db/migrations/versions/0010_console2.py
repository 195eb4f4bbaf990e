"""The console's second round: agencies created from the console, support access an agency's
admin grants the operators for a limited time, and the operators' plan-limit alerts.

The audit vocabulary is spelled out here (not imported) so that this migration keeps
meaning what it meant when it ran.

Revision ID: 0010_console2
Revises: 0010_goals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_console2"
down_revision = "0010_goals"
branch_labels = None
depends_on = None

OLD_ACTIONS = (
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
    "lead.created",
    "lead.edited",
    "leads.imported",
    "lead.handed_off",
    "lead.note_added",
    "opportunity.opened",
    "opportunity.changed",
    "user.updated",
    "user.reset_link_issued",
    "lgpd.requested",
    "lgpd.done",
    "plan.saved",
    "tenant.plan_set",
    "tenant.features_set",
    "tenant.suspended",
    "tenant.resumed",
)
NEW_ACTIONS = ("tenant.created", "support.granted", "support.revoked", "support.viewed")


def upgrade() -> None:
    op.add_column("tenants", sa.Column("support_until", sa.DateTime(timezone=True)))
    _actions((*OLD_ACTIONS, *NEW_ACTIONS))
    # The pipeline (as the app role) e-mails the operators when an agency passes its lead limit.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT (email, active) ON operators TO vellarys_app; END IF; END $$"
    )


def _actions(names: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_audit_log_action"), "audit_log", type_="check")
    allowed = ", ".join(f"'{name}'" for name in names)
    op.create_check_constraint(op.f("ck_audit_log_action"), "audit_log", f"action IN ({allowed})")


def downgrade() -> None:
    op.execute(
        "DELETE FROM audit_log WHERE action IN ("
        + ", ".join(f"'{name}'" for name in NEW_ACTIONS)
        + ")"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "REVOKE SELECT (email, active) ON operators FROM vellarys_app; END IF; END $$"
    )
    _actions(OLD_ACTIONS)
    op.drop_column("tenants", "support_until")
