"""The webhook's ack path in SQL: a channel by its webhook key, and one statement that stores
a plain inbound message and queues its answer (run on ``db.direct``, plain rows, no ORM).

``STORE`` does, in one statement and so in one transaction, what ``services.ingest`` does in
a unit of work for such a message: the erased-identifier check, the lead upsert, the message
insert (deduplicated by the provider's message id), the per-minute counters and the job,
deferred through procrastinate's own ``procrastinate_defer_jobs_v1`` (its insert trigger
sends the NOTIFY that wakes the workers; the job carries the lead's lock, no queueing lock).
It writes nothing, and says why, when the full path must run instead: the channel changed
since it was cached (``version``), or the agency has an outgoing webhook that would hear of
this message (those deliveries are written by ``services.webhooks.emit``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vellarys.db.direct import DirectPool
from vellarys.db.queries.rate import AGENCY_SHARDS, WINDOW_SECONDS
from vellarys.domain.rate_limit import (
    AGENCY_LIMIT_KEY,
    AGENCY_LIMIT_RANGE,
    LEAD_LIMIT_KEY,
    LEAD_LIMIT_RANGE,
    LOWEST_PRIORITY,
)
from vellarys.domain.webhook import LEAD_CREATED, MESSAGE_RECEIVED

# What a cached channel is checked against on every use: any edit of these (secret rotated,
# credentials, identity, key) or the channel's deletion or deactivation makes it stale.
_VERSION = (
    "md5(concat_ws('|', c.tenant_id, c.provider, c.identity, c.webhook_key, c.app_secret, "
    "c.verify_token, c.credentials::text))"
)

CHANNEL = f"""
SELECT c.id, c.tenant_id, c.provider, c.identity, c.app_secret, c.credentials::text,
       {_VERSION} AS version
FROM channels c WHERE c.webhook_key = $1 AND c.provider = $2 AND c.active
"""  # noqa: S608 (only constants are interpolated; values are bound)


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """What the ack path needs of a channel (``services.channel.open_credentials`` reads it)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    provider: str
    identity: str
    app_secret: str | None
    credentials: dict[str, Any]
    version: str


async def channel(db: DirectPool, provider: str, webhook_key: str) -> ChannelRef | None:
    """The active channel behind a webhook URL, with its version."""
    rows = await db.fetch(CHANNEL, webhook_key, provider)
    if not rows:
        return None
    row = rows[0]
    return ChannelRef(
        id=row[0],
        tenant_id=row[1],
        provider=row[2],
        identity=row[3],
        app_secret=row[4],
        credentials=json.loads(row[5]),
        version=row[6],
    )


def _own_limit(key: str, bounds: tuple[int, int], default_param: str) -> str:
    """SQL for ``domain.rate_limit._own``: the agency's whole-number setting within bounds,
    else the deployment's (a CASE, so the cast only sees digits)."""
    value = f"(t.settings ->> '{key}')"
    return (
        f"CASE WHEN jsonb_typeof(t.settings -> '{key}') = 'number' AND {value} ~ '^[0-9]{{1,9}}$' "
        f"THEN CASE WHEN {value}::int BETWEEN {bounds[0]} AND {bounds[1]} THEN {value}::int "
        f"ELSE {default_param} END ELSE {default_param} END"
    )


# $1 tenant  $2 channel  $3 version  $4 phone  $5 name  $6 now  $7 message id  $8 type
# $9 content  $10 media  $11 external id  $12 raw payload  $13 provider timestamp
# $14 queue  $15 task  $16 run_at  $17 debounce  $18 lead limit  $19 agency limit
STORE = f"""
WITH ch AS (
    SELECT 1 FROM channels c
    WHERE c.id = $2 AND c.tenant_id = $1 AND c.active AND {_VERSION} = $3
), erased AS (
    SELECT 1 FROM erased_identifiers e JOIN erasure_salts s ON s.tenant_id = e.tenant_id
    WHERE e.tenant_id = $1 AND (
      (e.kind = 'message' AND e.digest = encode(sha256(convert_to(
          s.salt || ':message:' || $11::text, 'UTF8')), 'hex'))
      OR (e.kind = 'phone' AND $13::timestamptz <= e.erased_at AND e.digest = encode(sha256(
          convert_to(s.salt || ':phone:' || $4::text, 'UTF8')), 'hex')))
), hooks AS (
    SELECT 1 FROM tenants t
    WHERE t.id = $1 AND (t.features -> 'webhooks') IS DISTINCT FROM 'false'::jsonb
      AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.tenant_id = t.id AND w.active
                  AND (w.events @> '["{LEAD_CREATED}"]' OR w.events @> '["{MESSAGE_RECEIVED}"]'))
), go AS (
    SELECT 1 WHERE EXISTS (SELECT 1 FROM ch) AND NOT EXISTS (SELECT 1 FROM erased)
      AND NOT EXISTS (SELECT 1 FROM hooks)
), lead AS (
    INSERT INTO leads AS l (id, tenant_id, phone, name, channel_id, last_message_at,
                            last_inbound_at)
    SELECT gen_random_uuid(), $1, $4, $5, $2, $6, $6 FROM go
    ON CONFLICT (phone, tenant_id) DO UPDATE SET
        name = coalesce(l.name, EXCLUDED.name),
        channel_id = coalesce(EXCLUDED.channel_id, l.channel_id),
        last_message_at = greatest(l.last_message_at, EXCLUDED.last_message_at),
        last_inbound_at = greatest(l.last_inbound_at, EXCLUDED.last_inbound_at),
        archived_at = NULL,
        updated_at = now()
    RETURNING l.id, l.xmax = 0 AS created
), msg AS (
    INSERT INTO messages (id, tenant_id, lead_id, channel_id, role, direction, status, type,
                          content, media, external_id, raw_payload, provider_timestamp)
    SELECT $7, $1, lead.id, $2, 'user', 'inbound', 'received', $8, $9, $10::jsonb, $11,
           $12::jsonb, $13 FROM lead
    ON CONFLICT (tenant_id, external_id) DO NOTHING
    RETURNING id, lead_id
), scopes AS (
    SELECT m.id, m.lead_id, 'lead:' || m.lead_id AS lead_scope,
           'agency:' || (('x' || lpad(right(m.lead_id::text, 1), 8, '0'))::bit(32)::int
                         % {AGENCY_SHARDS}) AS agency_scope
    FROM msg m
), counted AS (
    INSERT INTO message_rates AS r (tenant_id, scope, window_start, count)
    SELECT $1, x.scope, date_trunc('minute', now()), 1
    FROM scopes s CROSS JOIN LATERAL (VALUES (1, s.agency_scope), (2, s.lead_scope)) x(n, scope)
    ORDER BY x.n  -- the agency's shard first, as rate.count_message locks them
    ON CONFLICT (tenant_id, scope, window_start) DO UPDATE SET count = r.count + 1
    RETURNING scope, count, window_start
), others AS (
    SELECT coalesce(sum(r.count), 0) AS n FROM message_rates r, scopes s
    WHERE r.tenant_id = $1 AND r.window_start = date_trunc('minute', now())
      AND r.scope LIKE 'agency:%' AND r.scope <> s.agency_scope
), counts AS (
    SELECT s.id, s.lead_id,
           (SELECT c.count FROM counted c WHERE c.scope = s.lead_scope) AS lead_count,
           (SELECT c.count FROM counted c WHERE c.scope = s.agency_scope)
             + (SELECT n FROM others) AS agency_count,
           (SELECT max(c.window_start) FROM counted c) AS window_start,
           {_own_limit(LEAD_LIMIT_KEY, LEAD_LIMIT_RANGE, "$18")} AS lead_limit,
           {_own_limit(AGENCY_LIMIT_KEY, AGENCY_LIMIT_RANGE, "$19")} AS agency_limit
    FROM scopes s JOIN tenants t ON t.id = $1
), plan AS (
    SELECT c.*, CASE WHEN c.lead_count > c.lead_limit THEN 'lead'
                     WHEN c.agency_count > c.agency_limit THEN 'agency' END AS over
    FROM counts c
), job AS (
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW($14::varchar, $15::varchar,
                   greatest({LOWEST_PRIORITY}, -p.agency_count)::int,
                   'lead:' || p.lead_id, NULL::text,
                   jsonb_build_object('message_id', p.id::text),
                   CASE WHEN p.over IS NULL THEN $16::timestamptz
                        ELSE greatest($16::timestamptz, p.window_start
                             + make_interval(secs => {WINDOW_SECONDS}) + $17::interval) END
               )::procrastinate_job_to_defer_v1
        FROM plan p)) AS ids
)
SELECT EXISTS (SELECT 1 FROM ch), EXISTS (SELECT 1 FROM erased), EXISTS (SELECT 1 FROM hooks),
       (SELECT id FROM lead), (SELECT created FROM lead), (SELECT id FROM msg),
       (SELECT over FROM plan), (SELECT ids[1] FROM job)
"""  # noqa: S608 (only constants are interpolated; values are bound)


@dataclass(frozen=True, slots=True)
class Plain:
    """One plain inbound message, bounded and checked, as ``store`` writes it."""

    phone: str
    name: str | None
    type: str
    content: str
    media: dict[str, Any]
    external_id: str
    raw: str | None  # the webhook body as JSON text (jsonb), already scrubbed
    provider_timestamp: datetime
    task: str


@dataclass(frozen=True, slots=True)
class Limits:
    lead: int
    agency: int
    debounce: timedelta


@dataclass(frozen=True, slots=True)
class Stored:
    """What ``store`` did. ``fresh`` false: the channel changed (nothing written);
    ``hooks``: the full path must run (nothing written); ``erased``: dropped."""

    fresh: bool
    erased: bool
    hooks: bool
    lead_id: uuid.UUID | None
    created: bool
    message_id: uuid.UUID | None
    over: str | None
    job_id: int | None


async def store(
    db: DirectPool,
    ref: ChannelRef,
    message: Plain,
    *,
    now: datetime,
    queue: str,
    limits: Limits,
) -> Stored:
    """Store ``message`` for ``ref``'s agency and queue its answer, in one round trip."""
    rows = await db.fetch(
        STORE,
        ref.tenant_id,
        ref.id,
        ref.version,
        message.phone,
        message.name,
        now,
        uuid.uuid4(),
        message.type,
        message.content,
        json.dumps(message.media),
        message.external_id,
        message.raw,
        message.provider_timestamp,
        queue,
        message.task,
        now + limits.debounce,
        limits.debounce,
        limits.lead,
        limits.agency,
    )
    fresh, erased, hooks, lead_id, created, message_id, over, job_id = rows[0]
    return Stored(fresh, erased, hooks, lead_id, bool(created), message_id, over, job_id)
