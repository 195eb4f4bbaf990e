"""Job definitions: each maps a job name to one service call inside its own unit of work."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()

# Finished jobs are kept this long for inspection, then pruned.
KEEP_FINISHED_HOURS = 72


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="prune_finished_jobs", queue="maintenance", pass_context=True)
async def prune_finished_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Delete succeeded, failed and cancelled jobs older than ``KEEP_FINISHED_HOURS``."""
    connector = context.app.connector
    rows = await connector.execute_query_all_async(
        query=(
            "DELETE FROM procrastinate_jobs j WHERE j.status IN ('succeeded', 'failed', "
            "'cancelled', 'aborted') AND NOT EXISTS (SELECT 1 FROM procrastinate_events e "
            "WHERE e.job_id = j.id AND e.at > now() - make_interval(hours => %(hours)s)) "
            "RETURNING j.id"
        ),
        hours=KEEP_FINISHED_HOURS,
    )
    return len(rows)
