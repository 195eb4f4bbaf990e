"""Prometheus metrics.

Counters live in each process. When several processes of one machine share
``PROMETHEUS_MULTIPROC_DIR`` (``vellarys up`` sets it), ``/metrics`` on the API adds up
the worker's counters too. Queue gauges are read from the database at scrape time.
"""

from __future__ import annotations

import os
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import REGISTRY

from vellarys.domain.llm import LlmReport

INBOUND = Counter(
    "vellarys_inbound_messages_total",
    "Inbound messages by channel provider and outcome (stored, duplicate, stale, echo, ignored).",
    ["channel", "status"],
)
OUTBOUND = Counter(
    "vellarys_outbound_messages_total",
    "Outbound send attempts by channel provider and result (sent, retry, failed, skipped).",
    ["channel", "status"],
)
UNCERTAIN_SENDS = Counter(
    "vellarys_outbound_uncertain_total",
    "Sends cut off after reaching the provider (worker died mid-send): marked uncertain, not "
    "resent, settled by the provider's status callback.",
)
JOB_BUDGET_EXCEEDED = Counter(
    "vellarys_job_budget_exceeded_total",
    "Jobs cancelled past their time budget (the lead got the fallback answer), by task.",
    ["task"],
)
WORKER_RECONNECTS = Counter(
    "vellarys_worker_reconnects_total",
    "Times a worker lost the database and started again.",
)
WEBHOOKS = Counter(
    "vellarys_webhook_requests_total",
    "Webhook requests by provider and HTTP status.",
    ["channel", "code"],
)
JOB_SECONDS = Histogram(
    "vellarys_job_duration_seconds",
    "Time a job ran, by task.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_START_DELAY = Histogram(
    "vellarys_job_start_delay_seconds",
    "Time from when a job was due until a worker started it, by task.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# The LLM counters carry ``agency`` (the tenant's slug): one series per agency and value, so
# their cardinality is bounded by the number of agencies. Histograms stay deployment-wide.
LLM_CALLS = Counter(
    "vellarys_llm_replies_total",
    "LLM calls by outcome (answered, repaired, fallback, error, skipped, superseded, summary) "
    "and agency.",
    ["outcome", "agency"],
)
LLM_FALLBACKS = Counter(
    "vellarys_llm_fallbacks_total",
    "Replies the offline brain gave instead of the LLM, by reason (refused, tools, deadline, "
    "error, budget, lead_budget) and agency.",
    ["reason", "agency"],
)
LLM_TOKENS = Counter(
    "vellarys_llm_tokens_total",
    "LLM tokens spent, by kind (prompt, completion) and agency.",
    ["kind", "agency"],
)
LLM_ROUNDS = Histogram(
    "vellarys_llm_rounds", "Model rounds one reply took.", buckets=(1, 2, 3, 4, 5, 6, 8)
)
LLM_SECONDS = Histogram(
    "vellarys_llm_reply_seconds",
    "Time one LLM reply took, every round and tool included.",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45),
)


def observe_llm(report: LlmReport) -> None:
    """Count one LLM reply (``PipelineDeps.observe_llm``)."""
    agency = report.agency or "unknown"
    LLM_CALLS.labels(report.outcome, agency).inc()
    if report.fallback_reason:
        LLM_FALLBACKS.labels(report.fallback_reason, agency).inc()
    if report.outcome == "skipped":
        return
    LLM_TOKENS.labels("prompt", agency).inc(report.prompt_tokens)
    LLM_TOKENS.labels("completion", agency).inc(report.completion_tokens)
    LLM_ROUNDS.observe(report.rounds)
    LLM_SECONDS.observe(report.seconds)


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def serve_worker_metrics(port: int, *, host: str = "127.0.0.1") -> WSGIServer:
    """A worker's own /metrics (a thread), for deployments where the API process cannot see the
    worker's counters (separate machines or containers). Queue gauges stay on the API's."""
    server, _thread = start_http_server(port, addr=host, registry=_process_registry())
    return server


def render(queue_depth: int, oldest_pending_seconds: float | None) -> bytes:
    """The text exposition of this process (or all processes sharing the multiprocess dir)."""
    registry = _process_registry()
    queue = CollectorRegistry()
    Gauge("vellarys_queue_depth", "Jobs waiting to run.", registry=queue).set(queue_depth)
    Gauge(
        "vellarys_queue_oldest_pending_seconds",
        "Age of the oldest job that is due and waiting.",
        registry=queue,
    ).set(oldest_pending_seconds or 0.0)
    return generate_latest(registry) + generate_latest(queue)
