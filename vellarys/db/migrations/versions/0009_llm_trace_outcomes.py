"""LLM trace outcomes: superseded (a newer lead message took over the burst) and summary (the
rolling summary's call, traced like the replies).

Revision ID: 0009_llm_trace_outcomes
Revises: 0009_push
"""

from __future__ import annotations

from alembic import op

revision = "0009_llm_trace_outcomes"
down_revision = "0009_push"
branch_labels = None
depends_on = None

_BEFORE = "outcome IN ('answered', 'repaired', 'fallback', 'error')"
_AFTER = "outcome IN ('answered', 'repaired', 'fallback', 'error', 'superseded', 'summary')"


# 0008 named its check through the naming convention; drop whichever check is on outcome.
_DROP_OUTCOME_CHECK = """
DO $$
DECLARE found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'llm_traces'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%outcome%'
    LOOP
        EXECUTE format('ALTER TABLE llm_traces DROP CONSTRAINT %I', found);
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(_DROP_OUTCOME_CHECK)
    op.create_check_constraint(op.f("ck_llm_traces_outcome"), "llm_traces", _AFTER)


def downgrade() -> None:
    op.execute(_DROP_OUTCOME_CHECK)
    op.execute("DELETE FROM llm_traces WHERE outcome IN ('superseded', 'summary')")
    op.create_check_constraint(op.f("ck_llm_traces_outcome"), "llm_traces", _BEFORE)
