"""The overview's sales figures: how far leads get in the funnel, what was won this month,
and each broker's response time to handoffs and wins (for admins and managers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import sales as queries
from vellarys.db.queries.dashboard import Scope, visible_leads
from vellarys.db.queries.sales import BrokerFigures
from vellarys.domain.glossary import Stage
from vellarys.services import routing

# The funnel's order; a lead "reached" a stage when it is there or further along (won is
# past every stage; lost leads are counted apart, as where they stopped is not kept).
FUNNEL = (Stage.NEW, Stage.QUALIFYING, Stage.QUALIFIED, Stage.HANDED_OFF, Stage.WON)


@dataclass(frozen=True, slots=True)
class StageReach:
    stage: str
    reached: int
    percent: float


@dataclass(frozen=True, slots=True)
class SalesFigures:
    reach: list[StageReach]
    lost: int
    won_value_month: Decimal
    won_count_month: int
    brokers: list[BrokerFigures]


def reach(counts: dict[str, int]) -> list[StageReach]:
    """How many leads reached each funnel stage, and what share of the leads in the funnel."""
    total = sum(counts.get(s, 0) for s in FUNNEL)
    found = []
    for index, stage in enumerate(FUNNEL):
        reached = sum(counts.get(s, 0) for s in FUNNEL[index:])
        percent = round(100 * reached / total, 1) if total else 0.0
        found.append(StageReach(stage=stage.value, reached=reached, percent=percent))
    return found


async def sales_figures(session: AsyncSession, scope: Scope, *, now: datetime) -> SalesFigures:
    """The figures for the leads ``scope`` sees; per-broker rows for admins and managers."""
    visible = visible_leads(scope)
    day = await routing.agency_day(session, scope.tenant_id, now)
    month = day.replace(day=1)
    counts = await queries.stage_counts(session, visible)
    value, count = await queries.won_value(session, visible, scope.tenant_id, month)
    brokers = await queries.per_broker(session, scope.tenant_id, month) if scope.admin else []
    return SalesFigures(
        reach=reach(counts),
        lost=counts.get(Stage.LOST, 0),
        won_value_month=value,
        won_count_month=count,
        brokers=brokers,
    )
