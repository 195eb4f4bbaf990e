"""The WhatsApp notices to agency staff (a handoff to a broker, a manager's alert, a visit):
retried like the sends to leads, with backoff after a provider error and again after the
database went away, and recorded in place once the provider has them, so none goes twice."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.uow import unit_of_work
from vellarys.domain.ports import TemplateSender, WhatsAppProvider
from vellarys.errors import ProviderError
from vellarys.services import alerts, briefing_whatsapp, handoff, outbound, visit_notices
from vellarys.worker import runtime
from vellarys.worker.retry import RetryAt, RetryWhenAsked, attempt_of, keep_recording

log = logging.getLogger(__name__)

Notice = (
    handoff.BrokerNotification
    | alerts.ManagerMessage
    | visit_notices.BrokerMessage
    | briefing_whatsapp.BriefingWhatsApp
)
# Writes down how an attempt went: the error (None once sent) and whether it was the last.
Record = Callable[[AsyncSession, str | None, bool], Awaitable[None]]


async def notify_broker(handoff_id: str, attempt: int = 1) -> str:
    """Tell the broker on WhatsApp that a lead is theirs (the dashboard shows it regardless)."""
    container = runtime.container()
    deps, key = container.pipeline, uuid.UUID(handoff_id)
    async with unit_of_work(container.sessions) as session:
        note = await handoff.prepare_notification(
            session,
            handoff_id=key,
            dashboard_url=container.settings.base_url,
            now=container.clock.now(),
        )

    async def record(session: AsyncSession, error: str | None, final: bool) -> None:
        await handoff.record_notification(session, deps, handoff_id=key, error=error)

    return "skipped" if note is None else await _deliver(note, record, attempt)


async def notify_manager(notification_id: str, attempt: int = 1) -> str:
    """The WhatsApp copy of a manager alert (the dashboard bell shows it regardless)."""
    container = runtime.container()
    key = uuid.UUID(notification_id)
    async with unit_of_work(container.sessions) as session:
        message = await alerts.prepare_whatsapp(
            session, notification_id=key, now=container.clock.now()
        )

    async def record(session: AsyncSession, error: str | None, final: bool) -> None:
        await alerts.record_whatsapp(session, notification_id=key, error=error, final=final)

    return "skipped" if message is None else await _deliver(message, record, attempt)


async def notify_visit(reminder_id: str, attempt: int = 1) -> str:
    """Tell a broker on WhatsApp about a visit: booked, moved, cancelled, or a reminder."""
    container = runtime.container()
    key = uuid.UUID(reminder_id)
    async with unit_of_work(container.sessions) as session:
        message = await visit_notices.prepare_broker_message(
            session,
            reminder_id=key,
            base_url=container.settings.base_url,
            secret=container.settings.resolved_secret_key,
            now=container.clock.now(),
        )

    async def record(session: AsyncSession, error: str | None, final: bool) -> None:
        await visit_notices.record_broker_message(
            session, reminder_id=key, error=error, final=final
        )

    return "skipped" if message is None else await _deliver(message, record, attempt)


async def _deliver(note: Notice, record: Record, attempt: int) -> str:
    """Send, then record; a provider error is recorded and, while worth it and attempts are
    left (``send_max_attempts``, as for leads' messages), tried again after a backoff."""
    container, deps = runtime.container(), runtime.container().pipeline
    try:
        await send_notice(deps.provider_for(note.channel), note)
    except ProviderError as exc:
        final = not exc.retryable or attempt >= deps.settings.send_max_attempts
        async with unit_of_work(container.sessions) as session:
            await record(session, exc.message, final)
        log.warning("notice failed", extra={"error": exc.message, "retry": not final})
        if final:
            return "failed"
        wait = timedelta(seconds=outbound.backoff_seconds(deps, attempt))
        raise RetryAt(container.clock.now() + wait, "provider error") from exc
    await keep_recording(container.sessions, lambda session: record(session, None, True))
    return "sent"


async def send_notice(provider: WhatsAppProvider, note: Notice) -> str:
    """Free text inside the recipient's 24-hour window, else the approved template."""
    if note.template is None:
        return await provider.send_text(to=note.to, text=note.text)
    if not isinstance(provider, TemplateSender):
        raise ProviderError(f"{note.channel.provider} cannot send templates", retryable=False)
    return await provider.send_template(
        to=note.to, name=note.template.name, language=note.template.language, values=note.values
    )


def _as_job(
    notice: Callable[[str, int], Awaitable[str]], argument: str
) -> Callable[..., Awaitable[str]]:
    """The queue's form of a notice: its id from the job's arguments, its attempt number
    from the job."""

    async def job(context: procrastinate.JobContext, **args: str) -> str:
        return await notice(args[argument], attempt_of(context))

    job.__name__ = job.__qualname__ = notice.__name__
    return job


def register(bp: procrastinate.Blueprint) -> None:
    """The three notice jobs, on the outbound queue, retried as the sends to leads are."""
    jobs = (
        (queue.NOTIFY_BROKER, notify_broker, "handoff_id"),
        (queue.NOTIFY_MANAGER, notify_manager, "notification_id"),
        (queue.NOTIFY_VISIT, notify_visit, "reminder_id"),
    )
    for name, notice, argument in jobs:
        task = bp.task(
            name=name, queue=queue.OUTBOUND_QUEUE, retry=RetryWhenAsked(), pass_context=True
        )
        task(_as_job(notice, argument))
