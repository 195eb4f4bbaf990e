"""Job definitions: each maps a job to service calls inside units of work the job opens."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection
from datetime import timedelta

import procrastinate

from vellarys.adapters import webpush
from vellarys.db import queue
from vellarys.db.queries import rate as rate_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.uow import unit_of_work
from vellarys.domain.media import MediaRefused
from vellarys.domain.ports import (
    MediaSender,
    MediaSource,
    SentLookup,
    TemplateSender,
    WhatsAppProvider,
)
from vellarys.errors import ProviderError
from vellarys.services import (
    alerts,
    briefing,
    briefing_whatsapp,
    feeds,
    followups,
    inbound,
    knowledge,
    llm_traces,
    media,
    outbound,
    privacy_requests,
    push,
    rescue,
    summary,
    visit_notices,
    webhooks,
)
from vellarys.services.feeds import FeedRefused
from vellarys.services.reply import optional_step
from vellarys.telemetry import metrics
from vellarys.telemetry.logs import log_context
from vellarys.worker import notices, runtime
from vellarys.worker.notices import notify_broker, notify_manager, notify_visit
from vellarys.worker.retry import RetryAt, RetryWhenAsked, keep_recording

log = logging.getLogger(__name__)

# Finished jobs are kept this long for inspection, then pruned.
KEEP_FINISHED_HOURS = 72
# A media download is tried this many times before the lead is told it could not be opened.
FETCH_ATTEMPTS = 3
# A lead's message that keeps running past its time budget is tried this many times in all
# (the lead hears once that the answer is coming); then a broker takes the lead.
HOLD_TRIES = 4
# The pause before the next try grows with each try: this (or the budget, if shorter), times n.
HOLD_WAIT_SECONDS = 15.0

# Kept importable from here.
__all__ = ["RetryAt", "RetryWhenAsked", "notify_broker", "notify_manager", "notify_visit"]


class RetryInbound(procrastinate.RetryStrategy):
    """A lead's message: again when the job asked (after a holding reply), else on an
    unexpected error with a growing wait, a bounded number of times."""

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, RetryAt):
            return procrastinate.RetryDecision(retry_at=exception.at)
        return super().get_retry_decision(exception=exception, job=job)


async def handle_inbound(context: procrastinate.JobContext, message_id: str) -> str:
    """Answer a lead's message (or the burst it belongs to). Retried on unexpected errors.

    The work has a time budget: past it, it is cancelled (its transaction rolls back), the
    lead is told once that the answer is coming, and the job runs again a little later;
    past the budget on the last try, a broker takes the lead."""
    container = runtime.container()
    key, attempt = uuid.UUID(message_id), _attempts(context)
    with log_context(message_id=message_id):
        try:
            async with asyncio.timeout(container.settings.job_time_budget_seconds):
                async with unit_of_work(container.sessions) as session:
                    result = await inbound.handle_inbound(
                        session, container.pipeline, message_id=key
                    )
        except TimeoutError:
            metrics.JOB_BUDGET_EXCEEDED.labels(queue.HANDLE_INBOUND).inc()
            log.warning("processing ran past its time budget", extra={"attempt": attempt})
            async with unit_of_work(container.sessions) as session:
                result = await inbound.hold(
                    session,
                    container.pipeline,
                    message_id=key,
                    give_up=attempt + 1 >= HOLD_TRIES,
                )
            if result.outcome == "holding":
                wait = min(container.settings.job_time_budget_seconds, HOLD_WAIT_SECONDS)
                at = container.clock.now() + timedelta(seconds=wait * (attempt + 1))
                raise RetryAt(at, "answer after the holding reply") from None
        with log_context(lead_id=result.lead_id):
            log.info("inbound processed", extra={"outcome": result.outcome})
    return result.outcome


async def fetch_media(context: procrastinate.JobContext, message_id: str) -> str:
    """Download, keep and read the file of a lead's message, then queue its answer.

    A download that fails in a way worth retrying is retried (``FETCH_ATTEMPTS`` in all);
    after the last attempt, or on a refusal (too big, wrong type), the message is answered
    anyway and the answer says the file could not be opened.
    """
    container, key = runtime.container(), uuid.UUID(message_id)
    with log_context(message_id=message_id):
        async with unit_of_work(container.sessions) as session:
            plan = await media.plan_fetch(session, message_id=key)
        if plan is None:
            return "already"
        error = None if plan.stored else await _download(plan, attempts=_attempts(context))
        return await _read_and_finish(plan, error=error)


def _attempts(context: procrastinate.JobContext) -> int:
    job = context.job
    return int(getattr(job, "attempts", 0) or 0) if job is not None else 0


async def _download(plan: media.FetchPlan, *, attempts: int) -> str | None:
    """Store the file; None when stored, else the reason the lead's answer must admit."""
    container, deps = runtime.container(), runtime.container().pipeline
    source = None if plan.channel is None else deps.provider_for(plan.channel)
    if not isinstance(source, MediaSource):
        return "this channel cannot download media"
    try:
        async with asyncio.timeout(deps.settings.media_timeout_seconds):
            fetched = await source.fetch_media(
                external_id=plan.external_id,
                media=plan.media,
                max_bytes=deps.settings.media_max_bytes,
            )
        async with unit_of_work(container.sessions) as session:
            await media.store_file(
                session,
                deps,
                tenant_id=plan.tenant_id,
                message_id=plan.message_id,
                kind=plan.kind,
                fetched=fetched,
                declared_type=plan.media.get("mime_type"),
            )
    except MediaRefused as exc:
        log.warning("media refused", extra={"reason": str(exc)})
        return str(exc)
    except TimeoutError:
        return _retry_or_give_up("the download took too long", attempts=attempts, retryable=True)
    except ProviderError as exc:
        return _retry_or_give_up(exc.message, attempts=attempts, retryable=exc.retryable)
    return None


def _retry_or_give_up(reason: str, *, attempts: int, retryable: bool) -> str:
    if retryable and attempts + 1 < FETCH_ATTEMPTS:
        log.warning("media download failed; retrying", extra={"error": reason})
        raise MediaDownloadFailed(reason)
    log.warning("media download failed; answering without it", extra={"error": reason})
    return reason


async def _read_and_finish(plan: media.FetchPlan, *, error: str | None) -> str:
    container, deps = runtime.container(), runtime.container().pipeline
    read: media.ReadText | None = None
    codes: list[str] = []
    if error is None:
        async with unit_of_work(container.sessions) as session:
            stored = await media.load_file(
                session, tenant_id=plan.tenant_id, message_id=plan.message_id
            )
            prompt, codes = await media.reading_prompt(session, tenant_id=plan.tenant_id)
        if stored is not None and stored.data is not None:
            read = await media.read_file(
                deps,
                kind=plan.kind,
                data=stored.data,
                content_type=stored.content_type,
                prompt=prompt,
                voice=plan.voice,
            )
    async with unit_of_work(container.sessions) as session:
        await media.finish(
            session, deps, message_id=plan.message_id, read=read, codes=codes, error=error
        )
    if read is not None:
        metrics_name = "transcribed" if read.kind == "transcript" else "read"
        log.info("media " + metrics_name, extra={"seconds": round(read.seconds, 3)})
    return "failed" if error else "stored"


async def send_outbound(message_id: str) -> str:
    """Send one outbound message: paced per lead, retried with backoff, never sent twice."""
    container, deps = runtime.container(), runtime.container().pipeline
    with log_context(message_id=message_id):
        async with unit_of_work(container.sessions) as session:
            claim = await outbound.claim_send(session, deps, message_id=uuid.UUID(message_id))
        if isinstance(claim, outbound.SendLater):
            raise RetryAt(claim.at, "paced")
        if isinstance(claim, outbound.Uncertain):
            metrics.UNCERTAIN_SENDS.inc()
            log.warning("a send was cut off after reaching the provider; not resending")
            return await _look_up(claim)
        if isinstance(claim, outbound.NoSend):
            metrics.OUTBOUND.labels("unknown", claim.outcome).inc()
            return claim.outcome
        return await _deliver(claim)


async def _look_up(claim: outbound.Uncertain) -> str:
    """Ask a provider that keeps what it sent (Evolution) whether the lost attempt arrived;
    the others (Meta, Z-API) settle it from their status callbacks or echoes instead."""
    container, deps, plan = runtime.container(), runtime.container().pipeline, claim.plan
    provider = None if plan is None else deps.provider_for(plan.channel)
    if plan is None or not isinstance(provider, SentLookup):
        metrics.OUTBOUND.labels("unknown", "uncertain").inc()
        return "uncertain"
    try:
        external_id = await provider.find_sent(to=plan.to, text=plan.text, since=claim.since)
    except ProviderError as error:
        log.warning("could not ask the provider about a lost send", extra={"error": error.message})
        external_id = None
    if external_id is None:
        metrics.OUTBOUND.labels(plan.channel.provider, "uncertain").inc()
        return "uncertain"
    async with unit_of_work(container.sessions) as session:
        await outbound.settle_uncertain(session, deps, plan=plan, external_id=external_id)
    metrics.OUTBOUND.labels(plan.channel.provider, "settled").inc()
    log.info("uncertain send settled from the provider's records")
    return "settled"


async def _deliver(plan: outbound.SendPlan) -> str:
    container, deps = runtime.container(), runtime.container().pipeline
    provider = plan.channel.provider
    try:
        external_id = await _send(deps.provider_for(plan.channel), plan)
    except ProviderError as error:
        async with unit_of_work(container.sessions) as session:
            retry_at = await outbound.record_failure(session, deps, plan=plan, error=error)
        metrics.OUTBOUND.labels(provider, "retry" if retry_at else "failed").inc()
        log.warning("send failed", extra={"error": error.message, "retry": bool(retry_at)})
        if retry_at is not None:
            raise RetryAt(retry_at, "provider error") from error
        return "failed"
    await _record_sent(plan, external_id)
    metrics.OUTBOUND.labels(provider, "sent").inc()
    return "sent"


async def _record_sent(plan: outbound.SendPlan, external_id: str) -> None:
    container, deps = runtime.container(), runtime.container().pipeline
    await keep_recording(
        container.sessions,
        lambda session: outbound.record_sent(session, deps, plan=plan, external_id=external_id),
    )


async def _send(provider: WhatsAppProvider, plan: outbound.SendPlan) -> str:
    if plan.file is not None and plan.template is None:
        if not isinstance(provider, MediaSender):
            raise ProviderError(f"{plan.channel.provider} cannot send files", retryable=False)
        return await provider.send_file(to=plan.to, file=plan.file)
    if plan.template is None:
        return await provider.send_text(to=plan.to, text=plan.text, reference=str(plan.message_id))
    if not isinstance(provider, TemplateSender):
        raise ProviderError(f"{plan.channel.provider} cannot send templates", retryable=False)
    return await provider.send_template(
        to=plan.to,
        name=str(plan.template["name"]),
        language=str(plan.template.get("language") or "pt_BR"),
        values=[str(v) for v in plan.template.get("values") or ()],
    )


async def rescue_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Put back in the queue the jobs a dead worker left ``doing`` (they hold their lead's lock)."""
    return await rescue_jobs(context.app, runtime.container().settings.stalled_job_seconds)


async def rescue_jobs(
    app: procrastinate.App, stalled_after: float, *, also_workers: Collection[int] = ()
) -> int:
    """Retry the jobs of workers silent for ``stalled_after`` seconds, and of ``also_workers``
    (this process's earlier lives, known dead)."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after))
    if also_workers:
        doing = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=0)
        known = {job.id for job in stalled}
        stalled += [j for j in doing if j.worker_id in also_workers and j.id not in known]
    for job in stalled:
        await app.job_manager.retry_job(job)
    if stalled:
        log.warning("rescued stalled jobs", extra={"jobs": [job.id for job in stalled]})
    return len(stalled)


async def requeue_stuck_outbound(timestamp: int) -> int:
    """Give a send job back to pending outbound messages that have none (e.g. after a restore)."""
    container = runtime.container()
    older_than = container.clock.now() - timedelta(
        seconds=container.settings.outbound_stuck_seconds
    )
    async with unit_of_work(container.sessions) as session:
        return await rescue.requeue_stuck_outbound(session, older_than=older_than)


async def prune_message_rates(timestamp: int) -> int:
    """Delete the per-minute message counters of windows long over."""
    async with unit_of_work(runtime.container().sessions) as session:
        return await rate_queries.prune(session)


async def prune_finished_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Delete succeeded, failed and cancelled jobs older than ``KEEP_FINISHED_HOURS``."""
    rows = await context.app.connector.execute_query_all_async(
        query=(
            "DELETE FROM procrastinate_jobs j WHERE j.status IN ('succeeded', 'failed', "
            "'cancelled', 'aborted') AND NOT EXISTS (SELECT 1 FROM procrastinate_events e "
            "WHERE e.job_id = j.id AND e.at > now() - make_interval(hours => %(hours)s)) "
            "RETURNING j.id"
        ),
        hours=KEEP_FINISHED_HOURS,
    )
    return len(rows)


async def send_follow_ups(timestamp: int) -> int:
    """Send the follow-ups and reactivations due now, each agency in its own unit of work.

    Safe on any number of workers: each step's key is claimed in the database first.
    """
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        tenant_ids = await tenant_queries.all_ids(session)
    sent = 0
    for tenant_id in tenant_ids:
        async with unit_of_work(container.sessions) as session:
            tenant = await tenant_queries.get(session, tenant_id)
            if tenant is None or not tenant.active:
                continue
            claimed = await followups.send_due(session, tenant=tenant, now=container.clock.now())
            sent += len(claimed)
    return sent


async def raise_manager_alerts(timestamp: int) -> int:
    """Record the managers' alerts due now (new, hot and after-hours leads, untaken handoffs)."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        tenant_ids = await tenant_queries.all_ids(session)
    raised = 0
    for tenant_id in tenant_ids:
        async with unit_of_work(container.sessions) as session:
            tenant = await tenant_queries.get(session, tenant_id)
            if tenant is not None and tenant.active:
                now = container.clock.now()
                raised += await alerts.raise_alerts(session, tenant=tenant, now=now)
    return raised


async def send_push(notification_id: str) -> str:
    """Push an alert to each of its user's devices, outside any transaction."""
    container = runtime.container()
    settings, key = container.settings, uuid.UUID(notification_id)
    async with unit_of_work(container.sessions) as session:
        plan = await push.plan_push(session, notification_id=key)
    if plan is None:
        return "skipped"
    vapid = webpush.load_vapid(
        configured=settings.vapid_private_key.get_secret_value()
        if settings.vapid_private_key
        else None,
        data_dir=settings.data_dir,
    )
    results = {}
    for device_id, subscriber in plan.devices:
        results[device_id] = await webpush.send(
            subscriber,
            plan.message.payload(),
            vapid=vapid,
            subject=settings.vapid_subject,
            now=container.clock.now(),
            allow_private=settings.private_urls_allowed,
            seconds=settings.push_timeout_seconds,
        )
    async with unit_of_work(container.sessions) as session:
        return await push.record_push(session, plan=plan, results=results)


async def send_visit_reminders(timestamp: int) -> int:
    """Remind leads and brokers of visits, the day before and 2 h before; each agency in its
    own unit of work, each reminder claimed first (safe on any number of workers)."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        tenant_ids = await tenant_queries.all_ids(session)
    sent = 0
    for tenant_id in tenant_ids:
        async with unit_of_work(container.sessions) as session:
            tenant = await tenant_queries.get(session, tenant_id)
            if tenant is not None and tenant.active:
                now = container.clock.now()
                sent += await visit_notices.send_reminders(session, tenant=tenant, now=now)
    return sent


async def index_document(tenant_id: str, document_id: str) -> int:
    """Chunk and embed one knowledge document."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await knowledge.index_document(
            session,
            container.index_embedder,
            tenant_id=uuid.UUID(tenant_id),
            document_id=uuid.UUID(document_id),
        )


async def index_properties(tenant_id: str) -> int:
    """Embed a tenant's stale knowledge chunks, then its listings with no (or an outdated)
    embedding."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await knowledge.reindex_stale(
            session, container.index_embedder, tenant_id=uuid.UUID(tenant_id)
        )


async def erase_lead_after_notice(request_id: str) -> str:
    """Erase a lead who asked for it, after the message telling them went out."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await privacy_requests.erase_after_notice(
            session, request_id=uuid.UUID(request_id), now=container.clock.now()
        )


async def summarize_lead(lead_id: str, tenant_id: str) -> str:
    """Refresh a lead's rolling summary; a failure is logged and skipped, never retried forever."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        written = await optional_step(
            session,
            "summary",
            lambda: summary.refresh_summary(
                session,
                container.pipeline,
                lead_id=uuid.UUID(lead_id),
                tenant_id=uuid.UUID(tenant_id),
            ),
            None,
        )
    return "written" if written else "skipped"


async def reindex_stale_tenants(timestamp: int) -> int:
    """Embed what has no embedding for the configured model yet (new listings, and everything
    after the embedding model changed): one indexing job per agency, behind the agency's
    indexing lock, unless one is already waiting or running. Returns the jobs queued."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        busy = await queue.tenants_being_indexed(session)
        tenant_ids = [t for t in await tenant_queries.all_ids(session) if str(t) not in busy]
        for tenant_id in tenant_ids:
            await queue.defer_index_properties(session, tenant_id=tenant_id)
    return len(tenant_ids)


# At most this many feeds per run; the next run takes the rest.
FEEDS_PER_RUN = 20


async def sync_listing_feeds(timestamp: int) -> int:
    """Read the agencies' portal feeds that are due. Each is leased first (its next run moved
    forward in its own transaction), so two workers never read the same feed at once; the
    download happens outside any transaction, the reconciliation in one."""
    container = runtime.container()
    done = 0
    for _ in range(FEEDS_PER_RUN):
        async with unit_of_work(container.sessions) as session:
            feed = await feeds.claim_due_feed(session, now=container.clock.now())
            lease = (feed.tenant_id, feed.url) if feed is not None and feed.url else None
        if lease is None:
            break
        with log_context(tenant_id=str(lease[0])):
            await _sync_one(lease[0], lease[1])
        done += 1
    return done


async def _sync_one(tenant_id: uuid.UUID, url: str) -> None:
    container = runtime.container()
    error: str | None = None
    report: feeds.FeedReport | None = None
    try:
        with await feeds.fetch_feed(
            url, allow_private=container.settings.private_urls_allowed
        ) as stream:
            async with unit_of_work(container.sessions) as session:
                report = await feeds.sync_feed(session, tenant_id=tenant_id, stream=stream)
    except (FeedRefused, ProviderError) as exc:
        error = str(exc) if isinstance(exc, FeedRefused) else exc.message
        log.warning("listing feed failed: %s", error)
    async with unit_of_work(container.sessions) as session:
        await feeds.record_run(
            session,
            tenant_id=tenant_id,
            now=container.clock.now(),
            report=report,
            error=error,
            source=url,
        )


async def deliver_webhook(delivery_id: str) -> str:
    """POST one event to an agency's endpoint, outside any transaction; a failure is tried
    again with backoff (the job asks to be run again at the time the service picked)."""
    container, key = runtime.container(), uuid.UUID(delivery_id)
    settings = container.settings
    async with unit_of_work(container.sessions) as session:
        plan = await webhooks.plan_delivery(
            session, delivery_id=key, secret_key=settings.resolved_secret_key
        )
    if plan is None:
        return "skipped"
    with log_context(tenant_id=str(plan.tenant_id)):
        attempt = await webhooks.attempt_delivery(
            plan,
            timestamp=int(container.clock.now().timestamp()),
            allow_private=settings.private_urls_allowed,
            seconds=settings.webhook_timeout_seconds,
        )
        async with unit_of_work(container.sessions) as session:
            retry_at = await webhooks.record_attempt(
                session,
                delivery_id=key,
                attempt=attempt,
                now=container.clock.now(),
                retry_base_seconds=settings.webhook_retry_base_seconds,
            )
        if retry_at is not None:
            log.warning("webhook delivery failed; retrying", extra={"error": attempt.error})
            raise RetryAt(retry_at, "webhook receiver failed")
    return "delivered" if attempt.delivered else "failed"


async def prune_webhook_deliveries(timestamp: int) -> int:
    """Delete webhook deliveries finished more than a month ago (the log keeps the rest)."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await webhooks.prune_deliveries(session, now=container.clock.now())


async def prune_media(timestamp: int) -> int:
    """Delete the bytes of media past the retention setting; transcripts and OCR text stay."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await media.prune_media(session, now=container.clock.now())


async def prune_llm_traces(timestamp: int) -> int:
    """Delete LLM traces past the retention setting (every agency)."""
    container = runtime.container()
    async with unit_of_work(container.sessions) as session:
        return await llm_traces.prune_traces(
            session,
            now=container.clock.now(),
            days=container.settings.llm_trace_retention_days,
        )


class MediaDownloadFailed(Exception):
    """A media download worth another attempt (procrastinate retries on it)."""


def make_blueprint() -> procrastinate.Blueprint:
    """A fresh blueprint of every job (procrastinate namespaces a blueprint's tasks in place,
    so each queue app gets its own)."""
    bp = procrastinate.Blueprint()
    bp.task(
        name=queue.HANDLE_INBOUND,
        queue=queue.PIPELINE_QUEUE,
        retry=RetryInbound(max_attempts=5 + HOLD_TRIES, exponential_wait=2),
        pass_context=True,
    )(handle_inbound)
    retry_media = procrastinate.RetryStrategy(
        max_attempts=FETCH_ATTEMPTS, wait=1, retry_exceptions={MediaDownloadFailed}
    )
    bp.task(
        name=queue.FETCH_MEDIA, queue=queue.PIPELINE_QUEUE, retry=retry_media, pass_context=True
    )(fetch_media)
    bp.task(name=queue.SEND_OUTBOUND, queue=queue.OUTBOUND_QUEUE, retry=RetryWhenAsked())(
        send_outbound
    )
    notices.register(bp)
    bp.task(name=queue.SEND_PUSH, queue=queue.OUTBOUND_QUEUE)(send_push)
    bp.task(name=queue.SEND_BRIEFING, queue=queue.OUTBOUND_QUEUE)(send_briefing_whatsapp)
    bp.task(name=queue.SUMMARIZE_LEAD, queue=queue.PIPELINE_QUEUE)(summarize_lead)
    bp.task(name=queue.ERASE_AFTER_NOTICE, queue=queue.OUTBOUND_QUEUE)(erase_lead_after_notice)
    bp.task(name=queue.INDEX_DOCUMENT, queue=queue.INDEXING_QUEUE)(index_document)
    bp.task(name=queue.INDEX_PROPERTIES, queue=queue.INDEXING_QUEUE)(index_properties)
    bp.task(name=queue.DELIVER_WEBHOOK, queue=queue.WEBHOOKS_QUEUE, retry=RetryWhenAsked())(
        deliver_webhook
    )
    _periodic(bp)
    return bp


async def send_briefings(timestamp: int) -> int:
    """Queue each agency's morning briefing at its hour and send the outbox over SMTP."""
    container = runtime.container()
    now = container.clock.now()
    async with unit_of_work(container.sessions) as session:
        queued = await briefing.queue_due(session, now=now)
    mailer = container.mailer
    if mailer is None:
        return queued  # development: the outbox page shows them
    async with unit_of_work(container.sessions) as session:
        await briefing.deliver(session, mailer, now=now)
    return queued


async def send_briefing_whatsapp(message_id: str) -> str:
    """One manager's morning briefing on WhatsApp (claimed once per manager and day)."""
    container = runtime.container()
    key = uuid.UUID(message_id)
    async with unit_of_work(container.sessions) as session:
        message = await briefing_whatsapp.prepare(
            session, message_id=key, now=container.clock.now()
        )
    if message is None:
        return "skipped"
    error = None
    try:
        await notices.send_notice(container.pipeline.provider_for(message.channel), message)
    except ProviderError as exc:
        error = exc.message
    async with unit_of_work(container.sessions) as session:
        await briefing_whatsapp.record(
            session, message_id=key, error=error, now=container.clock.now()
        )
    return "failed" if error else "sent"


def _periodic(bp: procrastinate.Blueprint) -> None:
    every_minute, maintenance = "* * * * *", queue.MAINTENANCE_QUEUE
    rescue_task = bp.task(name="rescue_stalled_jobs", queue=maintenance, pass_context=True)
    bp.periodic(cron=every_minute)(rescue_task(rescue_stalled_jobs))
    requeue = bp.task(name="requeue_stuck_outbound", queue=maintenance)
    bp.periodic(cron=every_minute)(requeue(requeue_stuck_outbound))
    reindex = bp.task(name="reindex_stale_tenants", queue=queue.INDEXING_QUEUE)
    bp.periodic(cron="*/10 * * * *")(reindex(reindex_stale_tenants))
    prune = bp.task(name="prune_finished_jobs", queue=maintenance, pass_context=True)
    bp.periodic(cron="17 * * * *")(prune(prune_finished_jobs))
    prune_rates = bp.task(name="prune_message_rates", queue=maintenance)
    bp.periodic(cron="*/5 * * * *")(prune_rates(prune_message_rates))
    # One waiting run is enough: a busy worker must not pile up minutes of them.
    alert = bp.task(
        name="raise_manager_alerts", queue=maintenance, queueing_lock="raise_manager_alerts"
    )
    bp.periodic(cron=every_minute)(alert(raise_manager_alerts))
    follow = bp.task(name="send_follow_ups", queue=maintenance, queueing_lock="send_follow_ups")
    bp.periodic(cron="*/5 * * * *")(follow(send_follow_ups))
    remind = bp.task(
        name="send_visit_reminders", queue=maintenance, queueing_lock="send_visit_reminders"
    )
    bp.periodic(cron="*/5 * * * *")(remind(send_visit_reminders))
    feed = bp.task(
        name="sync_listing_feeds", queue=queue.INDEXING_QUEUE, queueing_lock="sync_listing_feeds"
    )
    bp.periodic(cron="*/5 * * * *")(feed(sync_listing_feeds))

    expire = bp.task(name="prune_media", queue=maintenance, queueing_lock="prune_media")
    bp.periodic(cron="17 * * * *")(expire(prune_media))
    traces = bp.task(name="prune_llm_traces", queue=maintenance, queueing_lock="prune_llm_traces")
    bp.periodic(cron="23 * * * *")(traces(prune_llm_traces))
    prune_hooks = bp.task(
        name="prune_webhook_deliveries", queue=maintenance, queueing_lock="prune_webhook_deliveries"
    )
    bp.periodic(cron="23 3 * * *")(prune_hooks(prune_webhook_deliveries))
    brief = bp.task(name="send_briefings", queue=maintenance, queueing_lock="send_briefings")
    bp.periodic(cron="*/10 * * * *")(brief(send_briefings))
