"""Leads as staff list them: search, messages, handoffs and the CSV export (the acts on one
lead are in ``lead_acts``).

Shared by the dashboard and the REST API. ``visible_to`` is a broker's user id: a broker
sees the leads assigned to them and the unassigned queue, nothing else.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Handoff, Lead, Message
from vellarys.db.models.lead import HANDOFF_STATUSES, STAGES, TEMPERATURES
from vellarys.db.queries import lead_search as queries
from vellarys.db.queries.page import MAX_PER_PAGE, Page, page_request
from vellarys.domain import lead_source
from vellarys.domain.glossary import AuditAction
from vellarys.domain.lead_search import (
    DEFAULT_SORT,
    SORTS,
    UNASSIGNED,
    LeadFilters,
    check_bounds,
    csv_cell,
)
from vellarys.errors import BadRequest, NotFound
from vellarys.services.audit import LEAD, Actor, record_act

__all__ = [
    "DEFAULT_SORT",
    "EXPORT_MAX_ROWS",
    "MAX_PER_PAGE",
    "SORTS",
    "STAGES",
    "TEMPERATURES",
    "UNASSIGNED",
    "LeadFilters",
    "LeadPage",
    "Page",
    "assignee_names",
    "export_csv",
    "get_handoff",
    "get_lead",
    "list_handoffs",
    "list_messages",
    "search_leads",
    "validate_filters",
]

EXPORT_MAX_ROWS = 50_000
LEAD_NOT_FOUND = "Lead não encontrado."
CSV_COLUMNS = (
    "id",
    "nome",
    "telefone",
    "etapa",
    "temperatura",
    "pontuacao",
    "intencao",
    "tipo",
    "cidade",
    "bairros",
    "orcamento_min",
    "orcamento_max",
    "corretor",
    "criado_em",
    "ultima_mensagem_em",
)


@dataclass(frozen=True, slots=True)
class LeadPage:
    """One page of leads, the total that matched, and the names of their assigned users."""

    items: list[Lead]
    total: int
    page: int
    per_page: int
    assignee_names: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def validate_filters(filters: LeadFilters, sort: str) -> None:
    """Raise ``BadRequest`` for a sort, stage, temperature or range that cannot match."""
    check_bounds(filters)
    if sort not in SORTS:
        raise BadRequest(f"Ordenação desconhecida: use {', '.join(SORTS)}")
    if filters.stage and filters.stage not in STAGES:
        raise BadRequest(f"Etapa desconhecida: use {', '.join(STAGES)}")
    if filters.temperature and filters.temperature not in TEMPERATURES:
        raise BadRequest(f"Temperatura desconhecida: use {', '.join(TEMPERATURES)}")
    low, high = filters.budget_min, filters.budget_max
    if low is not None and high is not None and low > high:
        raise BadRequest("O orçamento mínimo é maior que o máximo")
    if filters.source:
        try:
            lead_source.matches(filters.source)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
    start, end = filters.created_from, filters.created_to
    if start is not None and end is not None and start > end:
        raise BadRequest("A data inicial é posterior à data final")


async def search_leads(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    filters: LeadFilters,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = 25,
    visible_to: uuid.UUID | None = None,
) -> LeadPage:
    """One page of the tenant's leads that pass ``filters``, sorted by ``sort`` (see ``SORTS``).

    Erased leads are left out. Raises ``BadRequest`` for an unknown sort, stage or temperature
    and for a page outside ``1..`` or ``per_page`` outside ``1..MAX_PER_PAGE``.
    """
    validate_filters(filters, sort)
    request = page_request(page, per_page)
    where = queries.conditions(tenant_id, filters, visible_to=visible_to)
    leads, total = await queries.page(session, where, sort=sort, request=request)
    assigned = [lead.assigned_user_id for lead in leads if lead.assigned_user_id is not None]
    names = await queries.user_names(session, tenant_id, assigned)
    return LeadPage(items=leads, total=total, page=page, per_page=per_page, assignee_names=names)


async def export_csv(
    session: AsyncSession,
    actor: Actor,
    *,
    filters: LeadFilters,
    sort: str = DEFAULT_SORT,
    query: str = "",
    limit: int = EXPORT_MAX_ROWS,
) -> str:
    """The leads ``actor`` sees that pass ``filters``, as CSV (header in Portuguese), safe
    to open in a spreadsheet: cells that would run as formulas get a leading apostrophe.
    The export is audited with its ``query`` (the filters as typed) and row count."""
    validate_filters(filters, sort)
    where = queries.conditions(actor.tenant_id, filters, visible_to=actor.visible_to)
    leads = await queries.all_matching(session, where, sort=sort, limit=limit)
    assigned = [lead.assigned_user_id for lead in leads if lead.assigned_user_id is not None]
    names = await queries.user_names(session, actor.tenant_id, assigned)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for lead in leads:
        writer.writerow([csv_cell(v) for v in _csv_row(lead, names)])
    details = {"query": query, "rows": len(leads)}
    await record_act(session, actor, AuditAction.LEADS_EXPORTED, target_type=LEAD, details=details)
    return out.getvalue()


def _csv_row(lead: Lead, names: dict[uuid.UUID, str]) -> Sequence[object]:
    profile = lead.custom_data or {}
    neighborhoods = profile.get("neighborhoods") or []
    if isinstance(neighborhoods, list):
        neighborhoods = "; ".join(str(n) for n in neighborhoods)
    return (
        lead.id,
        lead.name,
        lead.phone,
        lead.stage,
        lead.temperature,
        lead.score,
        profile.get("intent"),
        profile.get("property_type"),
        profile.get("city"),
        neighborhoods,
        profile.get("budget_min"),
        profile.get("budget_max"),
        names.get(lead.assigned_user_id) if lead.assigned_user_id else None,
        lead.created_at.isoformat() if lead.created_at else None,
        lead.last_message_at.isoformat() if lead.last_message_at else None,
    )


async def get_lead(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    visible_to: uuid.UUID | None = None,
) -> Lead:
    """The lead, or ``NotFound`` when it is another tenant's or not visible to the broker."""
    lead = await queries.visible_lead(session, tenant_id, lead_id, visible_to)
    if lead is None:
        raise NotFound(LEAD_NOT_FOUND)
    return lead


async def list_messages(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    page: int = 1,
    per_page: int = 50,
    visible_to: uuid.UUID | None = None,
) -> Page[Message]:
    """The lead's messages, newest first, one page at a time."""
    request = page_request(page, per_page)
    lead = await get_lead(session, tenant_id=tenant_id, lead_id=lead_id, visible_to=visible_to)
    return await queries.messages_page(session, tenant_id, lead.id, request)


async def list_handoffs(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    status: str | None = None,
    lead_id: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page[Handoff]:
    """The agency's handoffs, newest first, optionally of one status or one lead."""
    request = page_request(page, per_page)
    if status is not None and status not in HANDOFF_STATUSES:
        raise BadRequest(f"Situação desconhecida: use {', '.join(HANDOFF_STATUSES)}")
    return await queries.handoffs_page(
        session, tenant_id, status=status, lead_id=lead_id, request=request
    )


async def get_handoff(
    session: AsyncSession, *, tenant_id: uuid.UUID, handoff_id: uuid.UUID
) -> Handoff:
    handoff = await queries.handoff(session, tenant_id, handoff_id)
    if handoff is None:
        raise NotFound("Encaminhamento não encontrado")
    return handoff


async def assignee_names(
    session: AsyncSession, *, tenant_id: uuid.UUID, leads: Sequence[Lead]
) -> dict[uuid.UUID, str]:
    """The names of the users the leads are assigned to, by user id."""
    assigned = [lead.assigned_user_id for lead in leads if lead.assigned_user_id is not None]
    return await queries.user_names(session, tenant_id, assigned)
