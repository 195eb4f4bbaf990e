"""The "delayed" handoff reason: the assistant could not answer in time, so a broker does.

Revision ID: 0009_delayed_handoff
Revises: 0008_llm_traces
"""

from __future__ import annotations

from alembic import op

revision = "0009_delayed_handoff"
down_revision = "0008_llm_traces"
branch_labels = None
depends_on = None

_REASONS_BEFORE = "reason IN ('hot', 'requested', 'manual', 'owner', 'client')"
_REASONS = "reason IN ('hot', 'requested', 'manual', 'owner', 'client', 'delayed')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_handoffs_reason"), "handoffs", type_="check")
    op.create_check_constraint(op.f("ck_handoffs_reason"), "handoffs", _REASONS)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_handoffs_reason"), "handoffs", type_="check")
    op.execute("UPDATE handoffs SET reason = 'manual' WHERE reason = 'delayed'")
    op.create_check_constraint(op.f("ck_handoffs_reason"), "handoffs", _REASONS_BEFORE)
