"""Structured logs: one JSON object a line, carrying tenant, lead, message and job ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from tests.pipeline.harness import Stack, meta_text
from vellarys.telemetry.logs import configure_logging
from vellarys.worker import job_logs


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    job_logs.install()
    yield stream
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.removeFilter(job_logs.FILTER)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def test_job_logs_are_json_with_the_ids_of_tenant_lead_message_and_job(
    stack: Stack, json_logs: io.StringIO
) -> None:
    stack.graph.script([500])  # a failed send is logged too
    await stack.post(meta_text("Oi"))
    await stack.drain()
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.startswith("{")]
    processed = [e for e in lines if e.get("event") == "inbound processed"]
    assert processed, lines[-5:]
    assert {"job_id", "message_id", "lead_id", "timestamp", "level"} <= set(processed[0])
    failed = [e for e in lines if e.get("event") == "send failed"]
    assert failed and {"job_id", "message_id"} <= set(failed[0])
    # The queue's routine lines (a job started, a job succeeded) are not written; a retry
    # the job asked for keeps its line, without a traceback.
    actions = [e.get("action") for e in lines if str(e.get("logger", "")).startswith("procras")]
    assert not set(actions) & {"start_job", "job_success"}, actions
    retried = [e for e in lines if e.get("action") == "job_error_retry"]
    assert retried and "exception" not in retried[0], retried
    assert "provider error: again at" in retried[0]["event"]
