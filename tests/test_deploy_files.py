"""The shipped deployment files agree with the code: every setting in .env.example, non-root
image, the promised services in compose.yaml, units that always restart, nginx body limits."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from vellarys.config import Settings, env_names

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?(VELLARYS_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    settings = {env_names(field)[0] for field in Settings.model_fields}
    assert sorted(settings - listed) == []
    assert sorted(listed - settings) == []


def test_the_image_runs_as_a_non_root_user_with_production_defaults() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "VELLARYS_ENVIRONMENT=production" in dockerfile
    assert "FROM python:3.11-slim" in dockerfile


def test_compose_runs_pgvector_two_apis_two_workers_and_a_tls_proxy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert "pgvector" in services["db"]["image"]
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "443:443" in services["proxy"]["ports"]
    for name in ("api", "worker"):
        assert services[name]["restart"] == "always"
        assert services[name]["depends_on"]["setup"]["condition"] == (
            "service_completed_successfully"
        )
    conf = (ROOT / "deploy/nginx/compose.conf").read_text()
    assert "ssl_certificate" in conf and "X-Forwarded-Proto" in conf


def test_systemd_units_always_restart_the_api_and_the_workers() -> None:
    for unit in ("vellarys-api@.service", "vellarys-worker@.service"):
        text = (ROOT / "deploy/systemd" / unit).read_text()
        assert "Restart=always" in text
        assert re.search(r"^User=vellarys$", text, flags=re.MULTILINE)


def test_the_nginx_example_terminates_tls_and_limits_webhook_bodies() -> None:
    conf = (ROOT / "deploy/nginx/vellarys.conf").read_text()
    assert "listen 443 ssl" in conf and "ssl_certificate " in conf
    webhooks = conf[conf.index("location /webhooks/") :]
    assert re.search(r"client_max_body_size \d+[km];", webhooks[: webhooks.index("}")])
    assert "X-Forwarded-Proto" in conf
