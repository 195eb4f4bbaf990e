"""A worker on another machine or container than the API serves its own Prometheus metrics."""

from __future__ import annotations

import httpx

from tests.test_cli import _free_port
from vellarys.telemetry import metrics


def test_the_worker_metrics_endpoint_serves_the_job_counters() -> None:
    port = _free_port()
    metrics.JOB_SECONDS.labels("metrics_probe").observe(0.2)
    server = metrics.serve_worker_metrics(port)
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    assert 'vellarys_job_duration_seconds_count{task="metrics_probe"} 1.0' in body
