"""Where a first reply's time goes, read from the database after a run.

For every inbound message of a run (one message per lead), from ``messages`` and the queue's
``procrastinate_events``:

- debounce: message stored -> its ``handle_inbound`` job is due (``scheduled_at``);
- pick-up: due -> the job's last start (a worker slot took it);
- brain: the job's last start -> its end (context, retrieval, reply, outbound rows);
- send pick-up: the first reply part's send job deferred (or due) -> its last start;
- send: that start -> the part's ``sent_at`` (claim, provider call, record).

The five add up to the first-reply latency (up to commit gaps of a few milliseconds).
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.pipeline import pct, query

STAGES = ("debounce", "pick-up", "brain", "send pick-up", "send")

_STAGES_SQL = """
WITH inbound AS (
    SELECT m.id, m.created_at FROM messages m WHERE m.external_id LIKE %(prefix)s
), first_part AS (
    SELECT DISTINCT ON (o.media->>'in_reply_to') (o.media->>'in_reply_to')::uuid AS inbound_id,
           o.id, o.sent_at
    FROM messages o
    WHERE o.direction = 'outbound' AND o.sent_at IS NOT NULL AND o.media ? 'in_reply_to'
    ORDER BY o.media->>'in_reply_to', o.sent_at
), events AS (
    SELECT job_id,
           min(at) FILTER (WHERE type = 'deferred') AS deferred,
           max(at) FILTER (WHERE type = 'started') AS started,
           max(at) FILTER (WHERE type IN ('succeeded', 'failed')) AS ended
    FROM procrastinate_events GROUP BY job_id
)
SELECT extract(epoch FROM coalesce(hj.scheduled_at, he.deferred) - i.created_at),
       extract(epoch FROM he.started - greatest(coalesce(hj.scheduled_at, he.deferred),
                                                he.deferred)),
       extract(epoch FROM he.ended - he.started),
       extract(epoch FROM se.started - greatest(coalesce(sj.scheduled_at, se.deferred),
                                                se.deferred)),
       extract(epoch FROM f.sent_at - se.started)
FROM inbound i
JOIN first_part f ON f.inbound_id = i.id
JOIN procrastinate_jobs hj ON hj.task_name = 'vellarys:handle_inbound'
     AND hj.args->>'message_id' = i.id::text
JOIN events he ON he.job_id = hj.id
JOIN procrastinate_jobs sj ON sj.task_name = 'vellarys:send_outbound'
     AND sj.args->>'message_id' = f.id::text
JOIN events se ON se.job_id = sj.id
"""


def stage_times(url: str, prefix: str) -> dict[str, list[float]]:
    """Seconds spent in each stage, one value per answered message of the run."""
    rows = query(url, _STAGES_SQL, prefix=f"wamid.{prefix}.%")
    found: dict[str, list[float]] = {name: [] for name in STAGES}
    for row in rows:
        if any(value is None for value in row):
            continue
        for name, value in zip(STAGES, row, strict=True):
            found[name].append(max(0.0, float(value)))
    return found


def stage_line(times: dict[str, list[float]]) -> str:
    """``debounce 3.0/3.0 · pick-up 0.1/0.4 · ...`` (p50/p95 seconds)."""
    parts = []
    for name in STAGES:
        p50, p95 = pct(times[name], 50), pct(times[name], 95)
        parts.append(f"{name} —" if p50 is None or p95 is None else f"{name} {p50:.2f}/{p95:.2f}")
    return "  where the time goes (p50/p95 s): " + " · ".join(parts)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
