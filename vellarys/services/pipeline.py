"""The sales pipeline: the board's columns, and the agency's list of reasons a lead is lost.

Moving a lead between stages is ``lead_acts.change_stage`` (one act for the board, the lead
page, the API); this module holds what it checks against and what the board reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.db.queries import board as board_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.glossary import Stage
from vellarys.errors import BadRequest, NotFound
from vellarys.services.audit import Actor

DEFAULT_LOSS_REASONS = (
    "Preço acima do orçamento",
    "Fechou com outra imobiliária",
    "Desistiu de mudar",
    "Parou de responder",
    "Crédito ou financiamento negado",
    "Outro motivo",
)
MAX_REASONS = 30
MAX_REASON_CHARS = 120
BOARD_COLUMN_LIMIT = 100


async def loss_reasons(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """The agency's loss reasons (settings), or the defaults until it saves its own."""
    tenant = await tenant_queries.get(session, tenant_id)
    stored = (tenant.settings or {}).get("loss_reasons") if tenant else None
    if isinstance(stored, list) and stored:
        return [str(r) for r in stored]
    return list(DEFAULT_LOSS_REASONS)


def checked_reason(value: str | None, reasons: list[str]) -> str:
    """``value`` when it is one of ``reasons``; ``BadRequest`` otherwise."""
    text = (value or "").strip()
    if not text:
        raise BadRequest("Escolha o motivo da perda.")
    if text not in reasons:
        raise BadRequest("Motivo de perda desconhecido: escolha um da lista da imobiliária.")
    return text


async def save_loss_reasons(session: AsyncSession, actor: Actor, *, text: str) -> list[str]:
    """Replace the agency's loss reasons with the lines of ``text`` (one reason a line)."""
    reasons = list(dict.fromkeys(" ".join(line.split()) for line in text.splitlines()))
    reasons = [r for r in reasons if r]
    if not reasons:
        raise BadRequest("Informe pelo menos um motivo de perda.")
    if len(reasons) > MAX_REASONS or any(len(r) > MAX_REASON_CHARS for r in reasons):
        raise BadRequest(
            f"Use no máximo {MAX_REASONS} motivos de até {MAX_REASON_CHARS} caracteres."
        )
    tenant = await tenant_queries.get(session, actor.tenant_id)
    if tenant is None:
        raise NotFound("Imobiliária não encontrada.")
    tenant.settings = {**(tenant.settings or {}), "loss_reasons": reasons}
    await session.flush()
    return reasons


@dataclass(frozen=True, slots=True)
class Column:
    stage: str
    leads: list[Lead]
    total: int


async def board(session: AsyncSession, actor: Actor) -> list[Column]:
    """One column per stage with the leads ``actor`` sees, most recent activity first."""
    counts = await board_queries.stage_counts(session, actor.tenant_id, actor.visible_to)
    columns = []
    for stage in Stage:
        leads = await board_queries.column(
            session, actor.tenant_id, actor.visible_to, stage, limit=BOARD_COLUMN_LIMIT
        )
        columns.append(Column(stage=stage.value, leads=leads, total=counts.get(stage, 0)))
    return columns
