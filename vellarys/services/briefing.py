"""The manager's morning briefing: built from yesterday's figures, queued as e-mail at the
agency's hour, sent over SMTP when the deployment has it (else kept in the outbox)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.mail import MailError, SmtpMailer
from vellarys.db.models import OutgoingEmail, Tenant
from vellarys.db.queries import briefing as queries
from vellarys.db.queries import mail
from vellarys.domain import business_hours
from vellarys.domain.briefing import Briefing, BrokerDay, LeadLine, profile_line, render
from vellarys.services import briefing_whatsapp


async def build(session: AsyncSession, tenant: Tenant, *, now: datetime) -> Briefing:
    """Yesterday (midnight to midnight in the agency's zone) as seen at ``now``."""
    zone = business_hours.from_settings(tenant.settings or {}).zone
    today = now.astimezone(zone).date()
    end = datetime.combine(today, time(0), tzinfo=zone)
    start = end - timedelta(days=1)
    count, first_response = await queries.new_leads(session, tenant.id, start, end)
    hot = await queries.hot_leads(session, tenant.id, start, end)
    waiting = await queries.waiting(session, tenant.id, now)
    timings = await queries.handoff_timings(session, tenant.id, start, end)
    visits = await queries.visits_between(session, tenant.id, end, end + timedelta(days=1))
    return Briefing(
        agency=tenant.name,
        day=start.date(),
        new_leads=count,
        hot_leads=tuple(_line(row, profile_line(row.profile)) for row in hot),
        waiting=tuple(
            _line(row, f"com {row.broker}" if row.broker else "sem corretor") for row in waiting
        ),
        first_response_seconds=first_response,
        brokers=_brokers(timings),
        visits_today=tuple(_visit_line(row, zone) for row in visits),
    )


def _visit_line(row: queries.VisitRow, zone: tzinfo) -> LeadLine:
    """ "14:30 com Ana Souza · AP-101": the time in the agency's zone, the broker, the listing."""
    who = f"com {row.broker}" if row.broker else "sem corretor"
    detail = f"{row.starts_at.astimezone(zone):%H:%M} {who} · {row.code}"
    return LeadLine(name=row.lead or "Sem nome", phone=row.phone, detail=detail)


def _line(row: queries.LeadRow, detail: str) -> LeadLine:
    return LeadLine(name=row.name or "Sem nome", phone=row.phone, detail=detail)


def _brokers(timings: list[queries.HandoffTiming]) -> tuple[BrokerDay, ...]:
    handoffs: dict[str, int] = defaultdict(int)
    answered: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        handoffs[timing.broker] += 1
        if timing.minutes is not None:
            answered[timing.broker].append(timing.minutes)
    return tuple(
        BrokerDay(name=name, handoffs=count, response_minutes=tuple(answered[name]))
        for name, count in sorted(handoffs.items())
    )


DEFAULT_HOUR = 8
SUBJECT = "Resumo da manhã — {agency} ({day:%d/%m})"


def schedule(settings: Mapping[str, Any]) -> tuple[bool, int]:
    """Whether the agency wants the e-mail briefing, and at which local hour (0–23)."""
    hour = settings.get("briefing_hour", DEFAULT_HOUR)
    return bool(settings.get("briefing_enabled", True)), hour if isinstance(
        hour, int
    ) else DEFAULT_HOUR


async def queue_due(session: AsyncSession, *, now: datetime) -> int:
    """Queue today's briefing for each agency whose hour it is, once per manager and day: by
    e-mail and, when the agency wants it, on WhatsApp. Returns how many were queued."""
    queued = 0
    for tenant in await mail.all_tenants(session):
        settings = tenant.settings or {}
        enabled, hour = schedule(settings)
        by_whatsapp = briefing_whatsapp.wanted(settings)
        local = now.astimezone(business_hours.from_settings(settings).zone)
        if not (enabled or by_whatsapp) or local.hour != hour:
            continue
        made = await build(session, tenant, now=now)
        if enabled:
            queued += await _queue_emails(session, tenant, made, day=local.date())
        if by_whatsapp:
            text = render(made)
            queued += await briefing_whatsapp.queue_whatsapp(
                session, tenant, day=local.date(), text=text
            )
    return queued


async def _queue_emails(session: AsyncSession, tenant: Tenant, made: Briefing, *, day: date) -> int:
    queued = 0
    subject = SUBJECT.format(agency=tenant.name, day=made.day)
    for to in await mail.managers(session, tenant.id):
        queued += await mail.queue_once(
            session,
            tenant.id,
            kind="briefing",
            day=day,
            recipient=to,
            subject=subject,
            body=render(made).replace("*", ""),  # e-mail is plain text
        )
    return queued


async def deliver(session: AsyncSession, mailer: SmtpMailer, *, now: datetime) -> int:
    """Send what the outbox holds; a refused send is counted and retried on the next run."""
    sent = 0
    for email in await mail.unsent(session, limit=50):
        try:
            await mailer.send(to=email.recipient, subject=email.subject, body=email.body)
        except MailError as exc:
            mail.mark(email, now=now, error=str(exc))
            continue
        mail.mark(email, now=now, error=None)
        sent += 1
    return sent


async def outbox(session: AsyncSession, tenant_id: uuid.UUID) -> list[OutgoingEmail]:
    """The agency's latest e-mails, sent or waiting."""
    return await mail.outbox(session, tenant_id, limit=100)
